// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * A zero-filled buffer of `size` bytes whose first byte's address is a
 * multiple of `alignment`: what a request on a direct file (`aioOpen(path,
 * { direct: true })`, `O_DIRECT`) needs, with an offset and length that are
 * multiples of the file's `alignment` too. It is a view into a
 * slightly larger `ArrayBuffer`, whose memory does not move while it lives.
 *
 * @param size The length in bytes, an integer >= 0.
 * @param alignment A power of two (default 4096, which suits every common
 * logical block size, 512 and 4096).
 * @returns The aligned buffer.
 * @throws {RangeError} When `size` is not an integer >= 0 or `alignment`
 * not a power of two.
 * @throws {Deno.errors.NotCapable} Without `--allow-ffi`, which it needs to
 * see the address (as do the backends with direct I/O).
 *
 * @example Usage
 * ```ts
 * import { alignedBuffer } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const buffer = alignedBuffer(8192);
 * assertEquals(buffer.byteLength, 8192);
 * const address = Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer));
 * assertEquals(Number(address) % 4096, 0);
 * ```
 */
export function alignedBuffer(
  size: number,
  alignment = 4096,
): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`'size' must be an integer >= 0, got ${String(size)}`);
  }
  if (
    !Number.isSafeInteger(alignment) || alignment < 1 ||
    alignment > 1 << 30 || (alignment & (alignment - 1)) !== 0
  ) {
    throw new RangeError(
      `'alignment' must be a power of two (at most 2^30), got ${
        String(alignment)
      }`,
    );
  }
  const raw = new ArrayBuffer(size + alignment);
  const address = Number(
    Deno.UnsafePointer.value(Deno.UnsafePointer.of(new Uint8Array(raw))),
  );
  const skip = (alignment - (address % alignment)) % alignment;
  return new Uint8Array(raw, skip, size);
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// pread/pwrite semantics for the backends that position a handle and then
// read or write ("deno", and "threads" in its workers). `lseek` refuses an
// offset past the largest file the file system allows (EINVAL: 2^44 - 4 KiB
// on ext4 with 4 KiB blocks), where pread reads nothing and pwrite fails with
// EFBIG, as io_uring's READ and WRITE do: seekFor ends such requests that way,
// so every backend agrees. No imports: worker scripts load it as it is.

/** A handle that can be positioned, such as a `Deno.FsFile`. */
export interface Seekable {
  /** As `Deno.FsFile.seekSync`. */
  seekSync(offset: number | bigint, whence: Deno.SeekMode): number;
}

/**
 * Positions `handle` at `offset` (an integer >= 0) for a read or a write.
 *
 * @param handle A seekable handle.
 * @param offset The file position.
 * @param opcode What comes next.
 * @returns `undefined` once positioned; otherwise the request's outcome, as
 * pread and pwrite give it for an offset past the file system's largest
 * file: 0 bytes for a read, `"EFBIG"` for a write.
 * @throws Whatever `seekSync` throws for any other reason.
 */
export function seekFor(
  handle: Seekable,
  offset: number,
  opcode: "read" | "write",
): 0 | "EFBIG" | undefined {
  try {
    handle.seekSync(offset, Deno.SeekMode.Start);
    return undefined;
  } catch (error) {
    // For a seekable file and an offset >= 0, lseek's only EINVAL is an
    // offset past the largest file (vfs_setpos).
    if (!isEinval(error)) throw error;
    return opcode === "read" ? 0 : "EFBIG";
  }
}

function isEinval(error: unknown): boolean {
  const { code, message } = (error ?? {}) as {
    code?: unknown;
    message?: unknown;
  };
  return code === "EINVAL" ||
    (typeof message === "string" && /\(os error 22\)/.test(message));
}

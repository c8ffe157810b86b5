// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * POSIX AIO for Deno: `aioRead`, `aioWrite`, `aioFsync`, `aioSuspend`,
 * `lioListio`, ... on Deno's async file APIs, or on io_uring.
 *
 * Requests on one file run in parallel, each at its own offset; a queue
 * with a depth limit (see {@linkcode aioInit}) holds the rest in `reqprio`
 * order. Each request is a `Future` underneath: {@linkcode aioSuspend} is
 * `wait(FIRST_COMPLETED)` and `lioListio("wait")` is `wait(ALL_COMPLETED)`.
 *
 * @example Usage
 * ```ts
 * import { aioOpen, aioRead, aioReturn, aioSuspend } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hello");
 * await using file = await aioOpen(path);
 * const cb = { file, offset: 0, buffer: new Uint8Array(5) };
 * aioRead(cb);
 * await aioSuspend([cb]);
 * assertEquals(aioReturn(cb), 5);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */

export { AioError } from "./aio_error.ts";
export * from "./constants.ts";
export type { AioCb, AioOpcode } from "./aio_cb.ts";
export { AioFile, aioOpen, type AioOpenOptions } from "./aio_file.ts";
export { alignedBuffer } from "./aligned_buffer.ts";
export {
  aioCancel,
  aioError,
  aioFsync,
  aioRead,
  aioReturn,
  aioWrite,
} from "./aio.ts";
export { aioSuspend } from "./aio_suspend.ts";
export { lioListio } from "./lio_listio.ts";
export {
  type AioBackendName,
  aioInit,
  type AioInitOptions,
  type AioSettings,
} from "./aio_init.ts";

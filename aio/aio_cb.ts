// Copyright 2026 the @concurrent/futures authors. MIT license.

import type { AioFile } from "./aio_file.ts";

/** `aio_lio_opcode`: what {@linkcode lioListio} does with an {@linkcode AioCb}. */
export type AioOpcode = "read" | "write" | "nop";

/**
 * An asynchronous I/O control block, as `struct aiocb`. The functions key
 * their request table on the object itself, so one `AioCb` describes one
 * request at a time; it may be reused once that request has ended.
 *
 * @example Usage
 * ```ts
 * import { type AioCb, aioOpen, aioRead, aioReturn, aioSuspend } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hello");
 * await using file = await aioOpen(path);
 * const cb: AioCb = { file, offset: 1, buffer: new Uint8Array(4) };
 * aioRead(cb);
 * await aioSuspend([cb]);
 * assertEquals(aioReturn(cb), 4);
 * assertEquals(new TextDecoder().decode(cb.buffer), "ello");
 * await Deno.remove(path);
 * ```
 */
export interface AioCb {
  /** `aio_fildes`: the file, from {@linkcode aioOpen}. */
  file: AioFile;
  /** `aio_offset`: the position in the file (ignored in append mode). */
  offset: number;
  /** `aio_buf`: the bytes to write, or where read bytes go. */
  buffer: Uint8Array;
  /** `aio_nbytes`: how many bytes; default `buffer.byteLength`. */
  nbytes?: number;
  /**
   * `aio_reqprio`: an integer >= 0 that lowers the request's priority among
   * queued requests; default 0. Equal values start in the order queued.
   */
  reqprio?: number;
  /** `aio_lio_opcode`, for {@linkcode lioListio}; the others ignore it. */
  opcode?: AioOpcode;
  /**
   * `aio_sigevent` with `SIGEV_THREAD`: called once when the request ends
   * (completed, failed or cancelled), never from inside the call that
   * queued it.
   */
  notify?: (cb: AioCb) => void;
}

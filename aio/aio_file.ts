// Copyright 2026 the @concurrent/futures authors. MIT license.

import { DIRECT_BACKENDS } from "./_backend.ts";
import { FileState } from "./_file_state.ts";
import { closeFile } from "./_queue.ts";
import { settings } from "./_settings.ts";
import { AioError } from "./aio_error.ts";

/** Options for {@linkcode aioOpen}: those of `Deno.open`, and `direct`. */
export interface AioOpenOptions extends Deno.OpenOptions {
  /**
   * Bypass the page cache (`O_DIRECT`): on the `"io_uring"` and
   * `"linux-aio"` backends only. Every request's offset, length and buffer
   * address must then be a multiple of {@linkcode AioFile.alignment}
   * (see {@linkcode alignedBuffer}); the kernel moves the bytes straight to
   * or from the buffer, which must not be detached while a request uses it.
   */
  direct?: boolean;
}

let createFile: (state: FileState) => AioFile;
let stateOfFile: (file: AioFile) => FileState;

/**
 * A file opened for asynchronous I/O with {@linkcode aioOpen}: the
 * `aio_fildes` of an {@linkcode AioCb}. Requests on one file may run in
 * parallel, each at its own offset. An open `AioFile` does not keep the
 * process alive.
 *
 * @example Usage
 * ```ts
 * import { aioOpen, aioWrite, aioSuspend, aioReturn } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * const file = await aioOpen(path, { write: true });
 * const cb = { file, offset: 0, buffer: new TextEncoder().encode("hi") };
 * aioWrite(cb);
 * await aioSuspend([cb]);
 * assertEquals(aioReturn(cb), 2);
 * await file.close();
 * assertEquals(await Deno.readTextFile(path), "hi");
 * await Deno.remove(path);
 * ```
 */
export class AioFile implements AsyncDisposable {
  #state: FileState;

  private constructor(state: FileState) {
    this.#state = state;
  }

  static {
    createFile = (state) => new AioFile(state);
    stateOfFile = (file) => file.#state;
  }

  /**
   * The backend that moves this file's bytes.
   *
   * @returns `"deno"`, `"threads"`, `"io_uring"` or `"linux-aio"`.
   *
   * @example Usage
   * ```ts
   * import { aioOpen } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * const path = await Deno.makeTempFile();
   * await using file = await aioOpen(path);
   * assertEquals(file.backend, "deno");
   * await Deno.remove(path);
   * ```
   */
  get backend(): "deno" | "threads" | "io_uring" | "linux-aio" {
    return this.#state.backendName;
  }

  /**
   * Whether the file was opened with `direct: true` (`O_DIRECT`: the page
   * cache is bypassed).
   *
   * @returns `true` for a direct file.
   *
   * @example Usage
   * ```ts
   * import { aioOpen } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * const path = await Deno.makeTempFile();
   * await using file = await aioOpen(path);
   * assertEquals(file.direct, false);
   * await Deno.remove(path);
   * ```
   */
  get direct(): boolean {
    return this.#state.alignment > 0;
  }

  /**
   * What offsets, lengths (`nbytes`) and buffer addresses must be multiples
   * of: on a direct file, the logical block size the kernel asks for direct
   * I/O (e.g. 512 or 4096); 1 on a buffered file, which takes any.
   *
   * @returns The alignment in bytes.
   *
   * @example Usage
   * ```ts
   * import { aioOpen } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * const path = await Deno.makeTempFile();
   * await using file = await aioOpen(path);
   * assertEquals(file.alignment, 1);
   * await Deno.remove(path);
   * ```
   */
  get alignment(): number {
    return this.#state.alignment || 1;
  }

  /**
   * Closes the file: its queued requests end with `ECANCELED`, and the
   * promise resolves once the requests in flight have ended; nothing is read
   * or written after that. Calling it again returns the same promise.
   *
   * @returns A promise that resolves once the file is closed.
   *
   * @example Usage
   * ```ts
   * import { aioOpen } from "@concurrent/futures";
   *
   * const path = await Deno.makeTempFile();
   * const file = await aioOpen(path);
   * await file.close();
   * await Deno.remove(path);
   * ```
   */
  close(): Promise<void> {
    return closeFile(this.#state);
  }

  /**
   * Closes the file, for `await using`.
   *
   * @returns A promise that resolves once the file is closed.
   *
   * @example Usage
   * ```ts
   * import { aioOpen } from "@concurrent/futures";
   *
   * const path = await Deno.makeTempFile();
   * {
   *   await using _file = await aioOpen(path);
   * }
   * await Deno.remove(path);
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The queue's state of an `AioFile`, or `undefined` for anything else. */
export function fileState(file: unknown): FileState | undefined {
  return file instanceof AioFile ? stateOfFile(file) : undefined;
}

/**
 * Opens a file for asynchronous I/O with the backend selected by
 * `aioInit` (by default Deno's async file APIs). `options` are those of
 * `Deno.open` (default `{ read: true }`); `create`, `createNew`, `truncate`
 * and `mode` take effect once, here, however many handles the backend opens
 * behind the file.
 *
 * With `direct: true` (on `"io_uring"` and `"linux-aio"`) the file is
 * opened with `O_DIRECT`: see {@linkcode AioOpenOptions.direct}; `{ direct:
 * true }` alone opens it for reading, as no options do.
 *
 * @param path The file.
 * @param options How to open it, as for `Deno.open`, and `direct`.
 * @returns The open file.
 * @throws {Deno.errors.NotFound} As `Deno.open` throws, e.g. when the file
 * does not exist.
 * @throws {AioError} `EINVAL` for `direct: true` on a backend without direct
 * I/O (the message names those with it) or on a file system without it
 * (tmpfs).
 *
 * @example Usage
 * ```ts
 * import { aioOpen, aioRead, aioReturn, lioListio } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "0123456789");
 * await using file = await aioOpen(path);
 * const cbs = [0, 5].map((offset) => ({
 *   file, offset, buffer: new Uint8Array(5), opcode: "read" as const,
 * }));
 * await lioListio("wait", cbs);
 * assertEquals(cbs.map((cb) => aioReturn(cb)), [5, 5]);
 * await Deno.remove(path);
 * ```
 */
export async function aioOpen(
  path: string | URL,
  options?: AioOpenOptions,
): Promise<AioFile> {
  const { backend, queueDepth } = settings;
  if (options?.direct && !DIRECT_BACKENDS.includes(backend.name)) {
    throw new AioError(
      "EINVAL",
      `direct I/O (O_DIRECT) needs the ${
        DIRECT_BACKENDS.map((name) => `"${name}"`).join(" or ")
      } backend (aioInit({ backend })); this file would open on "${backend.name}"`,
    );
  }
  // Deno.open's default, { read: true }, also when only `direct` is given.
  let open: AioOpenOptions = options ?? { read: true };
  if (options !== undefined && "direct" in options) {
    const { direct, ...rest } = options;
    open = Object.keys(rest).length === 0 ? { read: true } : rest;
    if (direct) open.direct = true;
  }
  const opened = await backend.open(path, open, queueDepth);
  return createFile(new FileState(opened, backend.name, queueDepth, open));
}

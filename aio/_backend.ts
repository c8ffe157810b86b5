// Copyright 2026 the @concurrent/futures authors. MIT license.
// The seam between the POSIX layer (queue, priorities, fsync ordering,
// cancellation of queued requests, status table) and the mechanism that
// moves bytes. A backend knows nothing of aiocbs: it starts operations and
// reports each one's end exactly once.

/** The name of a backend, as `aioInit` reports it. */
export type BackendName = "deno" | "threads" | "io_uring" | "linux-aio";

/** The backends that can open a file with `direct: true`. */
export const DIRECT_BACKENDS: readonly BackendName[] = [
  "io_uring",
  "linux-aio",
];

/** One operation handed to a backend: always started, never queued there. */
export interface BackendOp {
  /** What to do. */
  readonly opcode: "read" | "write" | "fsync" | "fdatasync";
  /** Exactly the bytes to transfer (`aio_buf` limited to `aio_nbytes`). */
  readonly buffer: Uint8Array;
  /** The file position (ignored for fsync, and for writes in append mode). */
  readonly offset: number;
}

/**
 * Called exactly once per operation, never synchronously from `start`:
 * `bytes >= 0` on success, or `bytes === -1` with a POSIX error name such as
 * `"EIO"`, `"EBADF"`, `"ECANCELED"`.
 */
export type Completion = (bytes: number, error?: string) => void;

/** A file opened by a backend. */
export interface BackendFile {
  /** Starts an operation now; `done` reports its end. */
  start(op: BackendOp, done: Completion): void;
  /**
   * Closes the file once every started operation has ended (a backend may
   * try to stop them early, e.g. `IORING_OP_ASYNC_CANCEL`); after it
   * resolves nothing more is read or written, and no memory is touched.
   */
  close(): Promise<void>;
  /**
   * For a file opened with `direct`: the alignment its requests' offsets,
   * lengths and buffer addresses need (the caller checks it before `start`,
   * and the backend then hands the user's buffer to the kernel as it is).
   * `undefined` for a buffered file.
   */
  readonly alignment?: number;
}

/** A way to open files for asynchronous I/O. */
export interface Backend {
  /** The name `aioInit` reports. */
  readonly name: BackendName;
  /**
   * Opens a file; `options` take effect once, however many handles or
   * descriptors the backend opens behind it.
   *
   * @param path The file.
   * @param options As for `Deno.open`.
   * @param queueDepth The most operations the caller will have in flight on
   * this file at once (a handle pool may grow up to it).
   * @throws {AioError} `EINVAL` for `options.direct` on a backend without
   * direct I/O, or a file system that has none.
   */
  open(
    path: string | URL,
    options: Deno.OpenOptions & { direct?: boolean },
    queueDepth: number,
  ): Promise<BackendFile>;
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// The seam between the POSIX layer (queue, priorities, fsync ordering,
// cancellation of queued requests, status table) and the mechanism that
// moves bytes. A backend knows nothing of aiocbs: it starts operations and
// reports each one's end exactly once.

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
}

/** A way to open files for asynchronous I/O. */
export interface Backend {
  /** The name `aioInit` reports. */
  readonly name: "deno" | "threads" | "io_uring";
  /**
   * Opens a file; `options` take effect once, however many handles or
   * descriptors the backend opens behind it.
   *
   * @param path The file.
   * @param options As for `Deno.open`.
   * @param queueDepth The most operations the caller will have in flight on
   * this file at once (a handle pool may grow up to it).
   */
  open(
    path: string | URL,
    options: Deno.OpenOptions,
    queueDepth: number,
  ): Promise<BackendFile>;
}

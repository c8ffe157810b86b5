// Copyright 2026 the @concurrent/futures authors. MIT license.

const DESCRIPTIONS: Record<string, string> = {
  EAGAIN: "Resource temporarily unavailable",
  EBADF: "Bad file descriptor",
  EINVAL: "Invalid argument",
  EIO: "Input/output error",
  EACCES: "Permission denied",
  ENOSYS: "Function not implemented",
  ECANCELED: "Operation canceled",
  EINPROGRESS: "Operation now in progress",
};

/**
 * An error of the POSIX AIO functions, carrying the `errno` name that the C
 * function would have set (`"EAGAIN"`, `"EINVAL"`, `"EBADF"`, `"EIO"`, ...).
 *
 * @example Usage
 * ```ts
 * import { AioError, aioReturn } from "@concurrent/futures";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const file = null as never; // aioReturn checks the request, not the file
 * const error = assertThrows(
 *   () => aioReturn({ file, offset: 0, buffer: new Uint8Array(1) }),
 *   AioError,
 * );
 * assertEquals(error.code, "EINVAL");
 * ```
 */
export class AioError extends Error {
  /** The POSIX error name, such as `"EAGAIN"`. */
  readonly code: string;

  /**
   * Constructs a new instance.
   *
   * @param code The POSIX error name, such as `"EINVAL"`.
   * @param message What went wrong; defaults to the error's usual text.
   * @param options Standard error options (`cause`).
   */
  constructor(code: string, message?: string, options?: ErrorOptions) {
    super(message ?? DESCRIPTIONS[code] ?? code, options);
    this.name = "AioError";
    this.code = code;
  }
}

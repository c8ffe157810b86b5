// Copyright 2026 the @concurrent/futures authors. MIT license.
// What the FFI backends (io_uring, linux-aio) share to open a file as
// Deno.open would: the open(2) flags from Deno.OpenOptions with Deno's own
// checks and messages, Deno's permission checks (the kernel opens the file,
// so Deno's would not run), Deno's error classes for open's errno, and what
// O_DIRECT needs to know of an open file (statx: its type and the alignment
// direct I/O asks for).

import {
  AT_EMPTY_PATH,
  errno,
  errnoName,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECT,
  O_EXCL,
  O_RDONLY,
  O_RDWR,
  O_TRUNC,
  O_WRONLY,
  openLibc,
  S_IFBLK,
  S_IFDIR,
  S_IFMT,
  S_IFREG,
  STATX,
  STATX_DIOALIGN,
  STATX_TYPE,
  strerror,
  SYS_STATX,
} from "./_libc.ts";
import { AioError } from "./aio_error.ts";

/** `aioOpen`'s options: Deno's, plus `direct` (`O_DIRECT`). */
export interface OpenOptions extends Deno.OpenOptions {
  /** Bypass the page cache (`O_DIRECT`). */
  direct?: boolean;
}

/**
 * The open(2) flags for `options`, after Deno.open's own checks of them
 * (with its messages); `O_DIRECT` when `options.direct`.
 */
export function openFlags(options: OpenOptions): number {
  const { read, write, append, truncate, create, createNew } = options;
  if (!read && !write && !append && !truncate && !create && !createNew) {
    throw new Error("'options' requires at least one option to be true");
  }
  if (truncate && !write) {
    throw new Error("'truncate' option requires 'write' to be true");
  }
  if ((create || createNew) && !(write || append)) {
    throw new Error(
      "'create' or 'createNew' options require 'write' or 'append' to be true",
    );
  }
  const writes = write || append;
  let flags = O_CLOEXEC |
    (read && writes ? O_RDWR : writes ? O_WRONLY : O_RDONLY);
  if (append) flags |= O_APPEND;
  if (createNew) flags |= O_CREAT | O_EXCL;
  else {
    if (create) flags |= O_CREAT;
    if (truncate) flags |= O_TRUNC;
  }
  if (options.direct) flags |= O_DIRECT;
  return flags;
}

function checkPermission(name: "read" | "write", path: string): void {
  const descriptor = { name, path } as const;
  let { state } = Deno.permissions.querySync(descriptor);
  if (state === "prompt") {
    state = Deno.permissions.requestSync(descriptor).state;
  }
  if (state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Requires ${name} access to "${path}", run again with the --allow-${name} flag`,
    );
  }
}

/** Deno.open's permission checks, for a file the kernel will open. */
export function checkPermissions(path: string, options: OpenOptions): void {
  if (options.read) checkPermission("read", path);
  if (options.write || options.append) checkPermission("write", path);
}

// Deno's error classes for the errno values open(2) gives.
const OPEN_ERRORS: Record<string, new (message: string) => Error> = {
  ENOENT: Deno.errors.NotFound,
  EACCES: Deno.errors.PermissionDenied,
  EPERM: Deno.errors.PermissionDenied,
  EEXIST: Deno.errors.AlreadyExists,
  EISDIR: Deno.errors.IsADirectory,
  ENOTDIR: Deno.errors.NotADirectory,
  ELOOP: Deno.errors.FilesystemLoop,
  EBUSY: Deno.errors.Busy,
  EINTR: Deno.errors.Interrupted,
  ETIMEDOUT: Deno.errors.TimedOut,
};

/** The error Deno.open would throw for open(2)'s errno. */
export function openError(errno: number, path: string, what?: string): Error {
  const code = errnoName(errno);
  const ErrorClass = OPEN_ERRORS[code] ?? Error;
  const error = new ErrorClass(
    `${what ?? `${strerror(errno)} (os error ${errno})`}: open '${path}'`,
  );
  Object.defineProperty(error, "code", { value: code, enumerable: true });
  return error;
}

/** The `AioError` `EINVAL` for a file system that refuses `O_DIRECT`. */
export function noDirectIo(path: string): AioError {
  return new AioError(
    "EINVAL",
    `the file system of '${path}' does not support direct I/O (O_DIRECT); ` +
      "procfs is one such, and tmpfs before Linux 6.6",
  );
}

/** What statx tells of an open file. */
export interface FileInfo {
  /** A regular file or a block device (not a pipe, socket or tty). */
  seekable: boolean;
  /** A directory. */
  directory: boolean;
  /**
   * The alignment direct I/O needs of offsets, lengths and buffer addresses
   * (the larger of `stx_dio_offset_align` and `stx_dio_mem_align`), 0 when
   * the file system says it has no direct I/O, or `undefined` when it does
   * not say (before Linux 6.1, or a file system that does not report it).
   */
  dioAlign: number | undefined;
}

/** statx(2) on an open file descriptor. */
export function fileInfo(fd: number): FileInfo {
  const buf = new Uint8Array(STATX.size);
  const r = openLibc().statx(
    SYS_STATX,
    fd,
    new Uint8Array(1),
    AT_EMPTY_PATH,
    STATX_TYPE | STATX_DIOALIGN,
    buf,
  );
  if (r < 0) {
    const e = errno();
    throw new AioError(errnoName(e), `statx: ${strerror(e)}`);
  }
  const view = new DataView(buf.buffer);
  const mask = view.getUint32(STATX.mask, true);
  const type = view.getUint16(STATX.mode, true) & S_IFMT;
  let dioAlign: number | undefined;
  if (mask & STATX_DIOALIGN) {
    const offsetAlign = view.getUint32(STATX.dioOffsetAlign, true);
    const memAlign = view.getUint32(STATX.dioMemAlign, true);
    dioAlign = offsetAlign === 0 ? 0 : Math.max(offsetAlign, memAlign);
  }
  return {
    seekable: type === S_IFREG || type === S_IFBLK,
    directory: type === S_IFDIR,
    dioAlign,
  };
}

/**
 * The alignment of a file just opened with `O_DIRECT`: statx's where the
 * kernel reports it, else 4096 (a multiple of every common logical block
 * size, 512 and 4096).
 *
 * @throws {AioError} `EINVAL` when the file system has no direct I/O.
 */
export function directAlignment(fd: number, path: string): number {
  const { dioAlign } = fileInfo(fd);
  if (dioAlign === 0) throw noDirectIo(path);
  return dioAlign ?? 4096;
}

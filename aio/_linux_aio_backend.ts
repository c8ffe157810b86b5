// Copyright 2026 the @concurrent/futures authors. MIT license.
// The "linux-aio" backend: the kernel AIO that the seed question's man page
// names (io_setup, io_submit, io_getevents, io_cancel, io_destroy), as raw
// system calls through Deno FFI. Every file opened through it shares one
// kernel AIO context per isolate (_linux_aio.ts).
//
// The kernel reads into and writes from the user's own buffer, with no
// staging copy. Without O_DIRECT, kernel AIO is synchronous: the read or
// write happens inside io_submit, on the JS thread, so nothing touches the
// buffer once that call has returned. With O_DIRECT (`direct: true`) the
// transfer happens later, into the buffer's memory, as on io_uring (see the
// header of _uring_backend.ts: the request keeps the buffer reachable;
// detaching it in flight is the caller's mistake).
//
// Pipes, sockets and terminals: a read on them would block inside io_submit
// (kernel AIO has no asynchronous path for them), so the file is opened
// with O_NONBLOCK, and each request first waits for readiness with
// IOCB_CMD_POLL, which is asynchronous and which io_cancel can stop, then
// reads or writes (at once: the descriptor does not block), and polls again
// if that found nothing after all. Regular files and block devices are
// opened as usual (O_NONBLOCK cleared).
//
// Files are opened by open(2) on the JS thread (with O_NONBLOCK, so that a
// FIFO cannot block it), with Deno's permission checks applied as on
// io_uring; `--allow-ffi` lifts Deno's sandbox anyway.

import type {
  Backend,
  BackendFile,
  BackendOp,
  Completion,
} from "./_backend.ts";
import { fromFileUrl } from "./_file_url.ts";
import {
  addressOf,
  cString,
  errno,
  errnoName,
  F_GETFL,
  F_SETFL,
  IOCB_CMD_FDSYNC,
  IOCB_CMD_FSYNC,
  IOCB_CMD_POLL,
  IOCB_CMD_PREAD,
  IOCB_CMD_PWRITE,
  O_NONBLOCK,
  openLibc,
  POLLIN,
  POLLOUT,
} from "./_libc.ts";
import { AioContext, setupRefusalMessage } from "./_linux_aio.ts";
import {
  checkPermissions,
  type FileInfo,
  fileInfo,
  noDirectIo,
  openError,
  openFlags,
  type OpenOptions,
} from "./_open.ts";
import { SyscallError } from "./_uring.ts";
import { AioError } from "./aio_error.ts";
import { SharedEngine } from "./_shared_engine.ts";

// The kernel moves at most this much in one read or write (MAX_RW_COUNT).
const MAX_RW = 0x7ffff000;
const CONTEXT_EVENTS = 256;
const ECANCELED = 125;
const EAGAIN = 11;

// The context every file shares (see _shared_engine.ts).
const contexts = new SharedEngine(() => new AioContext(CONTEXT_EVENTS));

// ---------------------------------------------------------------------------
// Files.

class LinuxAioFile implements BackendFile {
  readonly #context: AioContext;
  readonly #fd: number;
  readonly #seekable: boolean;
  readonly #directory: boolean;
  readonly alignment: number | undefined;
  // Each operation in flight, with the token of its current kernel request.
  readonly #inFlight = new Map<BackendOp, number>();
  #closing = false;
  #closed: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  constructor(
    context: AioContext,
    fd: number,
    info: FileInfo,
    alignment: number | undefined,
  ) {
    this.#context = context;
    this.#fd = fd;
    this.#seekable = info.seekable;
    this.#directory = info.directory;
    this.alignment = alignment;
  }

  start(op: BackendOp, done: Completion): void {
    if (this.#closing) {
      queueMicrotask(() => done(-1, "EBADF"));
      return;
    }
    switch (op.opcode) {
      case "read":
      case "write":
        // Kernel AIO refuses a directory with EINVAL; pread(2) says EISDIR.
        if (this.#directory) queueMicrotask(() => done(-1, "EISDIR"));
        else if (this.#seekable) this.#transfer(op, done);
        else this.#poll(op, done);
        return;
      case "fsync":
      case "fdatasync":
        this.#submit(op, {
          opcode: op.opcode === "fsync" ? IOCB_CMD_FSYNC : IOCB_CMD_FDSYNC,
          fd: this.#fd,
          offset: 0,
          addr: 0,
          len: 0,
        }, (res) => this.#end(op, res, done));
        return;
      default:
        queueMicrotask(() => done(-1, "EINVAL"));
    }
  }

  #submit(
    op: BackendOp,
    request: Parameters<AioContext["submit"]>[0],
    onEnd: (res: number) => void,
  ): void {
    this.#inFlight.set(op, this.#context.submit(request, onEnd));
  }

  // The read or write itself; the closure keeps `op.buffer` reachable until
  // the kernel is done with it.
  #transfer(op: BackendOp, done: Completion): void {
    const len = Math.min(op.buffer.byteLength, MAX_RW);
    this.#submit(op, {
      opcode: op.opcode === "read" ? IOCB_CMD_PREAD : IOCB_CMD_PWRITE,
      fd: this.#fd,
      offset: this.#seekable ? op.offset : 0,
      addr: len === 0 ? 0 : addressOf(op.buffer),
      len,
    }, (res) => {
      // A pipe that had nothing after all (another reader was first).
      if (res === -EAGAIN && !this.#seekable && !this.#closing) {
        this.#poll(op, done);
      } else {
        this.#end(op, res, done);
      }
    });
  }

  // Waits until a pipe is ready, then transfers.
  #poll(op: BackendOp, done: Completion): void {
    this.#submit(op, {
      opcode: IOCB_CMD_POLL,
      fd: this.#fd,
      offset: 0,
      addr: op.opcode === "read" ? POLLIN : POLLOUT,
      len: 0,
    }, (res) => {
      // A cancelled poll ends with no events.
      if (res === 0 || this.#closing) this.#end(op, -ECANCELED, done);
      else if (res < 0) this.#end(op, res, done);
      else this.#transfer(op, done);
    });
  }

  #end(op: BackendOp, res: number, done: Completion): void {
    this.#inFlight.delete(op);
    if (this.#closing && this.#inFlight.size === 0) this.#drained?.();
    if (res < 0) done(-1, errnoName(-res));
    else done(res);
  }

  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    if (this.#inFlight.size > 0) {
      const drained = new Promise<void>((resolve) => this.#drained = resolve);
      // A pipe's polls stop at once; a file's reads and writes end by
      // themselves (the kernel cannot cancel them, and those not yet
      // submitted are started as queued).
      if (!this.#seekable) {
        for (const token of this.#inFlight.values()) {
          this.#context.cancel(token);
        }
      }
      await drained;
    }
    openLibc().close(this.#fd);
    await contexts.release(this.#context);
  }
}

// deno-lint-ignore require-await
async function open(
  path: string | URL,
  options: OpenOptions,
): Promise<BackendFile> {
  const file = path instanceof URL ? fromFileUrl(path) : String(path);
  const flags = openFlags(options);
  checkPermissions(file, options);
  const lib = openLibc();
  const fd = lib.open(
    cString(file),
    flags | O_NONBLOCK,
    (options.mode ?? 0o666) & 0o7777,
  );
  if (fd < 0) {
    const e = errno();
    if (options.direct && errnoName(e) === "EINVAL") throw noDirectIo(file);
    throw openError(e, file);
  }
  let context: AioContext;
  try {
    const info = fileInfo(fd);
    let alignment: number | undefined;
    if (options.direct) {
      if (info.dioAlign === 0) throw noDirectIo(file);
      alignment = info.dioAlign ?? 4096;
    }
    if (info.seekable) {
      lib.fcntl(fd, F_SETFL, lib.fcntl(fd, F_GETFL, 0) & ~O_NONBLOCK);
    }
    try {
      context = contexts.acquire();
    } catch (error) {
      if (!(error instanceof SyscallError)) throw error;
      throw openError(error.errno, file, error.message);
    }
    return new LinuxAioFile(context, fd, info, alignment);
  } catch (error) {
    lib.close(fd);
    throw error;
  }
}

// ---------------------------------------------------------------------------
// Availability.

let kernelVerdict: string | null | undefined;

/**
 * Why the linux-aio backend cannot run in this process, or `undefined` when
 * it can. Never prompts for a permission.
 */
export function linuxAioUnavailable(): string | undefined {
  if (Deno.build.os !== "linux") {
    return `kernel AIO is a Linux interface; this is ${Deno.build.os}`;
  }
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") {
    return `the linux-aio backend supports x86-64 and arm64; this is ${Deno.build.arch}`;
  }
  let ffi: Deno.PermissionState = "denied";
  try {
    ffi = Deno.permissions.querySync({ name: "ffi" }).state;
  } catch {
    // Treated as not granted.
  }
  if (ffi !== "granted") {
    return "it needs --allow-ffi (kernel AIO is driven through Deno FFI; " +
      "--allow-ffi lifts Deno's sandbox as -A does)";
  }
  kernelVerdict ??= probeKernel() ?? null;
  return kernelVerdict ?? undefined;
}

function probeKernel(): string | undefined {
  try {
    openLibc();
  } catch (error) {
    return `libc could not be loaded: ${(error as Error).message}`;
  }
  try {
    void new AioContext(1).close();
    return undefined;
  } catch (error) {
    if (!(error instanceof SyscallError)) throw error;
    return setupRefusalMessage(error);
  }
}

/**
 * The linux-aio backend, or `AioError` `ENOSYS` saying why it cannot run.
 *
 * @throws {AioError} `ENOSYS` when kernel AIO cannot run here.
 */
export function linuxAioBackend(): Backend {
  const reason = linuxAioUnavailable();
  if (reason !== undefined) {
    throw new AioError("ENOSYS", `linux-aio backend unavailable: ${reason}`);
  }
  return backend;
}

const backend: Backend = {
  name: "linux-aio",
  open: (path, options) => open(path, options),
};

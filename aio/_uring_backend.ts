// Copyright 2026 the @concurrent/futures authors. MIT license.
// The "io_uring" backend: every file opened through it shares one ring per
// isolate (one wait on Deno's blocking pool at most, none when idle). Files
// are opened and closed by the ring too (IORING_OP_OPENAT / CLOSE), so no
// system call blocks the JS thread and every error arrives as a negative
// errno.
//
// Memory safety: the kernel writes to the address given at submit time, and
// a user's buffer can be detached (transferred), shrunk (resizable
// ArrayBuffer) or freed (its Worker terminated) while a request is in flight.
// So the kernel only ever sees staging buffers this module maps outside the
// JS heap (anonymous mmap) and unmaps only once no request uses them: a read
// is copied out when it completes, a write is copied in when it starts. A
// cancelled or failed read copies nothing, and a file's close resolves only
// after each of its requests has completed, so nothing is written into a user
// buffer after that. If a Worker is terminated with requests in flight, its
// ring and staging buffers stay mapped (leaked) until the process exits,
// rather than being freed under the kernel. The copy costs little at 4 KiB
// and about a third of the throughput at 64 KiB (measured against the kernel
// writing straight into the user's buffer).
//
// Direct I/O (`direct: true`, O_DIRECT) is the exception: its point is that
// no copy is made, so the kernel reads into and writes from the user's own
// buffer, whose address, like the offset and length, must be aligned
// (`alignedBuffer`). The request keeps the buffer reachable until it ends,
// so the garbage collector cannot free it under the kernel; detaching or
// transferring it while the request is in flight is the caller's mistake, as
// freeing an aio_buf would be in C (the bytes land in the memory the buffer
// had, which its new owner, if any, sees).
//
// Permissions: the ring opens files itself, so Deno's read/write checks would
// not run; they are applied here the way Deno.open applies them. That is a
// courtesy, not a boundary: `--allow-ffi`, which this backend needs, lets any
// code do anything, as `-A` does.

import { fromFileUrl } from "./_file_url.ts";
import type {
  Backend,
  BackendFile,
  BackendOp,
  Completion,
} from "./_backend.ts";
import {
  addressOf,
  AT_FDCWD,
  cString,
  errnoName,
  IORING_FSYNC_DATASYNC,
  IORING_OP_CLOSE,
  IORING_OP_FSYNC,
  IORING_OP_OPENAT,
  IORING_OP_READ,
  IORING_OP_WRITE,
  MAP_ANONYMOUS,
  MAP_FAILED,
  MAP_PRIVATE,
  openLibc,
  PROT_READ,
  PROT_WRITE,
  readSmallFile,
} from "./_libc.ts";
import {
  checkPermissions,
  directAlignment,
  noDirectIo,
  openError,
  openFlags,
  type OpenOptions,
} from "./_open.ts";
import { Ring, type RingRequest, SyscallError } from "./_uring.ts";
import { AioError } from "./aio_error.ts";
import { SharedEngine } from "./_shared_engine.ts";

// The kernel moves at most this much in one read or write (MAX_RW_COUNT);
// a longer request is a short one, as with pread(2).
const MAX_RW = 0x7ffff000;
const RING_ENTRIES = 256;

// The ring every file shares (see _shared_engine.ts).
const rings = new SharedEngine(() => new Ring(RING_ENTRIES));

/** Runs one request on the ring; `keep` stays reachable until it ends. */
function run(
  ring: Ring,
  request: RingRequest,
  keep?: unknown,
): Promise<number> {
  return new Promise((resolve) =>
    ring.submit(request, (res) => {
      void keep;
      resolve(res);
    })
  );
}

// ---------------------------------------------------------------------------
// Staging buffers: anonymous mappings, recycled by size class (powers of two
// from 4 KiB to 1 MiB); larger ones are mapped for one request.

interface Staging {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly ptr: Deno.PointerObject;
  readonly addr: number;
}

const MIN_STAGING = 4096;
const MAX_POOLED_STAGING = 1 << 20;
const MAX_POOLED_BYTES = 32 << 20;
const stagingPool = new Map<number, Staging[]>();
let pooledBytes = 0;

/** A staging buffer of at least `n` bytes, or `undefined` when out of memory. */
function takeStaging(n: number): Staging | undefined {
  const size = n <= MIN_STAGING
    ? MIN_STAGING
    : n <= MAX_POOLED_STAGING
    ? 2 ** Math.ceil(Math.log2(n))
    : n;
  const pooled = stagingPool.get(size)?.pop();
  if (pooled !== undefined) {
    pooledBytes -= size;
    return pooled;
  }
  const lib = openLibc();
  const ptr = lib.mmap(
    null,
    BigInt(size),
    PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS,
    -1,
    0n,
  );
  if (ptr === null || Deno.UnsafePointer.value(ptr) === MAP_FAILED) {
    return undefined;
  }
  // A view that does not own the memory: collecting it frees nothing.
  const bytes = new Uint8Array(
    Deno.UnsafePointerView.getArrayBuffer(ptr, size),
  );
  return { bytes, ptr, addr: Number(Deno.UnsafePointer.value(ptr)) };
}

/** Takes a staging buffer back once no request uses it. */
function giveStaging(staging: Staging): void {
  const size = staging.bytes.byteLength;
  if (size <= MAX_POOLED_STAGING && pooledBytes + size <= MAX_POOLED_BYTES) {
    let list = stagingPool.get(size);
    if (list === undefined) stagingPool.set(size, list = []);
    list.push(staging);
    pooledBytes += size;
    return;
  }
  openLibc().munmap(staging.ptr, BigInt(size));
}

// ---------------------------------------------------------------------------
// Files.

class UringFile implements BackendFile {
  readonly #ring: Ring;
  readonly #fd: number;
  readonly #inFlight = new Set<number>();
  #closing = false;
  #closed: Promise<void> | undefined;
  #drained: (() => void) | undefined;

  readonly alignment: number | undefined;

  constructor(ring: Ring, fd: number, alignment?: number) {
    this.#ring = ring;
    this.#fd = fd;
    this.alignment = alignment;
  }

  start(op: BackendOp, done: Completion): void {
    if (this.#closing) {
      queueMicrotask(() => done(-1, "EBADF"));
      return;
    }
    let opcode: number;
    let opFlags = 0;
    let len = 0;
    let addr = 0;
    let staging: Staging | undefined;
    switch (op.opcode) {
      case "read":
      case "write":
        opcode = op.opcode === "read" ? IORING_OP_READ : IORING_OP_WRITE;
        len = Math.min(op.buffer.byteLength, MAX_RW);
        if (len === 0) break;
        if (this.alignment !== undefined) {
          // Direct I/O: the kernel moves the bytes straight to or from the
          // user's buffer, whose alignment the queue checked (see the header).
          addr = addressOf(op.buffer);
          break;
        }
        staging = takeStaging(len);
        if (staging === undefined) {
          queueMicrotask(() => done(-1, "EAGAIN"));
          return;
        }
        addr = staging.addr;
        if (opcode === IORING_OP_WRITE) {
          staging.bytes.set(op.buffer.subarray(0, len));
        }
        break;
      case "fsync":
      case "fdatasync":
        opcode = IORING_OP_FSYNC;
        if (op.opcode === "fdatasync") opFlags = IORING_FSYNC_DATASYNC;
        break;
      default:
        queueMicrotask(() => done(-1, "EINVAL"));
        return;
    }
    const token = this.#ring.submit({
      opcode,
      fd: this.#fd,
      offset: opcode === IORING_OP_FSYNC ? 0 : op.offset,
      addr,
      len,
      opFlags,
    }, (res) => this.#finish(token, op, staging, res, done));
    this.#inFlight.add(token);
  }

  #finish(
    token: number,
    op: BackendOp,
    staging: Staging | undefined,
    res: number,
    done: Completion,
  ): void {
    this.#inFlight.delete(token);
    let error: string | undefined;
    if (res < 0) {
      error = errnoName(-res);
    } else if (res > 0 && op.opcode === "read" && staging !== undefined) {
      // The user's buffer may have been detached or shrunk meanwhile.
      if (op.buffer.byteLength < res) error = "EFAULT";
      else op.buffer.set(staging.bytes.subarray(0, res));
    }
    if (staging !== undefined) giveStaging(staging);
    if (this.#closing && this.#inFlight.size === 0) this.#drained?.();
    if (error === undefined) done(res);
    else done(-1, error);
  }

  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    if (this.#inFlight.size > 0) {
      const drained = new Promise<void>((resolve) => this.#drained = resolve);
      for (const token of this.#inFlight) this.#ring.cancel(token);
      await drained;
    }
    await run(this.#ring, {
      opcode: IORING_OP_CLOSE,
      fd: this.#fd,
      offset: 0,
      addr: 0,
      len: 0,
      opFlags: 0,
    });
    await rings.release(this.#ring);
  }
}

async function open(
  path: string | URL,
  options: OpenOptions,
): Promise<BackendFile> {
  const file = path instanceof URL ? fromFileUrl(path) : String(path);
  const flags = openFlags(options);
  checkPermissions(file, options);
  let ring: Ring;
  try {
    ring = rings.acquire();
  } catch (error) {
    // EMFILE, ENOMEM (the locked-memory limit before Linux 5.12), ...
    if (!(error instanceof SyscallError)) throw error;
    throw openError(error.errno, file, error.message);
  }
  let fd: number;
  try {
    const cpath = cString(file);
    fd = await run(ring, {
      opcode: IORING_OP_OPENAT,
      fd: AT_FDCWD,
      offset: 0,
      addr: addressOf(cpath),
      len: (options.mode ?? 0o666) & 0o7777,
      opFlags: flags,
    }, cpath);
  } catch (error) {
    await rings.release(ring);
    throw error;
  }
  if (fd < 0) {
    await rings.release(ring);
    // open(2) refuses O_DIRECT with EINVAL where the file system has none.
    if (options.direct && errnoName(-fd) === "EINVAL") throw noDirectIo(file);
    throw openError(-fd, file);
  }
  let alignment: number | undefined;
  if (options.direct) {
    try {
      alignment = directAlignment(fd, file);
    } catch (error) {
      await new UringFile(ring, fd).close();
      throw error;
    }
  }
  return new UringFile(ring, fd, alignment);
}

// ---------------------------------------------------------------------------
// Availability.

let kernelVerdict: string | null | undefined;

/**
 * Why the io_uring backend cannot run in this process, or `undefined` when it
 * can. Never prompts for a permission.
 */
export function uringUnavailable(): string | undefined {
  if (Deno.build.os !== "linux") {
    return `io_uring is a Linux interface; this is ${Deno.build.os}`;
  }
  if (Deno.build.arch !== "x86_64" && Deno.build.arch !== "aarch64") {
    return `the io_uring backend supports x86-64 and arm64; this is ${Deno.build.arch}`;
  }
  let ffi: Deno.PermissionState = "denied";
  try {
    ffi = Deno.permissions.querySync({ name: "ffi" }).state;
  } catch {
    // Treated as not granted.
  }
  if (ffi !== "granted") {
    return "it needs --allow-ffi (io_uring is driven through Deno FFI; " +
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
  let ring: Ring;
  try {
    ring = new Ring(2);
  } catch (error) {
    if (!(error instanceof SyscallError)) throw error;
    return setupRefusal(error);
  }
  try {
    const missing = ring.unsupported();
    if (missing === undefined) {
      return "the kernel cannot list its io_uring opcodes " +
        "(IORING_REGISTER_PROBE): Linux 5.6 or later is needed";
    }
    if (missing.length > 0) {
      return `the kernel's io_uring lacks ${missing.join(", ")} ` +
        "(Linux 5.6 or later is needed)";
    }
    return undefined;
  } finally {
    void ring.close();
  }
}

function setupRefusal(error: SyscallError): string {
  const why = error.message;
  switch (errnoName(error.errno)) {
    case "ENOSYS":
      return `${why}; the kernel is built without io_uring, or a sandbox ` +
        "such as gVisor does not provide it";
    case "EPERM":
    case "EACCES": {
      const disabled = readSmallFile("/proc/sys/kernel/io_uring_disabled")
        ?.trim();
      if (disabled === "2") {
        return `${why}; kernel.io_uring_disabled = 2 turns io_uring off`;
      }
      if (disabled === "1") {
        return `${why}; kernel.io_uring_disabled = 1 allows io_uring only ` +
          "to privileged processes and members of kernel.io_uring_group";
      }
      return `${why}; a seccomp profile (such as Docker's default) blocks ` +
        "io_uring";
    }
    case "ENOMEM":
      return `${why}; the locked-memory limit (ulimit -l) is too low for the ` +
        "ring";
    default:
      return why;
  }
}

/**
 * The io_uring backend, or `AioError` `ENOSYS` saying why it cannot run.
 *
 * @throws {AioError} `ENOSYS` when io_uring cannot run here.
 */
export function uringBackend(): Backend {
  const reason = uringUnavailable();
  if (reason !== undefined) {
    throw new AioError("ENOSYS", `io_uring backend unavailable: ${reason}`);
  }
  return backend;
}

const backend: Backend = {
  name: "io_uring",
  open: (path, options) => open(path, options),
};

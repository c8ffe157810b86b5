// Copyright 2026 the @concurrent/futures authors. MIT license.
// An aio request is a Future underneath: pending while queued, running while
// in flight, then finished (with the byte count or an AioError) or
// cancelled. aioSuspend and lioListio wait on these futures with `wait`.

import { Future } from "../executors/future.ts";
import type { BackendOp } from "./_backend.ts";
import { addressOf } from "./_libc.ts";
import type { FileState } from "./_file_state.ts";
import type { AioCb } from "./aio_cb.ts";
import { AioError } from "./aio_error.ts";

// Where a request is; only _queue.ts moves it.
/** In the priority queue. */
export const QUEUED = 0;
/** Taken from the queue while its file had no room; back on the next end. */
export const PARKED = 1;
/** An fsync waiting for earlier writes to end. */
export const BARRIER = 2;
/** Started on the backend. */
export const RUNNING = 3;
/** Completed, failed or cancelled. */
export const ENDED = 4;

/** One request: the aiocb's status in the request table. */
export class AioRequest extends Future<number> implements BackendOp {
  readonly opcode: BackendOp["opcode"];
  readonly buffer: Uint8Array;
  readonly offset: number;
  /**
   * `buffer.byteLength` when queued: the buffer can be detached or shrunk
   * (resizable) since, which leaves fewer bytes to move (EFAULT).
   */
  readonly nbytes: number;
  readonly cb: AioCb;
  readonly file: FileState | undefined;
  readonly prio: number;
  readonly seq: number;
  readonly notify: ((cb: AioCb) => void) | undefined;
  where: number = QUEUED;
  /** Position in the heap while queued. */
  index = -1;
  /** `aio_error`: 0, `"EINPROGRESS"`, or the error name. */
  status: 0 | string = "EINPROGRESS";
  /** `aio_return`: bytes transferred, or -1. */
  bytes = -1;
  /** Whether `aioReturn` was called. */
  returned = false;

  constructor(
    cb: AioCb,
    opcode: BackendOp["opcode"],
    file: FileState | undefined,
    buffer: Uint8Array,
    seq: number,
  ) {
    super();
    this.cb = cb;
    this.opcode = opcode;
    this.file = file;
    this.buffer = buffer;
    this.nbytes = buffer.byteLength;
    this.offset = cb.offset;
    this.prio = cb.reqprio ?? 0;
    this.seq = seq;
    this.notify = cb.notify;
  }
}

const kRequest: unique symbol = Symbol("aioRequest");
type Tagged = AioCb & { [kRequest]?: AioRequest };
// Only for aiocbs that cannot take a property (frozen or sealed ones): a
// WeakMap entry per request made the garbage collector take 45% of the time
// when every request had a fresh aiocb, halving io_uring throughput.
const untaggable: WeakMap<AioCb, AioRequest> = new WeakMap();

/** The request table: each aiocb's latest request, kept on the aiocb. */
export const requests = {
  /** The aiocb's latest request, if any. */
  get(cb: AioCb): AioRequest | undefined {
    return untaggable.get(cb) ?? (cb as Tagged)[kRequest];
  },
  /** Records the aiocb's latest request. */
  set(cb: AioCb, request: AioRequest): void {
    if (Object.hasOwn(cb, kRequest) && !Object.isFrozen(cb)) {
      // A reused aiocb (the common case): a plain store is cheaper than
      // defineProperty (a frozen one keeps its old, read-only tag).
      (cb as Tagged)[kRequest] = request;
    } else if (Object.isExtensible(cb)) {
      Object.defineProperty(cb, kRequest, {
        value: request,
        writable: true,
        configurable: true,
      });
    } else {
      untaggable.set(cb, request);
    }
  },
};

const EMPTY = new Uint8Array(0);

/**
 * Checks an aiocb for an operation; returns the error to throw or record, or
 * `undefined` when it is fine. `kind` "fsync" ignores buffer and offset.
 */
export function checkCb(
  cb: unknown,
  kind: "read" | "write" | "fsync",
  file: FileState | undefined,
): AioError | undefined {
  if (cb === null || typeof cb !== "object") {
    return new AioError("EINVAL", "The aiocb must be an object");
  }
  const { notify, reqprio, opcode } = cb as AioCb;
  if (notify !== undefined && typeof notify !== "function") {
    return new AioError("EINVAL", "'notify' must be a function");
  }
  if (
    reqprio !== undefined &&
    (typeof reqprio !== "number" || !Number.isSafeInteger(reqprio) ||
      reqprio < 0)
  ) {
    return new AioError(
      "EINVAL",
      `'reqprio' must be an integer >= 0, got ${String(reqprio)}`,
    );
  }
  if (
    opcode !== undefined && opcode !== "read" && opcode !== "write" &&
    opcode !== "nop"
  ) {
    return new AioError("EINVAL", `Unknown opcode: ${String(opcode)}`);
  }
  if (kind !== "fsync") {
    const { buffer, offset, nbytes } = cb as AioCb;
    if (!(buffer instanceof Uint8Array)) {
      return new AioError("EINVAL", "'buffer' must be a Uint8Array");
    }
    if (
      typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0
    ) {
      return new AioError(
        "EINVAL",
        `'offset' must be an integer >= 0, got ${String(offset)}`,
      );
    }
    if (
      nbytes !== undefined &&
      (typeof nbytes !== "number" || !Number.isSafeInteger(nbytes) ||
        nbytes < 0 || nbytes > buffer.byteLength)
    ) {
      return new AioError(
        "EINVAL",
        `'nbytes' must be an integer from 0 to the buffer's ${buffer.byteLength} bytes, got ${
          String(nbytes)
        }`,
      );
    }
  }
  if (file === undefined || !file.open) {
    return new AioError("EBADF", "'file' is not an open AioFile");
  }
  if (kind === "read" ? !file.canRead : !file.canWrite) {
    return new AioError(
      "EBADF",
      `The file is not open for ${kind === "read" ? "reading" : "writing"}`,
    );
  }
  const previous = requests.get(cb as AioCb);
  if (previous !== undefined && !previous.done()) {
    return new AioError("EINVAL", "The aiocb's request is still in progress");
  }
  if (file.alignment > 0 && kind !== "fsync") {
    return checkAligned(cb as AioCb, file);
  }
  return undefined;
}

// A direct file's rule: offset, length and buffer address are multiples of
// its alignment (the kernel would refuse the request with EINVAL anyway;
// this says why).
function checkAligned(cb: AioCb, file: FileState): AioError | undefined {
  const alignment = file.alignment;
  const { buffer, offset } = cb;
  const nbytes = cb.nbytes ?? buffer.byteLength;
  let what: string | undefined;
  if (offset % alignment !== 0) what = `'offset' ${offset}`;
  else if (nbytes % alignment !== 0) what = `'nbytes' ${nbytes}`;
  else if (nbytes > 0) {
    const address = addressOf(buffer);
    if (address % alignment !== 0) {
      what = `the buffer's address 0x${address.toString(16)}`;
    }
  }
  if (what === undefined) return undefined;
  return new AioError(
    "EINVAL",
    `a direct (O_DIRECT) file needs offsets, lengths and buffer addresses ` +
      `aligned to ${alignment} bytes; ${what} is not (alignedBuffer() makes ` +
      `an aligned buffer)`,
  );
}

/** The bytes a checked read or write transfers. */
export function bytesOf(cb: AioCb): Uint8Array {
  const { buffer, nbytes } = cb;
  return nbytes === undefined || nbytes === buffer.byteLength
    ? buffer
    : buffer.subarray(0, nbytes);
}

/** An empty buffer for fsync requests. */
export const NO_BYTES: Uint8Array = EMPTY;

/**
 * Records an error on an aiocb that `lioListio` could not queue (unless the
 * aiocb has a request still in progress, which keeps its status).
 */
export function recordError(cb: unknown, error: AioError): void {
  if (cb === null || typeof cb !== "object") return;
  const previous = requests.get(cb as AioCb);
  if (previous !== undefined && !previous.done()) return;
  const request = new AioRequest(
    cb as AioCb,
    "read",
    undefined,
    EMPTY,
    -1,
  );
  request.where = ENDED;
  request.status = error.code;
  request.setException(error);
  requests.set(cb as AioCb, request);
}

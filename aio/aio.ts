// Copyright 2026 the @concurrent/futures authors. MIT license.
// The POSIX functions over the request table: queue, poll, collect, cancel.

import { activeRequests, cancel, nextSeq, queuedOn, submit } from "./_queue.ts";
import {
  AioRequest,
  bytesOf,
  checkCb,
  ENDED,
  NO_BYTES,
  requests,
  RUNNING,
} from "./_request.ts";
import { settings } from "./_settings.ts";
import type { AioCb } from "./aio_cb.ts";
import { AioError } from "./aio_error.ts";
import { type AioFile, fileState } from "./aio_file.ts";
import { AIO_ALLDONE, AIO_CANCELED, AIO_NOTCANCELED } from "./constants.ts";

/**
 * Checks and queues one request; the error it returns is thrown by the
 * single-request functions and recorded by `lioListio`.
 */
export function queueRequest(
  cb: AioCb,
  kind: "read" | "write" | "fsync" | "fdatasync",
): AioError | undefined {
  const file = fileState((cb as AioCb | null)?.file);
  const error = checkCb(cb, kind === "fdatasync" ? "fsync" : kind, file);
  if (error !== undefined) return error;
  if (activeRequests() >= settings.maxRequests) {
    return new AioError(
      "EAGAIN",
      `${settings.maxRequests} requests are queued or in flight (maxRequests)`,
    );
  }
  const buffer = kind === "read" || kind === "write" ? bytesOf(cb) : NO_BYTES;
  const request = new AioRequest(cb, kind, file, buffer, nextSeq());
  requests.set(cb, request);
  submit(request);
  return undefined;
}

/**
 * Queues a read of `cb.nbytes` bytes (default the buffer's length) at
 * `cb.offset` into `cb.buffer`, as `aio_read`. It never completes before
 * returning: {@linkcode aioError} tells when it has ended, and `cb.notify`
 * runs then. A short read at the end of the file returns the bytes read; a
 * read past the end returns 0, even past the largest file the file system
 * allows. A buffer detached or shrunk (a resizable `ArrayBuffer`) before the
 * request ends makes it fail with `EFAULT`.
 *
 * @param cb The control block.
 * @throws {AioError} `EINVAL` for an invalid offset, `nbytes`, buffer,
 * `reqprio`, opcode or `notify`, or an aiocb whose request is in progress;
 * `EBADF` when `cb.file` is not an AioFile open for reading; `EAGAIN` when
 * `maxRequests` requests are queued or in flight.
 *
 * @example Usage
 * ```ts
 * import { aioOpen, aioRead, aioReturn, aioSuspend } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hello, aio");
 * await using file = await aioOpen(path);
 * const cb = { file, offset: 7, buffer: new Uint8Array(8) };
 * aioRead(cb);
 * await aioSuspend([cb]);
 * assertEquals(aioReturn(cb), 3); // a short read at the end of the file
 * await Deno.remove(path);
 * ```
 */
export function aioRead(cb: AioCb): void {
  const error = queueRequest(cb, "read");
  if (error !== undefined) throw error;
}

/**
 * Queues a write of `cb.nbytes` bytes (default the buffer's length) from
 * `cb.buffer` at `cb.offset`, as `aio_write`; in append mode the bytes go at
 * the end of the file, whole, and the offset is ignored. A write at or past
 * the largest file the file system allows (2^44 - 4 KiB on ext4) fails with
 * `EFBIG`; one that straddles it writes the bytes below it. A buffer detached
 * or shrunk before the request ends makes it fail with `EFAULT` (some bytes
 * may have reached the file).
 *
 * @param cb The control block.
 * @throws {AioError} `EINVAL` for invalid fields, `EBADF` when `cb.file` is
 * not an AioFile open for writing, `EAGAIN` when `maxRequests` is reached.
 *
 * @example Usage
 * ```ts
 * import { aioOpen, aioWrite, aioReturn, aioSuspend } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * await using file = await aioOpen(path, { write: true });
 * const cb = { file, offset: 3, buffer: new TextEncoder().encode("abc") };
 * aioWrite(cb);
 * await aioSuspend([cb]);
 * assertEquals(aioReturn(cb), 3);
 * assertEquals((await Deno.readFile(path)).length, 6);
 * await Deno.remove(path);
 * ```
 */
export function aioWrite(cb: AioCb): void {
  const error = queueRequest(cb, "write");
  if (error !== undefined) throw error;
}

/**
 * Queues a synchronisation of `cb.file` to storage, as `aio_fsync`: `"sync"`
 * (`O_SYNC`, `fsync`) or `"dsync"` (`O_DSYNC`, `fdatasync`). The request
 * ends only after every write queued before it on that file has ended.
 * Only `cb.file`, `cb.reqprio` and `cb.notify` are used.
 *
 * @param op `"sync"` or `"dsync"`.
 * @param cb The control block.
 * @throws {AioError} `EINVAL` for an unknown `op` or invalid fields,
 * `EBADF` when `cb.file` is not an AioFile open for writing, `EAGAIN` when
 * `maxRequests` is reached.
 *
 * @example Usage
 * ```ts
 * import { aioError, aioFsync, aioOpen, aioSuspend, aioWrite } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * await using file = await aioOpen(path, { write: true });
 * aioWrite({ file, offset: 0, buffer: new Uint8Array(64) });
 * const sync = { file, offset: 0, buffer: new Uint8Array(0) };
 * aioFsync("dsync", sync);
 * await aioSuspend([sync]);
 * assertEquals(aioError(sync), 0);
 * await Deno.remove(path);
 * ```
 */
export function aioFsync(op: "sync" | "dsync", cb: AioCb): void {
  if (op !== "sync" && op !== "dsync") {
    throw new AioError(
      "EINVAL",
      `'op' must be "sync" or "dsync", got ${String(op)}`,
    );
  }
  const error = queueRequest(cb, op === "sync" ? "fsync" : "fdatasync");
  if (error !== undefined) throw error;
}

function requestOf(cb: AioCb): AioRequest {
  const request = cb !== null && typeof cb === "object"
    ? requests.get(cb)
    : undefined;
  if (request === undefined) {
    throw new AioError("EINVAL", "The aiocb has no request");
  }
  return request;
}

/**
 * The status of the aiocb's request, as `aio_error`: `"EINPROGRESS"` until it
 * has ended, then `0` when it succeeded, `"ECANCELED"` when it was
 * cancelled, or the error name (`"EIO"`, `"EBADF"`, ...). It stays readable
 * after {@linkcode aioReturn}.
 *
 * @param cb The control block of a queued (or recorded) request.
 * @returns `0`, `"EINPROGRESS"`, `"ECANCELED"` or an error name.
 * @throws {AioError} `EINVAL` when the aiocb never had a request.
 *
 * @example Usage
 * ```ts
 * import { aioError, aioOpen, aioRead, aioSuspend } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * await using file = await aioOpen(path);
 * const cb = { file, offset: 0, buffer: new Uint8Array(1) };
 * aioRead(cb);
 * assertEquals(aioError(cb), "EINPROGRESS");
 * await aioSuspend([cb]);
 * assertEquals(aioError(cb), 0);
 * await Deno.remove(path);
 * ```
 */
export function aioError(cb: AioCb): 0 | string {
  const { status } = requestOf(cb);
  return status;
}

/**
 * The outcome of the aiocb's ended request, as `aio_return`: the bytes read
 * or written (0 for fsync), or -1 when it failed or was cancelled. It may be
 * called once per request.
 *
 * @param cb The control block.
 * @returns The byte count, or -1.
 * @throws {AioError} `EINVAL` when the aiocb has no request, its request is
 * still in progress, or `aioReturn` was called for it already.
 *
 * @example Usage
 * ```ts
 * import { AioError, aioOpen, aioRead, aioReturn, aioSuspend } from "@concurrent/futures";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * await using file = await aioOpen(path);
 * const cb = { file, offset: 0, buffer: new Uint8Array(4) };
 * aioRead(cb);
 * await aioSuspend([cb]);
 * assertEquals(aioReturn(cb), 0); // the file is empty
 * assertThrows(() => aioReturn(cb), AioError);
 * await Deno.remove(path);
 * ```
 */
export function aioReturn(cb: AioCb): number {
  const request = requestOf(cb);
  if (request.where !== ENDED) {
    throw new AioError("EINVAL", "The request is still in progress");
  }
  if (request.returned) {
    throw new AioError("EINVAL", "aioReturn was already called");
  }
  request.returned = true;
  return request.status === 0 ? request.bytes : -1;
}

/**
 * Cancels requests that have not started, as `aio_cancel`: the aiocb's
 * request, or with no `cb` every request on `file`. A cancelled request ends
 * at once with `ECANCELED` (`aioReturn` gives -1) and its `notify` runs.
 *
 * @param file The file.
 * @param cb One request of that file; omit for all of them.
 * @returns `"AIO_CANCELED"` when all were cancelled, `"AIO_NOTCANCELED"`
 * when one was in flight (it goes on), `"AIO_ALLDONE"` when nothing was
 * left to cancel.
 * @throws {AioError} `EBADF` when `file` is not an open AioFile; `EINVAL`
 * when `cb.file` is another file.
 *
 * @example Usage
 * ```ts
 * import { aioCancel, aioError, aioInit, aioOpen, aioRead } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * const { queueDepth } = aioInit({ queueDepth: 1 });
 * await using file = await aioOpen(path);
 * const first = { file, offset: 0, buffer: new Uint8Array(1) };
 * const second = { file, offset: 0, buffer: new Uint8Array(1) };
 * aioRead(first); // in flight
 * aioRead(second); // queued behind it
 * assertEquals(aioCancel(file, second), "AIO_CANCELED");
 * assertEquals(aioError(second), "ECANCELED");
 * assertEquals(aioCancel(file), "AIO_NOTCANCELED");
 * aioInit({ queueDepth });
 * await Deno.remove(path);
 * ```
 */
export function aioCancel(
  file: AioFile,
  cb?: AioCb,
): "AIO_CANCELED" | "AIO_NOTCANCELED" | "AIO_ALLDONE" {
  const state = fileState(file);
  if (state === undefined || !state.open) {
    throw new AioError("EBADF", "'file' is not an open AioFile");
  }
  if (cb !== undefined && cb !== null) {
    if (typeof cb !== "object") {
      throw new AioError("EINVAL", "The aiocb must be an object");
    }
    if (cb.file !== file) {
      throw new AioError("EINVAL", "The aiocb belongs to another file");
    }
    const request = requests.get(cb);
    if (request === undefined || request.file !== state) return AIO_ALLDONE;
    if (request.where === ENDED) return AIO_ALLDONE;
    if (request.where === RUNNING) return AIO_NOTCANCELED;
    cancel(request);
    return AIO_CANCELED;
  }
  const queued = queuedOn(state);
  for (const request of queued) cancel(request);
  if (state.inFlight > 0) return AIO_NOTCANCELED;
  return queued.length > 0 ? AIO_CANCELED : AIO_ALLDONE;
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// The depth-limited queue: at most `queueDepth` requests in flight (all
// files together, and at most each file's depth on that file), the rest in
// a heap ordered by reqprio (higher value, lower priority) then by arrival.
// fsync requests wait aside until every earlier write on their file ended.
// Policy lives here; the backends only move bytes.

import { errorCode } from "./_deno_backend.ts";
import type { FileState } from "./_file_state.ts";
import {
  type AioRequest,
  BARRIER,
  ENDED,
  PARKED,
  QUEUED,
  RUNNING,
} from "./_request.ts";
import { settings } from "./_settings.ts";
import { AioError } from "./aio_error.ts";
import type { AioCb } from "./aio_cb.ts";

const heap: AioRequest[] = [];
let inFlight = 0;
let active = 0;
let seq = 0;

/** Requests queued or in flight (what `maxRequests` limits). */
export function activeRequests(): number {
  return active;
}

/** The next arrival number (FIFO order among equal priorities). */
export function nextSeq(): number {
  return seq++;
}

function before(a: AioRequest, b: AioRequest): boolean {
  return a.prio < b.prio || (a.prio === b.prio && a.seq < b.seq);
}

function place(request: AioRequest, index: number): void {
  heap[index] = request;
  request.index = index;
}

function siftUp(index: number): void {
  const request = heap[index];
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (!before(request, heap[parent])) break;
    place(heap[parent], index);
    index = parent;
  }
  place(request, index);
}

function siftDown(index: number): void {
  const request = heap[index];
  const n = heap.length;
  for (;;) {
    let child = 2 * index + 1;
    if (child >= n) break;
    if (child + 1 < n && before(heap[child + 1], heap[child])) child++;
    if (!before(heap[child], request)) break;
    place(heap[child], index);
    index = child;
  }
  place(request, index);
}

function push(request: AioRequest): void {
  request.where = QUEUED;
  heap.push(request);
  siftUp(heap.length - 1);
}

function removeAt(index: number): AioRequest {
  const request = heap[index];
  const last = heap.pop()!;
  if (last !== request) {
    place(last, index);
    siftDown(index);
    siftUp(last.index);
  }
  request.index = -1;
  return request;
}

/** Queues a checked request (it counts against `maxRequests` from now on). */
export function submit(request: AioRequest): void {
  const file = request.file!;
  active++;
  if (request.opcode === "write") {
    file.writes.add(request);
  } else if (request.opcode !== "read" && file.writes.size > 0) {
    request.where = BARRIER;
    file.barriers.push(request);
    return;
  }
  enqueue(request);
}

function enqueue(request: AioRequest): void {
  const file = request.file!;
  if (
    heap.length === 0 && inFlight < settings.queueDepth &&
    file.inFlight < file.depth
  ) {
    start(request);
  } else {
    push(request);
    dispatch();
  }
}

/** Starts queued requests while there is room. */
export function dispatch(): void {
  while (heap.length > 0 && inFlight < settings.queueDepth) {
    const request = removeAt(0);
    const file = request.file!;
    if (file.inFlight >= file.depth) {
      request.where = PARKED;
      file.parked.push(request);
    } else {
      start(request);
    }
  }
}

function start(request: AioRequest): void {
  const file = request.file!;
  request.where = RUNNING;
  request.setRunningOrNotifyCancel();
  inFlight++;
  file.inFlight++;
  // Detached or shrunk while queued: the bytes are gone, nothing can move.
  if (request.buffer.byteLength < request.nbytes) {
    queueMicrotask(() => complete(request, -1, "EFAULT"));
    return;
  }
  try {
    file.backend.start(
      request,
      (bytes, error) => complete(request, bytes, error),
    );
  } catch (error) {
    queueMicrotask(() => complete(request, -1, errorCode(error)));
  }
}

function complete(request: AioRequest, bytes: number, error?: string): void {
  if (request.where !== RUNNING) return;
  const file = request.file!;
  request.where = ENDED;
  inFlight--;
  file.inFlight--;
  active--;
  if (file.parked.length > 0) {
    for (const parked of file.parked) push(parked);
    file.parked = [];
  }
  if (request.opcode === "write") release(file, request);
  dispatch();
  // Detached or shrunk while in flight: EFAULT, whatever the backend moved
  // (a write may have reached the file, a read filled what is left), so that
  // no success counts bytes the buffer no longer holds. One rule in one
  // place, so that every backend ends it alike.
  if (error === undefined && request.buffer.byteLength < request.nbytes) {
    error = "EFAULT";
  }
  if (error === undefined && bytes >= 0) {
    request.status = 0;
    request.bytes = bytes;
    request.setResult(bytes);
  } else {
    request.status = error ?? "EIO";
    request.setException(new AioError(request.status));
  }
  deliver(request, false);
  if (file.inFlight === 0) file.drained?.resolve();
}

/** A write ended: the fsyncs queued behind it may go. */
function release(file: FileState, write: AioRequest): void {
  file.writes.delete(write);
  while (file.barriers.length > 0) {
    let first: AioRequest | undefined;
    for (first of file.writes) break;
    if (first !== undefined && first.seq < file.barriers[0].seq) return;
    enqueue(file.barriers.shift()!);
  }
}

function deliver(request: AioRequest, deferred: boolean): void {
  const notify = request.notify;
  if (notify === undefined) return;
  // A cancellation happens inside the caller's aioCancel or close: notify
  // from a fresh stack then, as for any other end.
  if (deferred) queueMicrotask(() => callNotify(notify, request.cb));
  else callNotify(notify, request.cb);
}

function callNotify(notify: (cb: AioCb) => void, cb: AioCb): void {
  try {
    notify(cb);
  } catch (error) {
    // As for a Future's done callbacks: report it, and go on.
    console.error("Exception in aio notify callback:", error);
  }
}

/**
 * Cancels a request that has not started; it ends at once with ECANCELED.
 * Returns false when it is in flight or has ended.
 */
export function cancel(request: AioRequest): boolean {
  const file = request.file!;
  switch (request.where) {
    case QUEUED:
      removeAt(request.index);
      break;
    case PARKED:
      file.parked.splice(file.parked.indexOf(request), 1);
      break;
    case BARRIER:
      file.barriers.splice(file.barriers.indexOf(request), 1);
      break;
    default:
      return false;
  }
  request.where = ENDED;
  active--;
  if (request.opcode === "write") release(file, request);
  request.status = "ECANCELED";
  // Queued before the future's own callbacks (lioListio's notify) run.
  deliver(request, true);
  request.cancel();
  return true;
}

/**
 * The requests of a file that have not started: the fsyncs first, so that
 * cancelling the writes they wait on cannot start them.
 */
export function queuedOn(file: FileState): AioRequest[] {
  const queued = heap.filter((request) => request.file === file);
  queued.sort((a, b) => before(a, b) ? -1 : 1);
  return [...file.barriers, ...file.parked, ...queued];
}

/**
 * Closes a file: stops accepting requests, cancels those not started, and
 * closes the backend's file once those in flight have ended.
 */
export function closeFile(file: FileState): Promise<void> {
  if (file.closed !== undefined) return file.closed;
  file.open = false;
  for (const request of queuedOn(file)) cancel(request);
  // The backend's close resolves once every request it started has ended; it
  // may stop them early (io_uring cancels what it can with ASYNC_CANCEL, so a
  // read stuck on a FIFO cannot hold the close forever).
  file.closed = file.backend.close();
  return file.closed;
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// Messages between a ProcessPoolExecutor and its child processes travel over
// pipes as frames: a 4-byte little-endian length, then the value serialised
// with `node:v8` (V8's own structured-clone format, which carries what
// `structuredClone` does: Map, Set, Date, BigInt, typed arrays, errors...).
// One frame carries a whole batch of tasks or results, as one postMessage
// does between threads.

import { deserialize, serialize } from "node:v8";

const HEADER = 4;

/**
 * Serialises a value into a frame.
 *
 * @throws {DOMException} `DataCloneError` when the value cannot be
 * serialised (a function, a symbol, a `SharedArrayBuffer`...), as
 * `postMessage` would throw.
 */
export function encodeFrame(value: unknown): Uint8Array {
  let body: Uint8Array;
  try {
    body = serialize(value);
  } catch (error) {
    throw toDataCloneError(error);
  }
  const frame = new Uint8Array(HEADER + body.byteLength);
  new DataView(frame.buffer).setUint32(0, body.byteLength, true);
  frame.set(body, HEADER);
  return frame;
}

/** A structured clone through the frame format (what crosses a pipe). */
export function cloneThroughFrame<T>(value: T): T {
  let body: Uint8Array;
  try {
    body = serialize(value);
  } catch (error) {
    throw toDataCloneError(error);
  }
  return deserialize(body);
}

function toDataCloneError(error: unknown): DOMException {
  if (error instanceof DOMException) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DOMException(message, "DataCloneError");
}

/** Reassembles frames from the chunks a pipe delivers. */
export class FrameReader {
  #pending: Uint8Array | undefined;

  /**
   * Adds a chunk (which may be reused by the caller afterwards); returns
   * the values of the frames it completed.
   *
   * @throws {Error} A frame cannot be decoded.
   */
  push(chunk: Uint8Array): unknown[] {
    let data = chunk;
    if (this.#pending !== undefined) {
      data = new Uint8Array(this.#pending.byteLength + chunk.byteLength);
      data.set(this.#pending);
      data.set(chunk, this.#pending.byteLength);
      this.#pending = undefined;
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const values: unknown[] = [];
    let offset = 0;
    while (data.byteLength - offset >= HEADER) {
      const length = view.getUint32(offset, true);
      const end = offset + HEADER + length;
      if (end > data.byteLength) break;
      values.push(deserialize(data.subarray(offset + HEADER, end)));
      offset = end;
    }
    if (offset < data.byteLength) this.#pending = data.slice(offset);
    return values;
  }
}

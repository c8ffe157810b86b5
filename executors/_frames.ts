// Copyright 2026 the @concurrent/futures authors. MIT license.
// Messages between a ProcessPoolExecutor and its child processes travel over
// pipes as frames: a 4-byte little-endian length, then the value serialised
// by V8's own structured-clone serialiser (`node:v8`'s base `Serializer`,
// which carries what `structuredClone` does: Map, Set, Date, BigInt, errors,
// typed arrays with their offsets and shared buffers). Not `v8.serialize`:
// it writes typed arrays as Node "host objects", which come back as views
// into the frame itself (aliasing a reused read buffer, and exposing the
// whole frame as their `.buffer`). One frame carries a whole batch of tasks
// or results, as one postMessage does between threads.

import { Deserializer, Serializer } from "node:v8";

const HEADER = 4;
const PLACEHOLDER = new Uint8Array(HEADER);

function serialize(value: unknown, prefix: boolean): Uint8Array {
  const serializer = new Serializer();
  if (prefix) serializer.writeRawBytes(PLACEHOLDER);
  serializer.writeHeader();
  serializer.writeValue(value);
  return serializer.releaseBuffer();
}

function deserialize(body: Uint8Array): unknown {
  const deserializer = new Deserializer(body);
  deserializer.readHeader();
  return deserializer.readValue();
}

/**
 * Serialises a value into a frame.
 *
 * @throws {DOMException} `DataCloneError` when the value cannot be
 * serialised (a function, a symbol, a `SharedArrayBuffer`...), as
 * `postMessage` would throw.
 */
export function encodeFrame(value: unknown): Uint8Array {
  let frame: Uint8Array;
  try {
    frame = serialize(value, true);
  } catch (error) {
    throw toDataCloneError(error);
  }
  new DataView(frame.buffer, frame.byteOffset, HEADER)
    .setUint32(0, frame.byteLength - HEADER, true);
  return frame;
}

/** A structured clone through the frame format (what crosses a pipe). */
export function cloneThroughFrame<T>(value: T): T {
  let body: Uint8Array;
  try {
    body = serialize(value, false);
  } catch (error) {
    throw toDataCloneError(error);
  }
  return deserialize(body) as T;
}

function toDataCloneError(error: unknown): DOMException {
  if (error instanceof DOMException) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new DOMException(message, "DataCloneError");
}

/**
 * Reassembles frames from the chunks a pipe delivers. A frame split across
 * chunks is copied once into a buffer of its full size (a large value
 * arrives in many 64 KiB chunks: growing a buffer chunk by chunk would copy
 * it over and over).
 */
export class FrameReader {
  /** The start of a frame whose header is incomplete. */
  #head: Uint8Array | undefined;
  /** A frame whose body is incomplete, and how much of it has arrived. */
  #body: Uint8Array | undefined;
  #filled = 0;

  /**
   * Adds a chunk (which may be reused by the caller afterwards); returns
   * the values of the frames it completed.
   *
   * @throws {Error} A frame cannot be decoded.
   */
  push(chunk: Uint8Array): unknown[] {
    const values: unknown[] = [];
    let data = chunk;
    if (this.#body !== undefined) {
      const take = Math.min(
        this.#body.byteLength - this.#filled,
        data.byteLength,
      );
      this.#body.set(data.subarray(0, take), this.#filled);
      this.#filled += take;
      data = data.subarray(take);
      if (this.#filled < this.#body.byteLength) return values;
      values.push(deserialize(this.#body));
      this.#body = undefined;
    }
    if (this.#head !== undefined) {
      const joined = new Uint8Array(this.#head.byteLength + data.byteLength);
      joined.set(this.#head);
      joined.set(data, this.#head.byteLength);
      this.#head = undefined;
      data = joined;
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let offset = 0;
    while (data.byteLength - offset >= HEADER) {
      const length = view.getUint32(offset, true);
      const start = offset + HEADER;
      if (start + length > data.byteLength) {
        // Incomplete: the rest of this frame arrives in later chunks.
        this.#body = new Uint8Array(length);
        this.#body.set(data.subarray(start));
        this.#filled = data.byteLength - start;
        return values;
      }
      values.push(deserialize(data.subarray(start, start + length)));
      offset = start + length;
    }
    if (offset < data.byteLength) this.#head = data.slice(offset);
    return values;
  }
}

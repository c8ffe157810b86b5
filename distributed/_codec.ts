// Copyright 2026 the @concurrent/futures authors. MIT license.
// How arguments, results and errors travel in BullMQ's JSON job data and
// return values. `node:v8` serialisation carries what `structuredClone`
// does, but costs ~10 µs a call in Deno, as much as a Redis round trip of a
// trivial job: values that JSON round-trips exactly (finite numbers other
// than -0, strings, booleans, null, plain arrays and objects of them) go as
// JSON, everything else as base64 of `v8.serialize`.

import { deserialize, serialize } from "node:v8";
import {
  cloneFailure,
  fromWire,
  type WireError,
} from "../executors/_errors_wire.ts";
import {
  BrokenExecutorError,
  CancelledError,
  TimeoutError,
  WorkerCrashedError,
} from "../executors/errors.ts";

/** An encoded value: `"j"` + JSON, or `"v"` + base64 of `v8.serialize`. */
export type Encoded = string;

/**
 * Encodes a value; throws a `DataCloneError` `DOMException` when it cannot
 * be cloned.
 */
export function encode(value: unknown): Encoded {
  if (jsonSafe(value, 0)) return "j" + JSON.stringify(value);
  let bytes: Uint8Array;
  try {
    bytes = serialize(value);
  } catch (error) {
    const wire = cloneFailure(error) as WireError & { e: 1 };
    throw new DOMException(wire.message, "DataCloneError");
  }
  return "v" + toBase64(bytes);
}

/** Decodes what {@linkcode encode} made. */
export function decode(text: Encoded): unknown {
  if (text.charCodeAt(0) === 106 /* j */) return JSON.parse(text.slice(1));
  return deserialize(fromBase64(text.slice(1)));
}

function jsonSafe(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (value === null) return true;
      if (depth > 16) return false;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return false;
        for (let i = 0; i < value.length; i++) {
          // `in` tells a hole (which JSON turns into null) from a value.
          if (!(i in value) || !jsonSafe(value[i], depth + 1)) return false;
        }
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const key in value) {
        if (!jsonSafe((value as Record<string, unknown>)[key], depth + 1)) {
          return false;
        }
      }
      return true;
    }
    default:
      return false;
  }
}

type Base64Array = Uint8Array & { toBase64(): string };
type Base64Ctor = { fromBase64(text: string): Uint8Array };

function toBase64(bytes: Uint8Array): string {
  return (bytes as Base64Array).toBase64();
}

function fromBase64(text: string): Uint8Array {
  return (Uint8Array as unknown as Base64Ctor).fromBase64(text);
}

/** This module's own error classes, rebuilt as themselves on the client. */
const OWN_ERRORS: Record<string, new (message?: string) => Error> = {
  WorkerCrashedError,
  TimeoutError,
  CancelledError,
  BrokenExecutorError,
};

/**
 * Rebuilds a thrown value on the client: as `fromWire` does, and this
 * module's own errors (a `WorkerCrashedError` from the worker's local pool)
 * as their own classes, so that `instanceof` holds.
 */
export function reviveError(wire: WireError): unknown {
  if (wire.e === 1 && wire.ctor === "Error" && wire.name in OWN_ERRORS) {
    const error = new OWN_ERRORS[wire.name](wire.message);
    const rebuilt = fromWire({ ...wire, props: undefined }) as Error;
    Object.defineProperty(error, "stack", {
      value: rebuilt.stack,
      writable: true,
      configurable: true,
    });
    if (wire.props !== undefined) Object.assign(error, wire.props);
    return error;
  }
  return fromWire(wire);
}

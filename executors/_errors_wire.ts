// Copyright 2026 the @concurrent/futures authors. MIT license.
// How a task's error crosses the worker boundary: serialised in one place
// (`toWire`, in the worker) and rebuilt in one place (`fromWire`, in the
// pool), so that every test of error fidelity tests this one path.
//
// Structured clone alone would keep the built-in classes, `message` and
// `stack`, but turn a custom error into a plain `Error` named "Error", drop
// `cause` and own properties such as `code`, and fail on a `cause` it cannot
// clone. The wire form keeps the name, the nearest built-in class (so an
// `instanceof TypeError` check still holds for a subclass), the worker-side
// stack, a cloneable cause and cloneable own properties.

/** A thrown value on the wire. */
export type WireError =
  | { e: 0; value: unknown }
  | {
    e: 1;
    /** The class to rebuild: a key of BUILTINS, "DOMException" or "Deno.errors.X". */
    ctor: string;
    name: string;
    message: string;
    stack?: string;
    cause?: WireError;
    errors?: WireError[];
    props?: Record<string, unknown>;
  };

const BUILTINS: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

const MAX_DEPTH = 8;

/** Own properties that the wire form carries in fields of its own. */
const SKIPPED_PROPS = new Set(["name", "message", "stack", "cause", "errors"]);

/**
 * Serialises a thrown value for `postMessage`; never throws. A value that
 * cannot be cloned becomes a `DataCloneError`.
 */
export function toWire(thrown: unknown, depth = 0): WireError {
  try {
    if (!isError(thrown)) {
      structuredClone(thrown);
      return { e: 0, value: thrown };
    }
    const error = thrown as Error;
    const wire: WireError & { e: 1 } = {
      e: 1,
      ctor: constructorOf(error),
      name: String(error.name),
      message: String(error.message),
    };
    if (typeof error.stack === "string") wire.stack = error.stack;
    if (depth < MAX_DEPTH) {
      if ("cause" in error) {
        const cause = toWire(error.cause, depth + 1);
        if (!isCloneFailure(cause)) wire.cause = cause;
      }
      if (error instanceof AggregateError && Array.isArray(error.errors)) {
        wire.errors = error.errors.map((e) => toWire(e, depth + 1));
      }
    }
    for (const key of Object.keys(error)) {
      if (SKIPPED_PROPS.has(key)) continue;
      const value = (error as unknown as Record<string, unknown>)[key];
      try {
        structuredClone(value);
        (wire.props ??= {})[key] = value;
      } catch {
        // An own property that cannot be cloned is left behind.
      }
    }
    return wire;
  } catch (error) {
    return cloneFailure(error);
  }
}

/** The wire form of a `DataCloneError` for a value that cannot be sent. */
export function cloneFailure(error: unknown): WireError {
  const message = error instanceof Error
    ? error.message
    : "The value could not be cloned";
  return {
    e: 1,
    ctor: "DOMException",
    name: "DataCloneError",
    message,
    stack: error instanceof Error ? error.stack : undefined,
  };
}

function isCloneFailure(wire: WireError): boolean {
  return wire.e === 1 && wire.ctor === "DOMException" &&
    wire.name === "DataCloneError";
}

/** Rebuilds a thrown value from its wire form (in the pool). */
export function fromWire(wire: WireError): unknown {
  if (wire.e === 0) return wire.value;
  const { ctor, name, message } = wire;
  let error: Error;
  if (ctor === "DOMException") {
    error = new DOMException(message, name);
  } else if (ctor === "AggregateError") {
    error = new AggregateError((wire.errors ?? []).map(fromWire), message);
  } else if (ctor.startsWith("Deno.errors.")) {
    const Ctor = denoErrors()?.[ctor.slice("Deno.errors.".length)];
    error = Ctor === undefined ? new Error(message) : new Ctor(message);
  } else {
    error = new (BUILTINS[ctor] ?? Error)(message);
  }
  if (error.name !== name) define(error, "name", name);
  if (wire.stack !== undefined) define(error, "stack", wire.stack);
  if (wire.cause !== undefined) define(error, "cause", fromWire(wire.cause));
  if (wire.props !== undefined) Object.assign(error, wire.props);
  return error;
}

function define(error: Error, key: string, value: unknown): void {
  Object.defineProperty(error, key, {
    value,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

function isError(value: unknown): boolean {
  return value instanceof Error ||
    (typeof DOMException === "function" && value instanceof DOMException);
}

/** The nearest class the pool can rebuild, walking up the prototype chain. */
function constructorOf(error: Error): string {
  if (typeof DOMException === "function" && error instanceof DOMException) {
    return "DOMException";
  }
  const deno = denoErrorNames();
  for (
    let proto = Object.getPrototypeOf(error);
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    const ctor = proto.constructor;
    if (ctor === AggregateError) return "AggregateError";
    const denoName = deno?.get(ctor);
    if (denoName !== undefined) return `Deno.errors.${denoName}`;
    if (typeof ctor === "function" && BUILTINS[ctor.name] === ctor) {
      return ctor.name;
    }
  }
  return "Error";
}

type ErrorClasses = Record<string, new (message?: string) => Error>;

function denoErrors(): ErrorClasses | undefined {
  // deno-lint-ignore no-explicit-any
  return (globalThis as any).Deno?.errors as ErrorClasses | undefined;
}

let denoNames: Map<unknown, string> | undefined;

function denoErrorNames(): Map<unknown, string> | undefined {
  if (denoNames === undefined) {
    const errors = denoErrors();
    if (errors === undefined) return undefined;
    denoNames = new Map(
      Object.entries(errors).map(([name, ctor]) => [ctor, name]),
    );
  }
  return denoNames;
}

/** An error in a message: `Name: message`, or the value as a string. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

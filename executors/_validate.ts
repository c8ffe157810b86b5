// Copyright 2026 the @concurrent/futures authors. MIT license.
// Option checks shared by every public entry point, so that each option gets
// the same error (`TypeError` for a wrong type, `RangeError` for a bad value).

/** Checks an optional timeout in ms: a number >= 0 (Infinity means none). */
export function validateTimeout(
  value: unknown,
  name = "timeout",
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number") {
    throw new TypeError(`'${name}' must be a number, got ${typeof value}`);
  }
  if (Number.isNaN(value) || value < 0) {
    throw new RangeError(`'${name}' must be a number >= 0, got ${value}`);
  }
  return value === Infinity ? undefined : value;
}

/** Checks an optional integer option that must be at least `min`. */
export function validateInteger(
  value: unknown,
  name: string,
  min: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number") {
    throw new TypeError(`'${name}' must be a number, got ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `'${name}' must be an integer >= ${min}, got ${value}`,
    );
  }
  return value;
}

/** Checks an optional `AbortSignal`. */
export function validateSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) {
    throw new TypeError("'signal' must be an AbortSignal");
  }
  return value;
}

/** Checks that an options argument is an object (or absent). */
export function validateOptions<T extends object>(
  value: T | undefined,
  name = "options",
): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object") {
    throw new TypeError(`'${name}' must be an object, got ${typeof value}`);
  }
  return value;
}

/** Checks an optional task priority: any finite number (default 0). */
export function validatePriority(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number") {
    throw new TypeError(`'priority' must be a number, got ${typeof value}`);
  }
  if (!Number.isFinite(value)) {
    throw new RangeError(`'priority' must be a finite number, got ${value}`);
  }
  return value;
}

/** Checks an optional `maxQueue`: an integer >= 0 or Infinity (default). */
export function validateMaxQueue(value: unknown): number {
  if (value === undefined || value === Infinity) return Infinity;
  return validateInteger(value, "maxQueue", 0)!;
}

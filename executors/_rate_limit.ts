// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.
// A sliding-window rate limit: at most `max` starts in any `duration`
// milliseconds. The window keeps the times of the last `max` starts in a ring;
// a start is allowed once the oldest of them is `duration` old. The caller
// waits by a timer for the time `wait()` returns, never by polling.

import { validateInteger, validateOptions } from "./_validate.ts";

/** The `rateLimit` option of `AsyncExecutor`. */
export interface RateLimit {
  /** Starts allowed in any window: an integer >= 1. */
  max: number;
  /** The window's length in ms: a finite number > 0. */
  duration: number;
}

/**
 * Checks a `rateLimit` option.
 *
 * @param value The option as given.
 * @returns The window, or `undefined` when the option is absent.
 * @throws {TypeError} Not an object, or a field of the wrong type.
 * @throws {RangeError} `max` is not an integer >= 1, or `duration` is not a
 * finite number > 0.
 */
export function parseRateLimit(value: unknown): SlidingWindow | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`'rateLimit' must be an object, got ${typeof value}`);
  }
  const opts = validateOptions(value as RateLimit, "rateLimit");
  if (opts.max === undefined || opts.duration === undefined) {
    throw new TypeError("'rateLimit' needs both 'max' and 'duration'");
  }
  const max = validateInteger(opts.max, "rateLimit.max", 1)!;
  const duration = opts.duration;
  if (typeof duration !== "number") {
    throw new TypeError(
      `'rateLimit.duration' must be a number, got ${typeof duration}`,
    );
  }
  if (!(duration > 0) || !Number.isFinite(duration)) {
    throw new RangeError(
      `'rateLimit.duration' must be a finite number > 0, got ${duration}`,
    );
  }
  return new SlidingWindow(max, duration);
}

/** At most `max` starts in any `duration` ms. */
export class SlidingWindow {
  readonly max: number;
  readonly duration: number;
  /** The times of the last `max` starts, oldest at `#next` once full. */
  #starts: Float64Array;
  #next = 0;
  #count = 0;

  /**
   * @param max Starts allowed in any window (an integer >= 1).
   * @param duration The window's length in ms (> 0).
   */
  constructor(max: number, duration: number) {
    this.max = max;
    this.duration = duration;
    this.#starts = new Float64Array(max);
  }

  /**
   * How long until a start is allowed.
   *
   * @param now The clock (`performance.now()`).
   * @returns 0 when a start is allowed now, else the ms to wait.
   */
  wait(now: number): number {
    if (this.#count < this.max) return 0;
    const left = this.#starts[this.#next] + this.duration - now;
    return left > 0 ? left : 0;
  }

  /**
   * Counts a start (after {@linkcode SlidingWindow.wait} returned 0).
   *
   * @param now The clock, as given to `wait`.
   */
  record(now: number): void {
    this.#starts[this.#next] = now;
    if (++this.#next === this.max) this.#next = 0;
    if (this.#count < this.max) this.#count++;
  }
}

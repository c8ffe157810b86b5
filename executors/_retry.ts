// Copyright 2026 the @concurrent/futures authors. MIT license.
// Retries: the options checked once at the call, and the delay before each
// retry. Every executor (the distributed one too) uses these two functions.

import type { RetryOptions } from "./executor.ts";
import {
  validateInteger,
  validateOptions,
  validateTimeout,
} from "./_validate.ts";

/** {@linkcode RetryOptions} with every field filled in. */
export interface Retry {
  attempts: number;
  delay: number;
  backoff: "fixed" | "exponential";
  maxDelay: number;
  jitter: boolean;
}

/**
 * Checks a `retry` option: `undefined` when absent or when it allows a single
 * run (`attempts: 1`), so that callers test one thing.
 *
 * @throws {TypeError} A field of the wrong type.
 * @throws {RangeError} A number out of range.
 */
export function parseRetry(value: unknown): Retry | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`'retry' must be an object, got ${typeof value}`);
  }
  const opts = validateOptions(value as RetryOptions, "retry");
  if (opts.attempts === undefined) {
    throw new TypeError("'retry.attempts' is required");
  }
  const attempts = validateInteger(opts.attempts, "retry.attempts", 1)!;
  const delay = validateFinite(opts.delay, "retry.delay") ?? 100;
  const maxDelay = validateFinite(opts.maxDelay, "retry.maxDelay") ?? 30_000;
  const backoff = opts.backoff ?? "exponential";
  if (backoff !== "fixed" && backoff !== "exponential") {
    throw new TypeError(
      `'retry.backoff' must be "fixed" or "exponential", got ${
        String(backoff)
      }`,
    );
  }
  const jitter = opts.jitter ?? true;
  if (typeof jitter !== "boolean") {
    throw new TypeError(
      `'retry.jitter' must be a boolean, got ${typeof jitter}`,
    );
  }
  if (attempts === 1) return undefined;
  return { attempts, delay, backoff, maxDelay, jitter };
}

function validateFinite(value: unknown, name: string): number | undefined {
  const ms = validateTimeout(value, name);
  if (value === Infinity) {
    throw new RangeError(
      `'${name}' must be a finite number >= 0, got Infinity`,
    );
  }
  return ms;
}

/**
 * Milliseconds to wait after run number `failedAttempt` (1-based) failed:
 * `delay`, doubled per earlier retry with exponential backoff, capped at
 * `maxDelay`, then drawn uniformly from `[d / 2, d]` with jitter.
 *
 * @param retry The parsed options.
 * @param failedAttempt The run that just failed: 1 after the first run.
 * @param random A source of numbers in [0, 1) (for tests).
 * @returns The delay in ms.
 */
export function retryDelay(
  retry: Retry,
  failedAttempt: number,
  random: () => number = Math.random,
): number {
  let ms = retry.backoff === "exponential"
    ? retry.delay * 2 ** (failedAttempt - 1)
    : retry.delay;
  if (ms > retry.maxDelay) ms = retry.maxDelay;
  if (retry.jitter) ms = ms / 2 + random() * (ms / 2);
  return ms;
}

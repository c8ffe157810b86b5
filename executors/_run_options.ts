// Copyright 2026 the @concurrent/futures authors. MIT license.
// The options of `run`, `map` and `shutdown`, checked in one place with one
// set of messages for every executor (the distributed one included).

import type { MapOptions, RunOptions, ShutdownOptions } from "./executor.ts";
import { kFirstAttempt } from "./_internal.ts";
import { parseRetry, type Retry } from "./_retry.ts";
import {
  validateInteger,
  validateOptions,
  validatePriority,
  validateSignal,
  validateTimeout,
} from "./_validate.ts";

/** `run`'s options, checked; absent ones are `undefined`. */
export interface ParsedRun {
  signal: AbortSignal | undefined;
  /** Milliseconds from the call; `undefined` for none (or Infinity). */
  timeout: number | undefined;
  /** A non-empty transfer list, else `undefined`. */
  transfer: Transferable[] | undefined;
  priority: number;
  /** `undefined` unless more than one run is allowed. */
  retry: Retry | undefined;
  /** Milliseconds before the task may start; `undefined` for none (0). */
  delay: number | undefined;
  onProgress: ((value: unknown) => void) | undefined;
  /** The number of the first run (1 unless the distributed worker says). */
  firstAttempt: number;
}

/** The options of a plain `submit`: nothing set. */
export const NO_RUN_OPTIONS: Readonly<ParsedRun> = Object.freeze({
  signal: undefined,
  timeout: undefined,
  transfer: undefined,
  priority: 0,
  retry: undefined,
  delay: undefined,
  onProgress: undefined,
  firstAttempt: 1,
});

/**
 * Checks `run`'s options at the call.
 *
 * @throws {TypeError} An option of the wrong type.
 * @throws {RangeError} A number out of range.
 */
export function parseRunOptions(options: RunOptions | undefined): ParsedRun {
  if (options === undefined) return NO_RUN_OPTIONS;
  const opts = validateOptions(options);
  const transfer = opts.transfer;
  if (transfer !== undefined && !Array.isArray(transfer)) {
    throw new TypeError("'transfer' must be an array");
  }
  const onProgress = opts.onProgress;
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw new TypeError(
      `'onProgress' must be a function, got ${typeof onProgress}`,
    );
  }
  const delay = validateTimeout(opts.delay, "delay");
  if (opts.delay === Infinity) {
    throw new RangeError("'delay' must be a finite number >= 0, got Infinity");
  }
  const first = (opts as { [kFirstAttempt]?: number })[kFirstAttempt];
  return {
    signal: validateSignal(opts.signal),
    timeout: validateTimeout(opts.timeout),
    transfer: transfer !== undefined && transfer.length > 0
      ? transfer
      : undefined,
    priority: validatePriority(opts.priority),
    retry: parseRetry(opts.retry),
    delay: delay === 0 ? undefined : delay,
    onProgress,
    firstAttempt: validateInteger(first, "firstAttempt", 1) ?? 1,
  };
}

/** `map`'s options, checked, before the executor's defaults. */
export interface ParsedMap {
  timeout: number | undefined;
  signal: AbortSignal | undefined;
  chunksize: number;
  /** `undefined`: the executor's default. */
  buffersize: number | undefined;
  ordered: boolean;
  retry: Retry | undefined;
}

/**
 * Checks `map`'s options at the call.
 *
 * @throws {TypeError} An option of the wrong type.
 * @throws {RangeError} A number out of range.
 */
export function parseMapOptions(options: MapOptions | undefined): ParsedMap {
  const opts = validateOptions(options);
  const ordered = opts.ordered ?? true;
  if (typeof ordered !== "boolean") {
    throw new TypeError(`'ordered' must be a boolean, got ${typeof ordered}`);
  }
  return {
    timeout: validateTimeout(opts.timeout),
    signal: validateSignal(opts.signal),
    chunksize: validateInteger(opts.chunksize, "chunksize", 1) ?? 1,
    buffersize: validateInteger(opts.buffersize, "buffersize", 1),
    ordered,
    retry: parseRetry(opts.retry),
  };
}

/**
 * Checks `shutdown`'s options.
 *
 * @throws {TypeError} An option of the wrong type.
 */
export function parseShutdownOptions(
  options: ShutdownOptions | undefined,
): { wait: boolean; cancelFutures: boolean } {
  const opts = validateOptions(options);
  const wait = opts.wait ?? true;
  const cancelFutures = opts.cancelFutures ?? false;
  if (typeof wait !== "boolean") {
    throw new TypeError(`'wait' must be a boolean, got ${typeof wait}`);
  }
  if (typeof cancelFutures !== "boolean") {
    throw new TypeError(
      `'cancelFutures' must be a boolean, got ${typeof cancelFutures}`,
    );
  }
  return { wait, cancelFutures };
}

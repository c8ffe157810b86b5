// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.

import type { Future } from "./future.ts";
import type { Callable } from "./task.ts";

/**
 * Options for {@linkcode Executor.run}.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, type RunOptions } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using executor = new AsyncExecutor();
 * const options: RunOptions = { timeout: 1_000, priority: -1 };
 * assertEquals(await executor.run((n: number) => n + 1, [1], options), 2);
 * ```
 */
export interface RunOptions {
  /** Cancels the task when aborted (force-stops it if it is running). */
  signal?: AbortSignal;
  /**
   * Milliseconds the task may take from the call; then its future fails with
   * `TimeoutError` (and a running worker task is stopped).
   */
  timeout?: number;
  /** Objects moved to the worker at the call, as with `postMessage`. */
  transfer?: Transferable[];
  /**
   * Like a `nice` value: among tasks still waiting in the executor's queue,
   * a lower number starts first; equal priorities start in submission order.
   * Any finite number; default 0. Tasks already handed to a worker are not
   * reordered.
   */
  priority?: number;
  /**
   * Runs the task again when it throws or its worker dies, up to
   * `retry.attempts` runs in all (see {@linkcode RetryOptions}). A stopped run
   * (cancel, signal, timeout) is never retried; `timeout` spans every
   * attempt.
   */
  retry?: RetryOptions;
  /**
   * Milliseconds before the task may start. Meanwhile its future is
   * `pending` (cancellable), and `priority` orders it once the delay passed.
   */
  delay?: number;
  /**
   * Receives, on the caller's side and in order, the values the task reports
   * with `currentTask().progress()`; never after the future settled.
   */
  onProgress?: (value: unknown) => void;
}

/**
 * How a task is retried: the `retry` option of `run` and `map`.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, type RetryOptions } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using executor = new AsyncExecutor();
 * let calls = 0;
 * const retry: RetryOptions = { attempts: 3, delay: 1, jitter: false };
 * const value = await executor.run(() => {
 *   if (++calls < 3) throw new Error("flaky");
 *   return calls;
 * }, [], { retry });
 * assertEquals(value, 3);
 * ```
 */
export interface RetryOptions {
  /** Runs in all, the first included: an integer >= 1 (1 means no retry). */
  attempts: number;
  /** Milliseconds before the first retry; default 100. */
  delay?: number;
  /**
   * `"exponential"` (the default) doubles the delay at each retry;
   * `"fixed"` keeps it.
   */
  backoff?: "fixed" | "exponential";
  /** The cap on one delay, in milliseconds; default 30 000. */
  maxDelay?: number;
  /**
   * Draw each delay uniformly from `[delay / 2, delay]` (default `true`), so
   * that many clients do not retry in step.
   */
  jitter?: boolean;
}

/**
 * Options for an executor's `ready()`.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, type ReadyOptions } from "@concurrent/futures";
 *
 * await using executor = new AsyncExecutor({ maxQueue: 8 });
 * const options: ReadyOptions = { signal: AbortSignal.timeout(1_000) };
 * await executor.ready(options);
 * ```
 */
export interface ReadyOptions {
  /** Stops waiting (rejects with the signal's reason) when aborted. */
  signal?: AbortSignal;
}

/**
 * Durations in milliseconds over every task that ran since the executor was
 * created (`stats().waitTime`: from submit to start; `stats().runTime`: from
 * start to end). Kept in constant memory: the percentiles come from a
 * log-bucketed histogram and are within 5% (2% in fact) of the true values;
 * `count`, `mean` and `max` are exact. All 0 before any task ran.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, type TimeStats } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using executor = new AsyncExecutor();
 * await executor.submit(() => 1);
 * const runTime: TimeStats = executor.stats().runTime;
 * assertEquals(runTime.count, 1);
 * ```
 */
export interface TimeStats {
  /** Tasks measured. */
  count: number;
  /** The mean. */
  mean: number;
  /** The median. */
  p50: number;
  /** The 90th percentile. */
  p90: number;
  /** The 99th percentile. */
  p99: number;
  /** The longest. */
  max: number;
}

/**
 * The `detail` of a `WorkerPoolExecutor`'s `"workerstart"` and
 * `"workerexit"` events (`CustomEvent`s). `reason` and `error` come with
 * `"workerexit"` only.
 *
 * @example Usage
 * ```ts
 * import {
 *   type WorkerEventDetail,
 *   WorkerPoolExecutor,
 * } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const pool = new WorkerPoolExecutor({ maxWorkers: 1, name: "p" });
 * const exits: WorkerEventDetail[] = [];
 * pool.addEventListener("workerexit", (event) => {
 *   exits.push((event as CustomEvent<WorkerEventDetail>).detail);
 * });
 * await pool.submit(() => 1);
 * await pool.shutdown();
 * assertEquals(exits, [{ name: "p-1", reason: "shutdown" }]);
 * ```
 */
export interface WorkerEventDetail {
  /** The worker's name (`self.name` inside it). */
  name: string;
  /**
   * Why it exited: `"idle"` (idle past `idleTimeout`), `"recycled"`
   * (`maxTasksPerWorker` reached), `"crashed"` (it died, or closed itself),
   * `"stopped"` (terminated to stop a task: force-cancel, signal, timeout),
   * `"shutdown"` (the pool shut down, or broke).
   */
  reason?: "idle" | "recycled" | "crashed" | "stopped" | "shutdown";
  /** For a crash: what happened. */
  error?: unknown;
}

/**
 * Options for {@linkcode Executor.map}.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, type MapOptions } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using executor = new AsyncExecutor();
 * const options: MapOptions = { chunksize: 2, ordered: true };
 * const doubled = executor.map((n: number) => n * 2, [1, 2, 3], options);
 * assertEquals(await Array.fromAsync(doubled), [2, 4, 6]);
 * ```
 */
export interface MapOptions {
  /** Milliseconds, counted from the call, before `map` throws `TimeoutError`. */
  timeout?: number;
  /** Items sent per message (per task). Default 1. */
  chunksize?: number;
  /**
   * Results held pending at most (in items); an endless iterable works.
   * Default: twice the executor's parallelism, times `chunksize`, and at
   * least 128.
   */
  buffersize?: number;
  /** Yield in input order (default `true`) or in completion order. */
  ordered?: boolean;
  /** Stops the iteration and cancels what it holds when aborted. */
  signal?: AbortSignal;
  /** Retries a chunk that fails, as a whole (see {@linkcode RetryOptions}). */
  retry?: RetryOptions;
}

/**
 * Options for {@linkcode Executor.shutdown}.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, type ShutdownOptions } from "@concurrent/futures";
 *
 * const executor = new AsyncExecutor();
 * const options: ShutdownOptions = { wait: true, cancelFutures: true };
 * await executor.shutdown(options);
 * ```
 */
export interface ShutdownOptions {
  /** Resolve only after all pending and running work ended. Default `true`. */
  wait?: boolean;
  /** Cancel the work that has not started yet. Default `false`. */
  cancelFutures?: boolean;
}

/**
 * Runs callables and returns {@linkcode Future}s: the counterpart of
 * Python's `concurrent.futures.Executor`.
 *
 * @example Usage
 * ```ts
 * import {
 *   AsyncExecutor,
 *   type Executor,
 *   WorkerPoolExecutor,
 * } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * async function total(executor: Executor): Promise<number> {
 *   const futures = [1, 2, 3].map((n) => executor.submit((x: number) => x, n));
 *   return (await Promise.all(futures)).reduce((a, b) => a + b, 0);
 * }
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * await using executor = new AsyncExecutor();
 * assertEquals([await total(pool), await total(executor)], [6, 6]);
 * ```
 */
export interface Executor extends AsyncDisposable {
  /**
   * Schedules `fn(...args)`.
   *
   * @typeParam A The argument types.
   * @typeParam R The return type.
   * @param fn The callable.
   * @param args Its arguments.
   * @returns The future of its result.
   */
  submit<A extends unknown[], R>(
    fn: Callable<A, R>,
    ...args: A
  ): Future<Awaited<R>>;
  /**
   * Schedules `fn(...args)` with per-task options.
   *
   * @typeParam A The argument types.
   * @typeParam R The return type.
   * @param fn The callable.
   * @param args Its arguments, as an array.
   * @param options `signal`, `timeout`, `transfer`, `priority`, `retry`,
   * `delay`, `onProgress`.
   * @returns The future of its result.
   */
  run<A extends unknown[], R>(
    fn: Callable<A, R>,
    args: A,
    options?: RunOptions,
  ): Future<Awaited<R>>;
  /**
   * Applies `fn` to every item, lazily, with at most `buffersize` results
   * pending.
   *
   * @typeParam T The item type.
   * @typeParam R The return type.
   * @param fn The callable.
   * @param items The items (sync or async iterable, may be endless).
   * @param options `timeout`, `chunksize`, `buffersize`, `ordered`, `signal`.
   * @returns The results, in input order unless `ordered: false`.
   */
  map<T, R>(
    fn: Callable<[T], R>,
    items: Iterable<T> | AsyncIterable<T>,
    options?: MapOptions,
  ): AsyncIterableIterator<Awaited<R>>;
  /**
   * Stops accepting work and releases resources once the work is done.
   *
   * @param options `wait` and `cancelFutures`.
   * @returns A promise that resolves when shut down.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.

import type { Future } from "./future.ts";
import type { Callable } from "./task.ts";

/** Options for {@linkcode Executor.run}. */
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
}

/** Options for {@linkcode Executor.map}. */
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
}

/** Options for {@linkcode Executor.shutdown}. */
export interface ShutdownOptions {
  /** Resolve only after all pending and running work ended. Default `true`. */
  wait?: boolean;
  /** Cancel the work that has not started yet. Default `false`. */
  cancelFutures?: boolean;
}

/**
 * Runs callables and returns {@linkcode Future}s: the counterpart of
 * Python's `concurrent.futures.Executor`.
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
   * @param options `signal`, `timeout`, `transfer`.
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

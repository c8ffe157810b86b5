// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.

import { TimeoutError } from "./errors.ts";
import type { Future } from "./future.ts";
import { kAddWaiter, kFailed, kRemoveWaiter } from "./_internal.ts";
import {
  validateOptions,
  validateSignal,
  validateTimeout,
} from "./_validate.ts";

/**
 * {@linkcode wait} returns when any future finishes or is cancelled.
 *
 * @example Usage
 * ```ts
 * import { FIRST_COMPLETED, Future, wait } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const [a, b] = [new Future<number>(), new Future<number>()];
 * a.setResult(1);
 * const { done } = await wait([a, b], { returnWhen: FIRST_COMPLETED });
 * assertEquals(done, new Set([a]));
 * ```
 */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/**
 * {@linkcode wait} returns when any future fails with an error, or when all
 * are done if none fails.
 *
 * @example Usage
 * ```ts
 * import { FIRST_EXCEPTION, Future, wait } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const [a, b] = [new Future<number>(), new Future<number>()];
 * a.setException(new Error("failed"));
 * const { notDone } = await wait([a, b], { returnWhen: FIRST_EXCEPTION });
 * assertEquals(notDone, new Set([b]));
 * ```
 */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/**
 * {@linkcode wait} returns when all futures are done.
 *
 * @example Usage
 * ```ts
 * import { ALL_COMPLETED, Future, wait } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const [a, b] = [new Future<number>(), new Future<number>()];
 * a.setResult(1);
 * b.cancel();
 * const { done } = await wait([a, b], { returnWhen: ALL_COMPLETED });
 * assertEquals(done.size, 2);
 * ```
 */
export const ALL_COMPLETED = "ALL_COMPLETED";

/**
 * When {@linkcode wait} returns.
 *
 * @example Usage
 * ```ts
 * import { Future, type ReturnWhen, wait } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const returnWhen: ReturnWhen = "ALL_COMPLETED";
 * const future = new Future<number>();
 * future.setResult(1);
 * assertEquals((await wait([future], { returnWhen })).done.size, 1);
 * ```
 */
export type ReturnWhen =
  | typeof FIRST_COMPLETED
  | typeof FIRST_EXCEPTION
  | typeof ALL_COMPLETED;

/**
 * Options for {@linkcode wait}.
 *
 * @example Usage
 * ```ts
 * import { Future, wait, type WaitOptions } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const options: WaitOptions = { timeout: 1 };
 * const { notDone } = await wait([new Future()], options);
 * assertEquals(notDone.size, 1);
 * ```
 */
export interface WaitOptions {
  /** Milliseconds to wait at most; then the sets are returned as they are. */
  timeout?: number;
  /** When to return. Default {@linkcode ALL_COMPLETED}. */
  returnWhen?: ReturnWhen;
  /** Rejects with the signal's reason when aborted. */
  signal?: AbortSignal;
}

/**
 * The two sets {@linkcode wait} returns.
 *
 * @example Usage
 * ```ts
 * import { Future, wait, type WaitResult } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const future = new Future<number>();
 * future.setResult(1);
 * const result: WaitResult<number> = await wait([future]);
 * assertEquals([result.done.size, result.notDone.size], [1, 0]);
 * ```
 */
export interface WaitResult<T> {
  /** The futures that are done (finished or cancelled). */
  done: Set<Future<T>>;
  /** The futures that are not done yet. */
  notDone: Set<Future<T>>;
}

/**
 * Options for {@linkcode asCompleted}.
 *
 * @example Usage
 * ```ts
 * import {
 *   type AsCompletedOptions,
 *   asCompleted,
 *   Future,
 * } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const future = new Future<number>();
 * future.setResult(1);
 * const options: AsCompletedOptions = { timeout: 1_000 };
 * assertEquals((await Array.fromAsync(asCompleted([future], options))).length, 1);
 * ```
 */
export interface AsCompletedOptions {
  /**
   * Milliseconds, counted from the call, after which the iterator throws
   * `TimeoutError` if futures are left.
   */
  timeout?: number;
  /** Stops the iteration (throws the signal's reason) when aborted. */
  signal?: AbortSignal;
}

/**
 * Waits for futures, as Python's `concurrent.futures.wait`.
 *
 * @typeParam T The futures' value type.
 * @param futures The futures; duplicates count once.
 * @param options `timeout` (ms), `returnWhen` and `signal`.
 * @returns The `done` and `notDone` sets. A timeout is not an error: the sets
 * are returned as they are then.
 * @throws {RangeError} `timeout` is negative or `returnWhen` is unknown.
 * @throws {TypeError} An option has the wrong type.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, FIRST_COMPLETED, wait } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using executor = new AsyncExecutor();
 * const fast = executor.submit(() => "fast");
 * const slow = executor.submit(() => new Promise((r) => setTimeout(r, 50)));
 * const { done } = await wait([fast, slow], { returnWhen: FIRST_COMPLETED });
 * assertEquals(done.has(fast), true);
 * await slow;
 * ```
 */
export async function wait<T>(
  futures: Iterable<Future<T>>,
  options?: WaitOptions,
): Promise<WaitResult<T>> {
  const opts = validateOptions(options);
  const timeout = validateTimeout(opts.timeout);
  const signal = validateSignal(opts.signal);
  const returnWhen = opts.returnWhen ?? ALL_COMPLETED;
  if (
    returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION &&
    returnWhen !== ALL_COMPLETED
  ) {
    throw new RangeError(`Unknown 'returnWhen': ${String(returnWhen)}`);
  }
  const all = new Set(futures);
  const done = new Set<Future<T>>();
  const notDone = new Set<Future<T>>();
  for (const f of all) (f.done() ? done : notDone).add(f);

  const satisfied = (): boolean => {
    if (notDone.size === 0) return true;
    if (returnWhen === FIRST_COMPLETED) return done.size > 0;
    if (returnWhen === FIRST_EXCEPTION) {
      for (const f of done) if (isFailed(f)) return true;
    }
    return false;
  };
  if (satisfied() || timeout === 0) return { done, notDone };
  signal?.throwIfAborted();

  await new Promise<void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      for (const f of notDone) f[kRemoveWaiter](onDone);
    };
    const onAbort = () => {
      cleanup();
      reject(signal!.reason);
    };
    const onDone = (f: Future<T>) => {
      notDone.delete(f);
      done.add(f);
      if (
        notDone.size === 0 || returnWhen === FIRST_COMPLETED ||
        (returnWhen === FIRST_EXCEPTION && isFailed(f))
      ) {
        cleanup();
        resolve();
      }
    };
    for (const f of notDone) f[kAddWaiter](onDone);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeout !== undefined) {
      timer = setTimeout(() => {
        cleanup();
        resolve();
      }, timeout);
    }
  });
  return { done, notDone };
}

/**
 * Yields futures as they complete (finished or cancelled), as Python's
 * `concurrent.futures.as_completed`: those already done first, each future
 * once. It yields the `Future` objects themselves, never their values.
 *
 * Mind TypeScript here: it types the variable of `for await` as the awaited
 * element type, so in `for await (const future of asCompleted(futures))`
 * `future` is typed `T` although it is the `Future` at run time. `await
 * future` is right under both views (the value, or the task's error thrown);
 * to use the `Future` itself, call `next()` yourself or cast
 * (`future as unknown as Future<T>`).
 *
 * @typeParam T The futures' value type.
 * @param futures The futures; duplicates are yielded once.
 * @param options `timeout` (ms, from the call) and `signal`.
 * @returns An async iterator of the futures.
 * @throws {TimeoutError} From the iterator, when the timeout passes with
 * futures left.
 * @throws {RangeError} `timeout` is negative.
 *
 * @example Usage
 * ```ts
 * import { asCompleted, AsyncExecutor } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using executor = new AsyncExecutor();
 * const futures = [3, 1, 2].map((n) =>
 *   executor.submit(() => new Promise<number>((r) => setTimeout(() => r(n), n)))
 * );
 * const values: number[] = [];
 * for await (const future of asCompleted(futures)) values.push(await future);
 * assertEquals(values.length, 3);
 * ```
 */
export function asCompleted<T>(
  futures: Iterable<Future<T>>,
  options?: AsCompletedOptions,
): AsyncIterableIterator<Future<T>> {
  const opts = validateOptions(options);
  const timeout = validateTimeout(opts.timeout);
  const signal = validateSignal(opts.signal);
  return new AsCompletedIterator(new Set(futures), timeout, signal);
}

class AsCompletedIterator<T> implements AsyncIterableIterator<Future<T>> {
  #ready: Future<T>[] = [];
  #pending = new Set<Future<T>>();
  #deadline: number | undefined;
  #signal: AbortSignal | undefined;
  #wake: (() => void) | undefined;
  #finished = false;
  #queue: Promise<unknown> = Promise.resolve();
  #onDone = (f: Future<T>) => {
    this.#pending.delete(f);
    this.#ready.push(f);
    this.#wake?.();
  };

  constructor(
    futures: Set<Future<T>>,
    timeout: number | undefined,
    signal: AbortSignal | undefined,
  ) {
    this.#signal = signal;
    if (timeout !== undefined) this.#deadline = performance.now() + timeout;
    for (const f of futures) {
      if (f.done()) this.#ready.push(f);
      else this.#pending.add(f);
    }
    for (const f of this.#pending) f[kAddWaiter](this.#onDone);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Future<T>> {
    return this;
  }

  next(): Promise<IteratorResult<Future<T>>> {
    // Overlapping calls (nobody has to await one before the next) are served
    // one at a time, in order: each one waits for its own future.
    const result = this.#queue.then(() => this.#next());
    this.#queue = result.catch(() => {});
    return result;
  }

  async #next(): Promise<IteratorResult<Future<T>>> {
    if (this.#finished) return { done: true, value: undefined };
    if (this.#signal?.aborted) {
      this.#close();
      throw this.#signal.reason;
    }
    if (this.#ready.length === 0 && this.#pending.size > 0) {
      try {
        await this.#waitForOne();
      } catch (error) {
        this.#close();
        throw error;
      }
    }
    const value = this.#ready.shift();
    if (value === undefined) {
      this.#close();
      return { done: true, value: undefined };
    }
    return { done: false, value };
  }

  return(): Promise<IteratorResult<Future<T>>> {
    this.#close();
    return Promise.resolve({ done: true, value: undefined });
  }

  #waitForOne(): Promise<void> {
    this.#signal?.throwIfAborted();
    const remaining = this.#deadline === undefined
      ? undefined
      : this.#deadline - performance.now();
    if (remaining !== undefined && remaining <= 0) {
      throw new TimeoutError(
        `${this.#pending.size} (of the given) futures unfinished`,
      );
    }
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const signal = this.#signal;
      const settle = (error?: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#wake = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      const onAbort = () => settle(signal!.reason);
      this.#wake = () => settle();
      signal?.addEventListener("abort", onAbort, { once: true });
      if (remaining !== undefined) {
        timer = setTimeout(
          () =>
            settle(
              new TimeoutError(
                `${this.#pending.size} (of the given) futures unfinished`,
              ),
            ),
          remaining,
        );
      }
    });
  }

  #close(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const f of this.#pending) f[kRemoveWaiter](this.#onDone);
    this.#pending.clear();
    this.#ready = [];
    // A `next()` waiting now ends (done) instead of hanging.
    this.#wake?.();
  }
}

function isFailed<T>(future: Future<T>): boolean {
  return future.state === "finished" && future[kFailed]();
}

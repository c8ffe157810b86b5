// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.

import { CancelledError, InvalidStateError, TimeoutError } from "./errors.ts";
import {
  kAddWaiter,
  kCancelHook,
  kFailed,
  kForceCancel,
  kOutcome,
  kRemoveWaiter,
} from "./_internal.ts";
import {
  validateOptions,
  validateSignal,
  validateTimeout,
} from "./_validate.ts";

// The states as stored; `state` names them.
const PENDING = 0;
const RUNNING = 1;
const CANCELLED = 2;
const FINISHED = 3;
const FAILED = 4;
type State =
  | typeof PENDING
  | typeof RUNNING
  | typeof CANCELLED
  | typeof FINISHED
  | typeof FAILED;
const STATE_NAMES: readonly FutureState[] = [
  "pending",
  "running",
  "cancelled",
  "finished",
  "finished",
];

/**
 * The states of a {@linkcode Future}.
 *
 * @example Usage
 * ```ts
 * import { Future, type FutureState } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const future = new Future<number>();
 * const states: FutureState[] = [future.state];
 * future.setRunningOrNotifyCancel();
 * states.push(future.state);
 * future.setResult(1);
 * states.push(future.state);
 * assertEquals(states, ["pending", "running", "finished"]);
 * ```
 */
export type FutureState = "pending" | "running" | "cancelled" | "finished";

/**
 * Options for {@linkcode Future.result} and {@linkcode Future.exception}.
 *
 * @example Usage
 * ```ts
 * import { Future, type ResultOptions, TimeoutError } from "@concurrent/futures";
 * import { assertRejects } from "@std/assert";
 *
 * const options: ResultOptions = { timeout: 1 };
 * await assertRejects(() => new Future().result(options), TimeoutError);
 * ```
 */
export interface ResultOptions {
  /**
   * Milliseconds to wait before rejecting with `TimeoutError`. The future
   * itself is not cancelled by a timeout. Default: wait forever.
   */
  timeout?: number;
  /** Stops waiting (rejects with the signal's reason) when aborted. */
  signal?: AbortSignal;
}

/**
 * Options for {@linkcode Future.cancel}.
 *
 * @example Usage
 * ```ts
 * import { type CancelOptions, Future } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const options: CancelOptions = { force: false };
 * assertEquals(new Future().cancel(options), true);
 * ```
 */
export interface CancelOptions {
  /**
   * Also stop a task that is already running, where the executor can (a
   * worker task: its worker is terminated and replaced). Default `false`.
   */
  force?: boolean;
}

/**
 * The eventual outcome of a unit of work, as `concurrent.futures.Future` in
 * Python: a small state machine (`pending` → `running` → `finished`, or
 * `cancelled`) that settles exactly once. It is also a `PromiseLike`, so
 * `await future` gives the value or throws the error.
 *
 * Executors create futures; a producer of your own may create one with
 * `new Future()` and complete it with {@linkcode Future.setResult} or
 * {@linkcode Future.setException}.
 *
 * @typeParam T The type of the value.
 *
 * @example Usage
 * ```ts
 * import { Future } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const future = new Future<number>();
 * setTimeout(() => future.setResult(42), 1);
 * assertEquals(await future, 42);
 * assertEquals(future.state, "finished");
 * ```
 */
export class Future<T> implements PromiseLike<T> {
  // Every task has a Future, and a backlog keeps thousands alive: six
  // fields (a small integer state, one slot for the value or the error, the
  // rarely used parts allocated on demand) keep what the garbage collector
  // must copy small.
  #state: State = PENDING;
  #result: unknown;
  #deferred: Deferred<T> | Promise<T> | undefined;
  #listeners: Listeners | undefined;
  #forceCancel: (() => boolean) | undefined;
  #cancelHook: { cancelled(wasPending: boolean): void } | undefined;

  /**
   * The current state.
   *
   * @returns `"pending"`, `"running"`, `"cancelled"` or `"finished"`.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * assertEquals(new Future().state, "pending");
   * ```
   */
  get state(): FutureState {
    return STATE_NAMES[this.#state];
  }

  /**
   * Attempts to cancel the work. A pending future becomes cancelled; a
   * running or finished one is left alone, unless `force` is given and the
   * executor can stop the running task.
   *
   * @param options `force: true` also stops a running worker task.
   * @returns `true` when the future is (now) cancelled, `false` otherwise.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assert } from "@std/assert";
   *
   * const future = new Future<number>();
   * assert(future.cancel());
   * assert(future.cancelled());
   * ```
   */
  cancel(options?: CancelOptions): boolean {
    const { force = false } = validateOptions(options);
    if (this.#state === CANCELLED) return true;
    if (this.#state > CANCELLED) return false;
    const wasPending = this.#state === PENDING;
    if (this.#state === RUNNING) {
      if (!force || this.#forceCancel === undefined) return false;
      const stop = this.#forceCancel;
      this.#forceCancel = undefined;
      // The executor may have completed the future while stopping it.
      const stopped = stop();
      const now = this.#state as State;
      if (!stopped || now !== RUNNING) return now === CANCELLED;
    }
    this.#state = CANCELLED;
    this.#complete();
    this.#cancelHook?.cancelled(wasPending);
    return true;
  }

  /**
   * Whether the future was cancelled.
   *
   * @returns `true` when cancelled.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assertFalse } from "@std/assert";
   *
   * assertFalse(new Future().cancelled());
   * ```
   */
  cancelled(): boolean {
    return this.#state === CANCELLED;
  }

  /**
   * Whether the work is running now.
   *
   * @returns `true` when running.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assert } from "@std/assert";
   *
   * const future = new Future();
   * future.setRunningOrNotifyCancel();
   * assert(future.running());
   * ```
   */
  running(): boolean {
    return this.#state === RUNNING;
  }

  /**
   * Whether the future is done: finished (with a value or an error) or
   * cancelled.
   *
   * @returns `true` when done.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assert } from "@std/assert";
   *
   * const future = new Future<string>();
   * future.setResult("ok");
   * assert(future.done());
   * ```
   */
  done(): boolean {
    return this.#state >= CANCELLED;
  }

  /**
   * Waits for the value.
   *
   * @param options `timeout` in ms and an abort `signal` for the wait.
   * @returns The value.
   * @throws {CancelledError} The future was cancelled.
   * @throws {TimeoutError} The timeout elapsed first (the future goes on).
   * @throws {unknown} The task's own error, or the signal's reason.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * const future = new Future<number>();
   * future.setResult(7);
   * assertEquals(await future.result({ timeout: 100 }), 7);
   * ```
   */
  async result(options?: ResultOptions): Promise<T> {
    await this.#waitDone(options);
    return this.#outcome();
  }

  /**
   * Waits for the future and gives its error, or `undefined` when it
   * succeeded.
   *
   * @param options `timeout` in ms and an abort `signal` for the wait.
   * @returns The error the work failed with, or `undefined`.
   * @throws {CancelledError} The future was cancelled.
   * @throws {TimeoutError} The timeout elapsed first.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * const future = new Future<number>();
   * future.setException(new Error("boom"));
   * assertEquals((await future.exception() as Error).message, "boom");
   * ```
   */
  async exception(options?: ResultOptions): Promise<unknown> {
    await this.#waitDone(options);
    if (this.#state === CANCELLED) throw new CancelledError();
    return this.#state === FAILED ? this.#result : undefined;
  }

  /**
   * Adds a callback that runs once the future is done (finished or
   * cancelled), in the order added; synchronously, at once, when it is done
   * already. A callback that throws is reported and does not stop the others.
   *
   * @param fn The callback; it receives this future.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * const seen: string[] = [];
   * const future = new Future<number>();
   * future.addDoneCallback((f) => seen.push(f.state));
   * future.setResult(1);
   * assertEquals(seen, ["finished"]);
   * ```
   */
  addDoneCallback(fn: (future: Future<T>) => void): void {
    if (typeof fn !== "function") {
      throw new TypeError("'fn' must be a function");
    }
    if (this.done()) {
      runCallback(fn, this);
    } else {
      const listeners = this.#listeners ??= new Listeners();
      (listeners.callbacks ??= []).push(fn as Callback);
    }
  }

  /**
   * Attaches callbacks for the outcome, as `Promise.prototype.then`: this is
   * what makes `await future` work.
   *
   * @typeParam R1 The type the fulfilment handler returns.
   * @typeParam R2 The type the rejection handler returns.
   * @param onfulfilled Called with the value.
   * @param onrejected Called with the error (`CancelledError` if cancelled).
   * @returns A promise of what the handler returns.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * const future = new Future<number>();
   * future.setResult(2);
   * assertEquals(await future.then((n) => n * 2), 4);
   * ```
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#asPromise().then(onfulfilled, onrejected);
  }

  /**
   * Attaches a rejection handler, as `Promise.prototype.catch` does on the
   * future's outcome.
   *
   * @typeParam R The type the handler returns.
   * @param onrejected Called with the error (`CancelledError` if cancelled).
   * @returns A promise of the value, or of what the handler returns.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * const future = new Future<number>();
   * future.setException(new Error("boom"));
   * assertEquals(await future.catch((error) => (error as Error).message), "boom");
   * ```
   */
  catch<R = never>(
    onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<T | R> {
    return this.#asPromise().catch(onrejected);
  }

  /**
   * Attaches a handler called once the future is done, however it ended, as
   * `Promise.prototype.finally` does.
   *
   * @param onfinally Called with no argument once the future is done.
   * @returns A promise that settles as the future did (or rejects with what
   * the handler throws).
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * const future = new Future<number>();
   * future.setResult(1);
   * let cleaned = false;
   * assertEquals(await future.finally(() => cleaned = true), 1);
   * assertEquals(cleaned, true);
   * ```
   */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.#asPromise().finally(onfinally);
  }

  /**
   * Marks the future as running, as an executor does just before it starts
   * the work; or, when the future was cancelled meanwhile, says so.
   *
   * @returns `false` when the future was cancelled (do not run the work),
   * `true` when it is now running.
   * @throws {InvalidStateError} The future is running or finished already.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assert } from "@std/assert";
   *
   * const future = new Future();
   * assert(future.setRunningOrNotifyCancel());
   * ```
   */
  setRunningOrNotifyCancel(): boolean {
    if (this.#state === CANCELLED) return false;
    if (this.#state === PENDING) {
      this.#state = RUNNING;
      return true;
    }
    throw new InvalidStateError(`Future in unexpected state: ${this.state}`);
  }

  /**
   * Completes the future with a value and runs its done callbacks.
   *
   * @param value The value.
   * @throws {InvalidStateError} The future is done already.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * const future = new Future<number>();
   * future.setResult(3);
   * assertEquals(await future, 3);
   * ```
   */
  setResult(value: T): void {
    if (this.done()) {
      throw new InvalidStateError(`Future is already ${this.state}`);
    }
    this.#result = value;
    this.#state = FINISHED;
    this.#complete();
  }

  /**
   * Completes the future with an error and runs its done callbacks.
   *
   * @param error The error (any value).
   * @throws {InvalidStateError} The future is done already.
   *
   * @example Usage
   * ```ts
   * import { Future } from "@concurrent/futures";
   * import { assertRejects } from "@std/assert";
   *
   * const future = new Future<number>();
   * future.setException(new RangeError("too big"));
   * await assertRejects(() => future.result(), RangeError, "too big");
   * ```
   */
  setException(error: unknown): void {
    if (this.done()) {
      throw new InvalidStateError(`Future is already ${this.state}`);
    }
    this.#result = error;
    this.#state = FAILED;
    this.#complete();
  }

  /**
   * Installs the executor's way to stop this future's running task.
   *
   * @ignore
   */
  [kForceCancel](stop: (() => boolean) | undefined): void {
    this.#forceCancel = stop;
  }

  /**
   * Installs the object told when the future is cancelled.
   *
   * @ignore
   */
  [kCancelHook](hook: { cancelled(wasPending: boolean): void }): void {
    this.#cancelHook = hook;
  }

  /**
   * Whether the future finished with an error.
   *
   * @ignore
   */
  [kFailed](): boolean {
    return this.#state === FAILED;
  }

  /**
   * The outcome, read synchronously; `undefined` while not done.
   *
   * @ignore
   */
  [kOutcome]():
    | { ok: true; value: T }
    | { ok: false; error: unknown }
    | undefined {
    switch (this.#state) {
      case CANCELLED:
        return { ok: false, error: new CancelledError() };
      case FAILED:
        return { ok: false, error: this.#result };
      case FINISHED:
        return { ok: true, value: this.#result as T };
    }
    return undefined;
  }

  /**
   * Adds a removable completion listener; returns false if already done.
   *
   * @ignore
   */
  [kAddWaiter](fn: (f: Future<T>) => void): boolean {
    if (this.done()) return false;
    const listeners = this.#listeners ??= new Listeners();
    (listeners.waiters ??= new Set()).add(fn as Callback);
    return true;
  }

  /**
   * Removes a listener added with `kAddWaiter`.
   *
   * @ignore
   */
  [kRemoveWaiter](fn: (f: Future<T>) => void): void {
    this.#listeners?.waiters?.delete(fn as Callback);
  }

  #outcome(): T {
    if (this.#state === CANCELLED) throw new CancelledError();
    if (this.#state === FAILED) throw this.#result;
    return this.#result as T;
  }

  #asPromise(): Promise<T> {
    const deferred = this.#deferred;
    if (deferred !== undefined) {
      return deferred instanceof Promise ? deferred : deferred.promise;
    }
    if (this.done()) {
      // Already settled: a settled promise, no resolver functions to make.
      let promise: Promise<T>;
      try {
        promise = Promise.resolve(this.#outcome());
      } catch (error) {
        promise = Promise.reject(error);
      }
      this.#deferred = promise;
      return promise;
    }
    const pending = Promise.withResolvers<T>();
    this.#deferred = pending;
    return pending.promise;
  }

  #complete(): void {
    this.#forceCancel = undefined;
    const deferred = this.#deferred;
    if (deferred !== undefined && !(deferred instanceof Promise)) {
      if (this.#state === CANCELLED) deferred.reject(new CancelledError());
      else if (this.#state === FAILED) deferred.reject(this.#result);
      else deferred.resolve(this.#result);
      this.#deferred = deferred.promise;
    }
    const listeners = this.#listeners;
    if (listeners === undefined) return;
    this.#listeners = undefined;
    // The executor's own waiters (wait, asCompleted, result) first.
    if (listeners.waiters !== undefined) {
      for (const fn of listeners.waiters) runCallback(fn, this);
    }
    if (listeners.callbacks !== undefined) {
      for (const fn of listeners.callbacks) runCallback(fn, this);
    }
  }

  #waitDone(options: ResultOptions | undefined): Promise<void> | void {
    const opts = validateOptions(options);
    const timeout = validateTimeout(opts.timeout);
    const signal = validateSignal(opts.signal);
    if (this.done()) return;
    signal?.throwIfAborted();
    if (timeout === 0) throw new TimeoutError();
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => finish(signal!.reason, true);
      const onDone = () => finish(undefined, false);
      const finish = (reason: unknown, failed: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this[kRemoveWaiter](onDone);
        if (failed) reject(reason);
        else resolve();
      };
      this[kAddWaiter](onDone);
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeout !== undefined) {
        timer = setTimeout(() => finish(new TimeoutError(), true), timeout);
      }
    });
  }
}

// Callbacks are stored with `T` erased from parameter positions, so that
// Future stays covariant: a `Future<string>` is a `Future<unknown>` (e.g.
// for `wait`).
type Callback = (f: Future<unknown>) => void;

// Methods, not function properties: their parameters stay bivariant (see
// Callback).
interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: unknown): void;
  reject(reason: unknown): void;
}

class Listeners {
  waiters: Set<Callback> | undefined = undefined;
  callbacks: Callback[] | undefined = undefined;
}

function runCallback<T>(fn: (f: Future<T>) => void, future: Future<T>): void {
  try {
    fn(future);
  } catch (error) {
    // Never let one callback's failure stop the others or the producer; a
    // global `reportError` would end the process in Deno.
    console.error("Exception in Future done callback:", error);
  }
}

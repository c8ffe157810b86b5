// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.
// `maxQueue` for every executor: admit or refuse a submit, `ready()`, and
// the "drain" event.
//
// What counts is the tasks that would really wait: those pending beyond the
// capacity still free (a task submitted to an idle executor is `pending`
// only until the next microtask, when it starts). So `maxQueue: 0` means
// "start at once or refuse", and `ready()` resolves exactly when a submit
// would be admitted. The executor computes that count; this helper keeps the
// rest.

import { QueueFullError } from "./errors.ts";

interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** The `maxQueue` bookkeeping of one executor. */
export class Backpressure {
  /** `maxQueue`. */
  readonly limit: number;
  /**
   * Set once the waiting tasks reached the limit; cleared (with a "drain"
   * event) when they fall below it. Executors test it on their hot paths.
   */
  full = false;
  readonly #target: EventTarget;
  #waiters: Waiter[] = [];

  /**
   * @param limit `maxQueue` (Infinity: no limit).
   * @param target Where "drain" is dispatched.
   */
  constructor(limit: number, target: EventTarget) {
    this.limit = limit;
    this.#target = target;
  }

  /** Before a submit: throws QueueFullError when `waiting` leaves no room. */
  admit(waiting: number): void {
    if (waiting >= this.limit) {
      this.full = true;
      throw new QueueFullError(
        `${waiting} tasks are waiting already (maxQueue: ${this.limit})`,
      );
    }
  }

  /** After the count may have grown. */
  grew(waiting: number): void {
    if (waiting >= this.limit) this.full = true;
  }

  /** After the count may have fallen (call only while `full`). */
  fell(waiting: number): void {
    if (waiting >= this.limit) return;
    this.full = false;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      waiter.signal?.removeEventListener("abort", waiter.onAbort!);
      waiter.resolve();
    }
    this.#target.dispatchEvent(new Event("drain"));
  }

  /**
   * `ready()`: resolves once `waiting` falls below the limit.
   *
   * @param waiting The tasks waiting now.
   * @param signal Stops waiting when aborted.
   */
  wait(waiting: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (waiting < this.limit) return Promise.resolve();
    this.full = true;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
    if (signal !== undefined) {
      waiter.onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(signal.reason);
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
    }
    this.#waiters.push(waiter);
    return promise;
  }

  /** Rejects every `ready()` still waiting (shutdown began, or broke). */
  close(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      waiter.signal?.removeEventListener("abort", waiter.onAbort!);
      waiter.reject(error);
    }
  }
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.

import { ExecutorShutdownError, TimeoutError } from "./errors.ts";
import type {
  Executor,
  MapOptions,
  ReadyOptions,
  RunOptions,
  ShutdownOptions,
  TimeStats,
} from "./executor.ts";
import { Future } from "./future.ts";
import { type Callable, Task } from "./task.ts";
import { kCancelHook, kForceCancel } from "./_internal.ts";
import { type MapHost, mapImpl, type Settled } from "./_map.ts";
import {
  validateInteger,
  validateMaxQueue,
  validateOptions,
  validatePriority,
  validateSignal,
  validateTimeout,
} from "./_validate.ts";
import { parseShutdownOptions } from "./_run_options.ts";
import { PoolQueue } from "./_pool_queue.ts";
import { type Moment, TimeHistogram, Utilization } from "./_stats.ts";
import { Backpressure } from "./_backpressure.ts";

/**
 * Options for the {@linkcode AsyncExecutor} constructor.
 *
 * @example Usage
 * ```ts
 * import {
 *   AsyncExecutor,
 *   type AsyncExecutorOptions,
 * } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const options: AsyncExecutorOptions = { maxConcurrency: 4, maxQueue: 100 };
 * await using executor = new AsyncExecutor(options);
 * assertEquals(executor.maxConcurrency, 4);
 * ```
 */
export interface AsyncExecutorOptions {
  /**
   * How many calls may be in flight at once (an integer >= 1). Default `32`:
   * the cap of Python's `ThreadPoolExecutor` default. The work here waits on
   * I/O rather than occupying a CPU, so the number of cores does not bound
   * it; what does is what the work holds open (sockets, file handles, a
   * server's patience).
   */
  maxConcurrency?: number;
  /**
   * The most tasks that may wait for a free slot at once (an integer >= 0,
   * or `Infinity`, the default). A `submit`/`run` beyond it throws
   * `QueueFullError` and queues nothing; `map` waits for room instead.
   */
  maxQueue?: number;
}

/**
 * A snapshot of an {@linkcode AsyncExecutor}'s state.
 *
 * @example Usage
 * ```ts
 * import {
 *   AsyncExecutor,
 *   type AsyncExecutorStats,
 * } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using executor = new AsyncExecutor();
 * await executor.submit(() => 1);
 * const stats: AsyncExecutorStats = executor.stats();
 * assertEquals([stats.completed, stats.runTime.count], [1, 1]);
 * ```
 */
export interface AsyncExecutorStats {
  /** Tasks waiting for a slot. */
  queued: number;
  /**
   * Calls in flight (a force-cancelled or timed-out call still counts until
   * it ends: it keeps its slot).
   */
  running: number;
  /** Tasks that finished with a value. */
  completed: number;
  /** Tasks that finished with an error (timeouts included). */
  failed: number;
  /** Tasks cancelled. */
  cancelled: number;
  /** From submit to start, over every task that ran. */
  waitTime: TimeStats;
  /** From start to end, over every task that ran. */
  runTime: TimeStats;
  /** The share (0 to 1) of `maxConcurrency` busy since creation. */
  utilization: number;
}

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

/** How the executor hears that a task was cancelled (see kCancelHook). */
interface TaskOwner {
  cancelled(wasPending: boolean): void;
}

/** A task of priority 0 in the fast queue (see #fast). */
interface FastItem {
  readonly future: Future<unknown>;
  readonly fn: AnyFunction | Task;
  readonly args: unknown[];
  /** When submitted (a turn's submits share one). */
  readonly submitted: Moment;
}

/** A task waiting in the queue, then running. */
class WorkItem {
  readonly future: Future<unknown>;
  readonly fn: AnyFunction | Task;
  readonly args: unknown[];
  readonly priority: number;
  /** When submitted (a turn's submits share one). */
  readonly moment: Moment;

  constructor(
    future: Future<unknown>,
    fn: AnyFunction | Task,
    args: unknown[],
    priority: number,
    moment: Moment,
  ) {
    this.future = future;
    this.fn = fn;
    this.args = args;
    this.priority = priority;
    this.moment = moment;
  }

  /**
   * Only PoolQueue.unshift reads it, which this executor never calls (it
   * puts nothing back): no field per task for it.
   */
  get seq(): number {
    return 0;
  }
}

const DEFAULT_MAX_CONCURRENCY = 32;
/**
 * The longest stretch (ms) of starting and finishing tasks before the
 * executor gives the event loop a turn (the contract says about 20 ms).
 */
const SLICE_MS = 15;

/**
 * Runs (async) functions on the calling thread with at most
 * `maxConcurrency` calls in flight, in FIFO order: the counterpart of
 * Python's `ThreadPoolExecutor` for I/O-bound work. Closures are allowed, and
 * arguments are passed by reference (nothing is cloned). A {@linkcode Task}
 * is imported with `import()` and its export called.
 *
 * A call starts in a microtask after `submit`/`run`, never inside it, so a
 * new future is always `pending` first and can still be cancelled. A function
 * that throws or rejects fails only its own future.
 *
 * A running function cannot be interrupted on the event loop. So
 * `cancel({ force: true })`, an aborted `signal` and a `timeout` settle a
 * running task's future at once (cancelled, cancelled, `TimeoutError`) and
 * drop the function's eventual result, but the function itself runs on and
 * keeps its slot until it settles: `maxConcurrency` bounds the work really in
 * flight, and `shutdown({ wait: true })` waits for it.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using executor = new AsyncExecutor({ maxConcurrency: 4 });
 * const lengths = executor.map(
 *   async (word: string) => {
 *     await Promise.resolve(); // stands for I/O, e.g. a fetch()
 *     return word.length;
 *   },
 *   ["a", "bb", "ccc"],
 * );
 * assertEquals(await Array.fromAsync(lengths), [1, 2, 3]);
 * ```
 */
export class AsyncExecutor extends EventTarget implements Executor {
  #maxConcurrency: number;
  /**
   * The tasks of priority 0 (nearly all), in order, read from a moving head.
   * Each is an object literal made in #enqueue, on purpose: V8 tracks a
   * literal's allocation site and, seeing a backlog's items survive, creates
   * them in the old generation directly. Four flat slots per task or a class
   * instance get no such pretenuring, and a 500k-task backlog then costs
   * about twice the scavenge work (measured with --trace-gc-nvp).
   */
  #fast: FastItem[] = [];
  #fastHead = 0;
  /** The tasks of any other priority (rare). */
  #queue = new PoolQueue<WorkItem>();
  /** Live tasks in the queue (cancelled ones leave it lazily). */
  #queued = 0;
  #running = 0;
  #completed = 0;
  #failed = 0;
  #cancelled = 0;
  #drainScheduled = false;
  #draining = false;
  #shutdown = false;
  /** Whether work came since the executor was last idle ("idle" event). */
  #active = false;
  #idleWaiters: (() => void)[] = [];
  #mapHost: MapHost;
  /** When this turn's submits came; undefined at the start of a turn. */
  #submitted: Moment | undefined;
  /** The start time of the async tasks started last (see #start). */
  #started: Moment = { time: 0 };
  /** The clock as last read, and events left before the next read. */
  #clock = 0;
  #clockLeft = 0;
  #clockEvery = 1;
  /** When the current stretch of work without a turn of the loop began. */
  #sliceStart = -1;
  /** Set while waiting for the event loop's turn (see #yield). */
  #yielding = false;
  readonly #waitTime = new TimeHistogram();
  readonly #runTime = new TimeHistogram();
  readonly #utilization: Utilization;
  readonly #backpressure: Backpressure;
  readonly #owner: TaskOwner = {
    cancelled: (wasPending) => {
      this.#cancelled++;
      if (wasPending) {
        this.#queued--;
        this.#changed();
      }
    },
  };

  /**
   * Constructs a new executor.
   *
   * @param options `maxConcurrency` (default `32`).
   * @throws {RangeError} `maxConcurrency` is not an integer >= 1.
   * @throws {TypeError} An option has the wrong type.
   *
   * @example Usage
   * ```ts
   * import { AsyncExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using executor = new AsyncExecutor({ maxConcurrency: 2 });
   * assertEquals(executor.maxConcurrency, 2);
   * ```
   */
  constructor(options?: AsyncExecutorOptions) {
    super();
    const opts = validateOptions(options);
    this.#maxConcurrency =
      validateInteger(opts.maxConcurrency, "maxConcurrency", 1) ??
        DEFAULT_MAX_CONCURRENCY;
    this.#backpressure = new Backpressure(
      validateMaxQueue(opts.maxQueue),
      this,
    );
    this.#utilization = new Utilization(this.#maxConcurrency);
    this.#mapHost = {
      parallelism: this.#maxConcurrency,
      checkOpen: () => this.#checkOpen(),
      submitChunk: <T, R>(fn: Callable<[T], R>, items: T[]) => {
        this.#checkOpen();
        const future = new Future<Settled<Awaited<R>>[]>();
        this.#enqueue(future as Future<unknown>, runChunk, [
          fn,
          items,
          future,
        ], 0);
        return future;
      },
      hasRoom: () => this.#waiting() < this.#backpressure.limit,
      ready: () => this.ready(),
    };
  }

  /**
   * The most calls in flight at once.
   *
   * @returns The `maxConcurrency` in force.
   *
   * @example Usage
   * ```ts
   * import { AsyncExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using executor = new AsyncExecutor();
   * assertEquals(executor.maxConcurrency, 32);
   * ```
   */
  get maxConcurrency(): number {
    return this.#maxConcurrency;
  }

  /**
   * Schedules `fn(...args)`.
   *
   * @typeParam A The argument types.
   * @typeParam R The return type.
   * @param fn A function (closures are fine) or a {@linkcode Task}.
   * @param args Its arguments.
   * @returns The future of its result.
   * @throws {ExecutorShutdownError} `shutdown()` has begun.
   * @throws {TypeError} `fn` is not a function or a `Task`.
   *
   * @example Usage
   * ```ts
   * import { AsyncExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using executor = new AsyncExecutor();
   * const base = 10; // closures are allowed on the event loop
   * const future = executor.submit(async (n: number) => base + n, 5);
   * assertEquals(await future, 15);
   * ```
   */
  submit<A extends unknown[], R>(
    fn: Callable<A, R>,
    ...args: A
  ): Future<Awaited<R>> {
    return this.run(fn, args);
  }

  /**
   * Schedules `fn(...args)` with per-task options.
   *
   * - `signal`: when aborted, cancels the task; a running task's future is
   *   cancelled at once (its function runs on, its result is dropped).
   * - `timeout`: ms from the call; then the future fails with `TimeoutError`
   *   (a queued task never starts; a running one runs on, its result is
   *   dropped).
   * - `transfer`: the arguments are structured-cloned with this transfer
   *   list, as a worker would receive them, so the listed buffers are
   *   detached when `run` returns, as with `WorkerPoolExecutor`. Without it,
   *   arguments are passed by reference. Arguments that cannot be cloned fail
   *   the future with the `DOMException` `DataCloneError`.
   *
   * @typeParam A The argument types.
   * @typeParam R The return type.
   * @param fn A function (closures are fine) or a {@linkcode Task}.
   * @param args Its arguments, as an array.
   * @param options `signal`, `timeout` and `transfer`.
   * @returns The future of its result.
   * @throws {ExecutorShutdownError} `shutdown()` has begun.
   * @throws {TypeError} `fn`, `args` or an option has the wrong type.
   * @throws {RangeError} `timeout` is negative.
   *
   * @example Usage
   * ```ts
   * import { AsyncExecutor, TimeoutError } from "@concurrent/futures";
   * import { assertRejects } from "@std/assert";
   *
   * await using executor = new AsyncExecutor();
   * const { promise, resolve } = Promise.withResolvers<string>();
   * const slow = executor.run(() => promise, [], { timeout: 10 });
   * await assertRejects(() => slow.result(), TimeoutError);
   * resolve("too late"); // the function itself runs on until it settles
   * ```
   */
  run<A extends unknown[], R>(
    fn: Callable<A, R>,
    args: A,
    options?: RunOptions,
  ): Future<Awaited<R>> {
    if (typeof fn !== "function" && !(fn instanceof Task)) {
      throw new TypeError("'fn' must be a function or a Task");
    }
    if (!Array.isArray(args)) {
      throw new TypeError("'args' must be an array");
    }
    if (options === undefined) {
      // The common case (every submit): no options object to make or read.
      this.#checkOpen();
      if (this.#backpressure.limit !== Infinity) {
        this.#backpressure.admit(this.#waiting());
      }
      const future = new Future<Awaited<R>>();
      this.#enqueue(future as Future<unknown>, fn as AnyFunction | Task, args);
      return future;
    }
    return this.#runWithOptions(fn, args, options);
  }

  #runWithOptions<A extends unknown[], R>(
    fn: Callable<A, R>,
    args: A,
    options: RunOptions,
  ): Future<Awaited<R>> {
    const opts = validateOptions(options);
    const signal = validateSignal(opts.signal);
    const timeout = validateTimeout(opts.timeout);
    const priority = validatePriority(opts.priority);
    const transfer = opts.transfer;
    if (transfer !== undefined && !Array.isArray(transfer)) {
      throw new TypeError("'transfer' must be an array");
    }
    this.#checkOpen();
    if (this.#backpressure.limit !== Infinity) {
      this.#backpressure.admit(this.#waiting());
    }

    const future = new Future<Awaited<R>>();
    let callArgs: unknown[] = args;
    if (transfer !== undefined && transfer.length > 0) {
      try {
        callArgs = structuredClone(args, { transfer });
      } catch (error) {
        future.setException(error);
        this.#failed++;
        return future;
      }
    }
    if (signal?.aborted) {
      future.cancel();
      this.#cancelled++;
      return future;
    }
    if (signal !== undefined || timeout !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      // A running task cannot be interrupted: settle its future and let the
      // function run on, still holding its slot.
      const onAbort = () => {
        if (future.running()) future.cancel({ force: true });
        else future.cancel();
      };
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          if (future.done()) return;
          const wasPending = future.state === "pending";
          future.setException(
            new TimeoutError(`The task did not finish in ${timeout} ms`),
          );
          this.#failed++;
          if (wasPending) {
            this.#queued--;
            this.#changed();
          }
        }, timeout);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      future.addDoneCallback(() => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      });
    }
    this.#enqueue(
      future as Future<unknown>,
      fn as AnyFunction | Task,
      callArgs,
      priority,
    );
    return future;
  }

  /**
   * Applies `fn` to every item with at most `maxConcurrency` calls in flight,
   * lazily: at most `buffersize` results are held pending (default
   * `2 * maxConcurrency * chunksize`, at least 128), so an endless iterable
   * works. A chunk
   * of `chunksize` items is one task that calls `fn` on its items one after
   * the other. Work starts with the iteration.
   *
   * @typeParam T The item type.
   * @typeParam R The return type.
   * @param fn A function (closures are fine) or a {@linkcode Task}.
   * @param items A sync or async iterable, possibly endless.
   * @param options `timeout`, `chunksize`, `buffersize`, `ordered`, `signal`.
   * @returns The results, in input order unless `ordered: false`; it throws
   * a task's error when that result is reached, `TimeoutError` when it would
   * wait past `timeout` (ms from the call), or the signal's reason. Stopping
   * early (`break`) cancels the work it still holds.
   * @throws {ExecutorShutdownError} `shutdown()` has begun.
   * @throws {RangeError} `chunksize`/`buffersize` is not an integer >= 1, or
   * `timeout` is negative.
   * @throws {TypeError} An argument or option has the wrong type.
   *
   * @example Usage
   * ```ts
   * import { AsyncExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using executor = new AsyncExecutor({ maxConcurrency: 8 });
   * function* naturals() {
   *   for (let n = 1; ; n++) yield n;
   * }
   * const squares: number[] = [];
   * for await (const square of executor.map((n: number) => n * n, naturals())) {
   *   squares.push(square);
   *   if (squares.length === 4) break; // cancels what is still pending
   * }
   * assertEquals(squares, [1, 4, 9, 16]);
   * ```
   */
  map<T, R>(
    fn: Callable<[T], R>,
    items: Iterable<T> | AsyncIterable<T>,
    options?: MapOptions,
  ): AsyncIterableIterator<Awaited<R>> {
    return mapImpl(this.#mapHost, fn, items, options);
  }

  /**
   * Stops accepting work. Queued work still runs unless `cancelFutures` is
   * given; with `wait` (the default) the promise resolves once every queued
   * and running call has ended. Calling it again is fine.
   *
   * @param options `wait` (default `true`) and `cancelFutures` (default
   * `false`).
   * @returns A promise that resolves when shut down (and, with `wait`, idle).
   * @throws {TypeError} An option has the wrong type.
   *
   * @example Usage
   * ```ts
   * import { AsyncExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * const executor = new AsyncExecutor({ maxConcurrency: 1 });
   * const started = Promise.withResolvers<void>();
   * const gate = Promise.withResolvers<void>();
   * const first = executor.submit(async () => {
   *   started.resolve();
   *   await gate.promise;
   *   return "ran";
   * });
   * const second = executor.submit(() => "never runs");
   * await started.promise; // `first` holds the only slot, `second` waits
   * const stopped = executor.shutdown({ cancelFutures: true });
   * gate.resolve();
   * await stopped;
   * assertEquals(await first, "ran");
   * assertEquals(second.state, "cancelled");
   * ```
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    try {
      const { wait, cancelFutures } = parseShutdownOptions(options);
      this.#shutdown = true;
      this.#backpressure.close(new ExecutorShutdownError());
      if (cancelFutures) {
        const items = [...this.#queue];
        const fast = this.#fast;
        const futures = items.filter((item) => item.priority < 0)
          .map((item) => item.future);
        for (let i = this.#fastHead; i < fast.length; i++) {
          futures.push(fast[i].future);
        }
        for (const item of items) {
          if (item.priority > 0) futures.push(item.future);
        }
        this.#queue.clear();
        this.#fast = [];
        this.#fastHead = 0;
        for (const future of futures) future.cancel();
      }
      if (!wait || this.#idle()) return Promise.resolve();
      return new Promise((resolve) => this.#idleWaiters.push(resolve));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Shuts down and waits for the work to end: `shutdown({ wait: true })`.
   *
   * @returns A promise that resolves when the work has ended.
   *
   * @example Usage
   * ```ts
   * import { AsyncExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * let future;
   * {
   *   await using executor = new AsyncExecutor();
   *   future = executor.submit(async () => "done");
   * }
   * assertEquals(future.state, "finished");
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /**
   * A snapshot of the executor's state and timings.
   *
   * @returns The counts (`completed + failed + cancelled` counts every task
   * that has settled), the wait and run times, and the utilization.
   *
   * @example Usage
   * ```ts
   * import { AsyncExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using executor = new AsyncExecutor();
   * await Promise.all([executor.submit(() => 1), executor.submit(() => 2)]);
   * const { completed, queued, running, runTime } = executor.stats();
   * assertEquals([completed, queued, running, runTime.count], [2, 0, 0, 2]);
   * ```
   */
  stats(): AsyncExecutorStats {
    return {
      queued: this.#queued,
      running: this.#running,
      completed: this.#completed,
      failed: this.#failed,
      cancelled: this.#cancelled,
      waitTime: this.#waitTime.snapshot(),
      runTime: this.#runTime.snapshot(),
      utilization: this.#utilization.value(),
    };
  }

  /**
   * Waits until a `submit` would not throw `QueueFullError`: fewer than
   * `maxQueue` tasks wait for a slot (at once when that already holds).
   *
   * @param options `signal`: stop waiting when aborted.
   * @returns A promise that resolves when there is room; it rejects with
   * `ExecutorShutdownError` when `shutdown()` begins first (or has begun),
   * or with the signal's reason.
   *
   * @example Usage
   * ```ts
   * import { AsyncExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using executor = new AsyncExecutor({ maxConcurrency: 2, maxQueue: 8 });
   * const results = [];
   * for (let i = 0; i < 100; i++) {
   *   await executor.ready(); // never more than 8 waiting
   *   results.push(executor.submit(async (n: number) => n + 1, i));
   * }
   * assertEquals((await Promise.all(results))[99], 100);
   * ```
   */
  ready(options?: ReadyOptions): Promise<void> {
    try {
      const signal = validateSignal(validateOptions(options).signal);
      this.#checkOpen();
      return this.#backpressure.wait(this.#waiting(), signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #checkOpen(): void {
    if (this.#shutdown) {
      throw new ExecutorShutdownError(
        "Cannot schedule new work after shutdown",
      );
    }
  }

  /** Tasks that would wait for a slot (see _backpressure.ts). */
  #waiting(): number {
    const free = this.#maxConcurrency - this.#running;
    return free > 0 ? this.#queued - free : this.#queued;
  }

  #enqueue(
    future: Future<unknown>,
    fn: AnyFunction | Task,
    args: unknown[],
    priority = 0,
  ): void {
    // One clock read per turn of submits: the wait time counts from then.
    const submitted = this.#submitted ??= { time: this.#time() };
    future[kCancelHook](this.#owner);
    // Small enough to be inlined where the future and its arguments are
    // made: V8 then allocates all three in the old generation together once
    // a backlog shows they live long (no copying by the scavenger).
    if (priority === 0) this.#fast.push({ future, fn, args, submitted });
    else this.#queue.push(new WorkItem(future, fn, args, priority, submitted));
    this.#queued++;
    this.#active = true;
    if (this.#backpressure.limit !== Infinity) {
      this.#backpressure.grew(this.#waiting());
    }
    if (!this.#drainScheduled) this.#scheduleDrain();
  }

  #scheduleDrain(): void {
    this.#drainScheduled = true;
    // Never run user code inside submit(): a new future starts pending.
    queueMicrotask(() => {
      this.#drainScheduled = false;
      this.#submitted = undefined;
      this.#drain(this.#time());
    });
  }

  /**
   * Starts queued tasks while slots are free. `now` is a fresh clock
   * reading; each sync task's end is read once, and serves as the next
   * one's start.
   */
  #drain(now: number): void {
    if (this.#yielding) return;
    this.#draining = true;
    const queue = this.#queue;
    if (this.#sliceStart < 0) this.#sliceStart = now;
    while (this.#running < this.#maxConcurrency) {
      let task: Future<unknown>;
      let fn: AnyFunction | Task;
      let args: unknown[];
      let submitted: Moment;
      const other = queue.length > 0 ? queue.peek() : undefined;
      const fast = this.#fast;
      const head = this.#fastHead;
      if (head < fast.length && (other === undefined || other.priority > 0)) {
        ({ future: task, fn, args, submitted } = fast[head]);
        this.#shiftFast(fast, head);
      } else if (other !== undefined) {
        queue.shift();
        ({ future: task, fn, args, moment: submitted } = other);
      } else {
        break;
      }
      // Cancelled or timed out while queued: it left the books then.
      if (task.done() || !task.setRunningOrNotifyCancel()) {
        continue;
      }
      this.#queued--;
      now = this.#start(task, fn, args, now - submitted.time, now);
      if (now - this.#sliceStart >= SLICE_MS && this.#pending()) {
        // A long stretch of work: let timers and I/O run first.
        this.#yield();
        break;
      }
    }
    this.#draining = false;
    if (!this.#pending()) this.#sliceStart = -1;
    this.#changed();
  }

  /**
   * Gives the event loop a turn before draining on. A message through a
   * fresh MessageChannel is a task of its own, as a timer is, without the
   * 4 ms clamp that nested timers get.
   */
  #yield(): void {
    this.#yielding = true;
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      this.#yielding = false;
      this.#sliceStart = -1;
      this.#clockLeft = 0;
      this.#drain(this.#time());
    };
    port2.postMessage(null);
    port2.close();
  }

  /** After tasks left: room ("drain"), and "idle" once nothing is left. */
  #changed(): void {
    const backpressure = this.#backpressure;
    if (backpressure.full) backpressure.fell(this.#waiting());
    if (!this.#idle()) return;
    // The next event may come much later: read the clock afresh then.
    this.#clockLeft = 0;
    if (this.#active) {
      this.#active = false;
      this.dispatchEvent(new Event("idle"));
    }
    if (this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  #idle(): boolean {
    return this.#running === 0 && this.#queued === 0;
  }

  /** Whether tasks (stale ones included) are queued. */
  #pending(): boolean {
    return this.#fastHead < this.#fast.length || this.#queue.length > 0;
  }

  /** Drops the fast queue's head task (at `head`). */
  #shiftFast(fast: FastItem[], head: number): void {
    fast[head] = undefined as unknown as FastItem;
    head++;
    if (head === fast.length) {
      this.#fast = [];
      this.#fastHead = 0;
    } else if (head > 1024 && head * 2 > fast.length) {
      this.#fast = fast.slice(head);
      this.#fastHead = 0;
    } else {
      this.#fastHead = head;
    }
  }

  /** Starts a task at `start`; returns the time it returned. */
  #start(
    task: Future<unknown>,
    fn: AnyFunction | Task,
    args: unknown[],
    waited: number,
    start: number,
  ): number {
    this.#running++;
    this.#waitTime.record(waited);
    // The function cannot be stopped: a forced cancel only settles the
    // future (the result is dropped), the slot stays taken until it ends.
    task[kForceCancel](stopNothing);
    let result: unknown;
    let thenable: boolean;
    try {
      result = fn instanceof Task ? callTask(fn, args) : fn(...args);
      // Reading `then` runs user code (a getter may throw) too.
      thenable = isThenable(result);
    } catch (error) {
      return this.#settle(task, start, false, error);
    }
    if (thenable) {
      // A native promise is used as is; anything else is adopted once.
      const promise = result instanceof Promise
        ? result
        : Promise.resolve(result);
      this.#await(task, promise as Promise<unknown>, start);
      return start;
    }
    // A plain (sync) function: no promise round trip for its value.
    return this.#settle(task, start, true, result);
  }

  /**
   * Settles `task` when `promise` does. Kept out of #start so that a sync
   * task makes no closure context (measured: less garbage-collector work).
   */
  #await(task: Future<unknown>, promise: Promise<unknown>, start: number) {
    // Async tasks started at one clock reading share one Moment.
    let started = this.#started;
    if (started.time !== start) this.#started = started = { time: start };
    promise.then(
      (value) => this.#settle(task, started.time, true, value),
      (error) => this.#settle(task, started.time, false, error),
    );
  }

  /**
   * The time, read from the clock once per few events: a read costs about
   * as much as running a tiny task, so during a fast stream of tasks (many
   * events within 50 µs) it is read every 2, 4, ... 32 events, and a
   * timing may be that much stale; when events are sparse, every event reads
   * it, and after the executor was idle the first one does.
   */
  #time(): number {
    if (--this.#clockLeft > 0) return this.#clock;
    const now = performance.now();
    this.#clockEvery = now - this.#clock < 0.05
      ? Math.min(32, this.#clockEvery * 2)
      : 1;
    this.#clockLeft = this.#clockEvery;
    this.#clock = now;
    return now;
  }

  /** Records the end of a task started at `start`; returns the time. */
  #settle(
    task: Future<unknown>,
    start: number,
    ok: boolean,
    value: unknown,
  ): number {
    const now = this.#time();
    const ms = now - start;
    this.#runTime.record(ms);
    this.#utilization.busy += ms;
    if (!task.done()) {
      if (ok) {
        task.setResult(value);
        this.#completed++;
      } else {
        task.setException(value);
        this.#failed++;
      }
    }
    this.#running--;
    // Inside #drain (a sync function ended at once) its loop goes on.
    if (!this.#draining) this.#drain(now);
    return now;
  }
}

/** A forced cancel of a running call stops nothing: it settles the future. */
const stopNothing = () => true;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function";
}

async function callTask(task: Task, args: unknown[]): Promise<unknown> {
  return (await resolveTask(task))(...args);
}

async function resolveTask(task: Task): Promise<AnyFunction> {
  const module = await import(task.module);
  const fn = module[task.exportName];
  if (typeof fn !== "function") {
    throw new TypeError(
      `Export "${task.exportName}" of ${task.module} is not a function`,
    );
  }
  return fn;
}

/** One map chunk: calls `fn` on each item in turn, stops at the first error. */
async function runChunk<T, R>(
  fn: AnyFunction | Task,
  items: T[],
  future: Future<unknown>,
): Promise<Settled<R>[]> {
  const out: Settled<R>[] = [];
  let call: AnyFunction;
  try {
    call = fn instanceof Task ? await resolveTask(fn) : fn;
  } catch (error) {
    return [{ ok: false, error }];
  }
  for (const item of items) {
    // map() stopped caring (the future was settled elsewhere): stop early.
    if (future.done()) break;
    try {
      out.push({ ok: true, value: await call(item) as R });
    } catch (error) {
      // map() throws this error when it reaches it, and never looks past it.
      out.push({ ok: false, error });
      break;
    }
  }
  return out;
}

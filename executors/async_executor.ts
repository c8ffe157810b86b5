// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.

import {
  CancelledError,
  ExecutorShutdownError,
  TimeoutError,
} from "./errors.ts";
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
  validateSignal,
} from "./_validate.ts";
import { parseRunOptions, parseShutdownOptions } from "./_run_options.ts";
import { type Retry, retryDelay } from "./_retry.ts";
import { callInTask } from "./_task_scope.ts";
import type { TaskContext } from "./task_context.ts";
import { currentTask } from "./task_context.ts";
import { ProgressRelay } from "./_progress.ts";
import { parseRateLimit, type SlidingWindow } from "./_rate_limit.ts";
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
   * A task waiting for its `delay` counts as waiting too.
   */
  maxQueue?: number;
  /**
   * At most `max` calls start in any `duration` milliseconds: a sliding
   * window, for calls to a rate-limited service. The others wait in the
   * queue, in priority order, and start when the window has room (woken by
   * a timer: no polling). Every run counts, retries included. `max` is an
   * integer >= 1, `duration` a finite number > 0. Default: no limit.
   *
   * @example Five calls a second at most
   * ```ts
   * import { AsyncExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using executor = new AsyncExecutor({
   *   rateLimit: { max: 5, duration: 1_000 },
   * });
   * const started: number[] = [];
   * const calls = [1, 2, 3].map((n) =>
   *   executor.submit(() => started.push(n))
   * );
   * await Promise.all(calls); // within the first 5: they start at once
   * assertEquals(started, [1, 2, 3]);
   * ```
   */
  rateLimit?: { max: number; duration: number };
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
  /**
   * Tasks waiting for a slot (a retry waiting in the queue included), and
   * tasks waiting for their `delay`. A task waiting to retry, before it
   * re-enters the queue, counts in neither `queued` nor `running`.
   */
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

/**
 * What a queue entry calls: a plain function, a module {@linkcode Task}, or
 * the {@linkcode TaskRecord} of a task run with options.
 */
type Work = AnyFunction | Task | TaskRecord;

/** A task of priority 0 in the fast queue (see #fast). */
interface FastItem {
  readonly future: Future<unknown>;
  readonly fn: Work;
  readonly args: unknown[];
  /** When submitted (a turn's submits share one). */
  readonly submitted: Moment;
}

/** A task waiting in the queue, then running. */
class WorkItem {
  readonly future: Future<unknown>;
  readonly fn: Work;
  readonly args: unknown[];
  readonly priority: number;
  /** When submitted (a turn's submits share one). */
  readonly moment: Moment;

  constructor(
    future: Future<unknown>,
    fn: Work,
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

/** The reason slot of a run that was not stopped. */
const LIVE: unique symbol = Symbol("live");

/**
 * One run of a task: the {@linkcode TaskContext} that `currentTask()` returns
 * during it. Made when the run starts, so a backlog holds none, and small:
 * its `AbortController` is made only when `signal` is first read. A task
 * without options writes nothing into its future for it until then: reading
 * `signal` makes the run its future's cancel hook (so that a forced cancel
 * aborts it), and the run's end undoes that (see #settle).
 */
class AsyncRun implements TaskContext {
  /** The task's future (reassigned when the run is reused, see #spare). */
  future: Future<unknown>;
  readonly attempt: number;
  /** The task's options, for a task run with options. */
  readonly record: TaskRecord | undefined;
  readonly #owner: TaskOwner;
  #controller: AbortController | undefined = undefined;
  /** Why the run was stopped; LIVE while it was not. */
  #reason: unknown = LIVE;

  constructor(
    future: Future<unknown>,
    attempt: number,
    record: TaskRecord | undefined,
    owner: TaskOwner,
  ) {
    this.future = future;
    this.attempt = attempt;
    this.record = record;
    this.#owner = owner;
  }

  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === undefined) {
      controller = this.#controller = new AbortController();
      if (this.record === undefined && this.#reason === LIVE) {
        // A task without options: its only stop is a forced cancel.
        const future = this.future;
        if (future.cancelled()) this.#reason = new CancelledError();
        else if (!future.done()) future[kCancelHook](this);
      }
      if (this.#reason !== LIVE) controller.abort(this.#reason);
    }
    return controller.signal;
  }

  /** Whether `signal` was read (a task without options: it is the hook). */
  get hooked(): boolean {
    return this.#controller !== undefined;
  }

  progress(value: unknown): void {
    const record = this.record;
    // Only the live run of a task with onProgress reports.
    if (record !== undefined && record.run === this) {
      record.relay?.report(value);
    }
  }

  /** Aborts the signal with `reason` (now, or when it is first read). */
  stop(reason: unknown): void {
    if (this.#reason !== LIVE) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  /** The cancel hook of a running task without options. */
  cancelled(wasPending: boolean): void {
    this.#owner.cancelled(wasPending);
    this.stop(new CancelledError());
  }
}

// Where a task run with options is (TaskRecord.phase).
/** Waiting for its `delay` (pending, counted as queued). */
const DELAYED = 0;
/** In the queue (pending; or running, between retries). */
const QUEUED = 1;
/** Its function was called and has not ended. */
const RUNNING = 2;
/** Waiting to retry (running, counted in neither queued nor running). */
const WAITING = 3;
/** Off the books. */
const DONE = 4;

/** What a TaskRecord asks of its executor. */
interface RecordHost {
  /** The record's future was cancelled (its cancel hook). */
  recordCancelled(record: TaskRecord): void;
}

/**
 * A task run with options: its options, its place (`phase`), its live run
 * and its timer. Queued with itself as the entry's function (see #start).
 * Made only on `run`'s option path and for a `map` chunk with `retry`.
 */
class TaskRecord {
  readonly future: Future<unknown>;
  /** What to call: the function, or callTask for a module Task. */
  readonly fn: AnyFunction;
  readonly args: unknown[];
  readonly priority: number;
  readonly retry: Retry | undefined;
  readonly relay: ProgressRelay | undefined;
  readonly #host: RecordHost;
  /** The number of the next run. */
  attempt: number;
  phase: number = QUEUED;
  /** The live run (undefined between runs). */
  run: AsyncRun | undefined = undefined;
  /** The delay or retry timer. */
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The timeout in ms, for its message. */
  timeout: number | undefined = undefined;

  constructor(
    future: Future<unknown>,
    fn: AnyFunction | Task,
    args: unknown[],
    options: {
      priority: number;
      retry: Retry | undefined;
      onProgress: ((value: unknown) => void) | undefined;
      firstAttempt: number;
    },
    host: RecordHost,
  ) {
    this.future = future;
    if (fn instanceof Task) {
      this.fn = callTask;
      this.args = [fn, args];
    } else {
      this.fn = fn;
      this.args = args;
    }
    this.priority = options.priority;
    this.retry = options.retry;
    this.relay = options.onProgress === undefined
      ? undefined
      : new ProgressRelay(options.onProgress, future);
    this.attempt = options.firstAttempt;
    this.#host = host;
  }

  /** The cancel hook (kCancelHook); the phase tells where it was. */
  cancelled(): void {
    this.#host.recordCancelled(this);
  }

  /** The abort listener of the run's `signal`. */
  handleEvent(): void {
    const future = this.future;
    if (future.running()) future.cancel({ force: true });
    else future.cancel();
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
 * flight, and `shutdown({ wait: true })` waits for it. Such a stop aborts the
 * run's `currentTask().signal` (reason: the `CancelledError` or
 * `TimeoutError` the future settled with): that is how a task learns that it
 * should end, so a task that checks it, or passes it to `fetch()`, frees its
 * slot early.
 *
 * Inside a task, {@linkcode currentTask} gives its `signal`, `attempt` and
 * `progress()`, also after `await`s in an `async` function and with many
 * tasks in flight. The context is made when the run starts (its signal when
 * first read), so a queued task costs nothing more.
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
 *
 * @example A task that stops when it is stopped
 * ```ts
 * import { AsyncExecutor, currentTask, TimeoutError } from "@concurrent/futures";
 * import { assertInstanceOf } from "@std/assert";
 *
 * await using executor = new AsyncExecutor();
 * const future = executor.run(async () => {
 *   const { signal } = currentTask()!;
 *   while (!signal.aborted) {
 *     await new Promise((resolve) => setTimeout(resolve, 1)); // a poll
 *   }
 *   // Ended by itself: the slot is free again.
 * }, [], { timeout: 20 });
 * assertInstanceOf(await future.exception(), TimeoutError);
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
  /**
   * A run context to reuse: the last one of a sync task without options
   * that never read its signal (see #settleSync).
   */
  #spare: AsyncRun | undefined;
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
  /** The `rateLimit` window, if any. */
  readonly #rate: SlidingWindow | undefined;
  /** Set while queued tasks wait for the rate window (see #drain). */
  #rateTimer: ReturnType<typeof setTimeout> | undefined;
  /** Tasks waiting for their `delay` (pending: counted as queued). */
  #delayed = 0;
  readonly #delayedRecords = new Set<TaskRecord>();
  /** Tasks waiting to retry (running, but holding no slot). */
  #retrying = 0;
  readonly #recordHost: RecordHost = {
    recordCancelled: (record) => {
      this.#cancelled++;
      this.#leave(record, new CancelledError());
    },
  };
  /** A record's timeout passed (setTimeout's argument: the record). */
  readonly #onTimeout = (record: TaskRecord): void => {
    const future = record.future;
    if (future.done()) return;
    const error = new TimeoutError(
      `The task did not finish in ${record.timeout} ms`,
    );
    future.setException(error);
    this.#failed++;
    this.#leave(record, error);
  };
  /** A record's delay or retry wait is over: into the queue. */
  readonly #onWake = (record: TaskRecord): void => {
    record.timer = undefined;
    if (record.phase === DELAYED) {
      this.#delayed--;
      this.#delayedRecords.delete(record);
    } else {
      this.#retrying--;
    }
    if (record.future.done()) {
      // Settled by hand meanwhile (setResult on the executor's future).
      record.phase = DONE;
      this.#changed();
      return;
    }
    this.#enqueueRecord(record, { time: this.#time() });
  };

  /**
   * Constructs a new executor.
   *
   * @param options `maxConcurrency` (default `32`), `maxQueue` (default
   * `Infinity`) and `rateLimit` (default none).
   * @throws {RangeError} `maxConcurrency` or `rateLimit.max` is not an
   * integer >= 1, `maxQueue` not an integer >= 0, or `rateLimit.duration` not
   * a finite number > 0.
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
    this.#rate = parseRateLimit(opts.rateLimit);
    this.#utilization = new Utilization(this.#maxConcurrency);
    this.#mapHost = {
      parallelism: this.#maxConcurrency,
      checkOpen: () => this.#checkOpen(),
      submitChunk: <T, R>(
        fn: Callable<[T], R>,
        items: T[],
        retry?: Retry,
      ) => {
        this.#checkOpen();
        const future = new Future<Settled<Awaited<R>>[]>();
        const args = [fn, items, future, retry];
        if (retry === undefined) {
          this.#enqueue(future as Future<unknown>, runChunk, args, 0);
        } else {
          // Retried as a whole: runChunk throws an item's error but on the
          // last attempt (see runChunk).
          const record = new TaskRecord(
            future as Future<unknown>,
            runChunk,
            args,
            { priority: 0, retry, onProgress: undefined, firstAttempt: 1 },
            this.#recordHost,
          );
          future[kCancelHook](record);
          this.#enqueueRecord(record, { time: this.#time() });
        }
        return future;
      },
      // A chunk with retry that map no longer wants: a forced cancel settles
      // it, ends a wait between attempts, and aborts a running attempt's
      // signal (runChunk then stops at its next item).
      abandon: (future) => void future.cancel({ force: true }),
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
   * - `priority`: among waiting tasks, lower starts first (default 0).
   * - `retry`: a run that throws or rejects runs again after a delay (see
   *   {@linkcode RetryOptions}), up to `retry.attempts` runs in all, never
   *   after a stop; the future settles with the last run's outcome. Between
   *   runs the future stays `running` (`cancel()` returns `false`,
   *   `cancel({ force: true })` ends the wait) but holds no slot; once the
   *   delay passed, the retry re-enters the queue behind the waiting tasks of
   *   its priority, as a new submission would, and counts as `queued` there.
   *   `timeout` counts from the call, across every run. Each run is one
   *   `runTime` sample; its `waitTime` counts from its entry to the queue.
   * - `delay`: ms before the task may start. Meanwhile its future is
   *   `pending` (`cancel()`, `signal` and `timeout` stop it), it counts as
   *   `queued` and toward `maxQueue`, and its timer keeps the program alive,
   *   as any timer does. Then it joins the queue, ordered by `priority`; its
   *   `waitTime` counts from then.
   * - `onProgress`: receives what the task passes to
   *   `currentTask().progress()`, by reference (nothing is cloned on the
   *   calling thread), in order, on this thread, never after the future
   *   settled. Values reported within one synchronous stretch of the task
   *   (between two `await`s, or in a loop) are coalesced: the last of them is
   *   delivered in a microtask after that stretch. The last value a run
   *   reported is always delivered before its future settles (or before it
   *   waits to retry). A throwing `onProgress` is reported with
   *   `console.error` and fails nothing. Without `onProgress`, `progress()`
   *   does nothing.
   *
   * @typeParam A The argument types.
   * @typeParam R The return type.
   * @param fn A function (closures are fine) or a {@linkcode Task}.
   * @param args Its arguments, as an array.
   * @param options `signal`, `timeout`, `transfer`, `priority`, `retry`,
   * `delay` and `onProgress`.
   * @returns The future of its result.
   * @throws {ExecutorShutdownError} `shutdown()` has begun.
   * @throws {QueueFullError} `maxQueue` tasks wait already.
   * @throws {TypeError} `fn`, `args` or an option has the wrong type.
   * @throws {RangeError} A number out of range (`timeout` or `delay`
   * negative, `retry.attempts` not an integer >= 1, ...).
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
   *
   * @example Retries with backoff, and progress
   * ```ts
   * import { AsyncExecutor, currentTask } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using executor = new AsyncExecutor();
   * const reported: unknown[] = [];
   * const result = await executor.run(
   *   async (url: string) => {
   *     const task = currentTask()!;
   *     task.progress(`attempt ${task.attempt}`);
   *     if (task.attempt < 3) throw new Error(`${url}: 503`); // stands for a fetch
   *     return "body";
   *   },
   *   ["https://example.com/"],
   *   {
   *     retry: { attempts: 5, delay: 10, backoff: "exponential" },
   *     onProgress: (value) => reported.push(value),
   *   },
   * );
   * assertEquals(result, "body");
   * assertEquals(reported, ["attempt 1", "attempt 2", "attempt 3"]);
   * ```
   *
   * @example A delayed task
   * ```ts
   * import { AsyncExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using executor = new AsyncExecutor();
   * const later = executor.run(() => "later", [], { delay: 20 });
   * assertEquals(later.state, "pending"); // and cancellable, for 20 ms
   * assertEquals(await later, "later");
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
    const opts = parseRunOptions(options);
    this.#checkOpen();
    const delay = opts.delay;
    if (this.#backpressure.limit !== Infinity) {
      const waiting = this.#waiting();
      // A delayed task waits from the call, whatever the free slots.
      this.#backpressure.admit(
        delay === undefined ? waiting : Math.max(waiting, this.#delayed),
      );
    }

    const future = new Future<Awaited<R>>();
    let callArgs: unknown[] = args;
    if (opts.transfer !== undefined) {
      try {
        callArgs = structuredClone(args, { transfer: opts.transfer });
      } catch (error) {
        future.setException(error);
        this.#failed++;
        return future;
      }
    }
    const { signal, timeout } = opts;
    if (signal?.aborted) {
      future.cancel();
      this.#cancelled++;
      return future;
    }
    const record = new TaskRecord(
      future as Future<unknown>,
      fn as AnyFunction | Task,
      callArgs,
      opts,
      this.#recordHost,
    );
    future[kCancelHook](record);
    if (signal !== undefined || timeout !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      if (timeout !== undefined) {
        record.timeout = timeout;
        timer = setTimeout(this.#onTimeout, timeout, record);
      }
      // A running task cannot be interrupted: the record's handleEvent
      // settles its future and aborts its run's signal; the function runs
      // on, still holding its slot.
      signal?.addEventListener("abort", record, { once: true });
      future.addDoneCallback(() => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", record);
      });
    }
    if (delay === undefined) {
      this.#enqueueRecord(record, this.#submitted ??= { time: this.#time() });
    } else {
      record.phase = DELAYED;
      this.#delayed++;
      this.#delayedRecords.add(record);
      this.#active = true;
      if (this.#backpressure.limit !== Infinity) {
        this.#backpressure.grew(this.#waiting());
      }
      // A timer, as setTimeout's own: it keeps the program alive.
      record.timer = setTimeout(this.#onWake, delay, record);
    }
    return future;
  }

  /** Queues a task run with options (anew after a delay or to retry). */
  #enqueueRecord(record: TaskRecord, submitted: Moment): void {
    record.phase = QUEUED;
    const future = record.future;
    if (record.priority === 0) {
      this.#fast.push({ future, fn: record, args: record.args, submitted });
    } else {
      this.#queue.push(
        new WorkItem(future, record, record.args, record.priority, submitted),
      );
    }
    this.#queued++;
    this.#active = true;
    if (this.#backpressure.limit !== Infinity) {
      this.#backpressure.grew(this.#waiting());
    }
    if (!this.#drainScheduled) this.#scheduleDrain();
  }

  /**
   * Takes a task run with options off the books when it was settled from
   * outside its run (cancelled, timed out): wherever it is, and a running
   * one's signal aborted with `reason`.
   */
  #leave(record: TaskRecord, reason: unknown): void {
    switch (record.phase) {
      case DELAYED:
        clearTimeout(record.timer);
        record.timer = undefined;
        this.#delayed--;
        this.#delayedRecords.delete(record);
        break;
      case QUEUED:
        // In the queue as pending, or (a retry) as running: it leaves the
        // queue lazily, its count now.
        this.#queued--;
        break;
      case WAITING:
        clearTimeout(record.timer);
        record.timer = undefined;
        this.#retrying--;
        break;
      case RUNNING:
        // Its slot stays taken until the function ends (#settleRecord).
        record.run?.stop(reason);
        return;
      default:
        return;
    }
    record.phase = DONE;
    this.#changed();
  }

  /**
   * Applies `fn` to every item with at most `maxConcurrency` calls in flight,
   * lazily: at most `buffersize` results are held pending (default
   * `2 * maxConcurrency * chunksize`, at least 128), so an endless iterable
   * works. A chunk
   * of `chunksize` items is one task that calls `fn` on its items one after
   * the other. Work starts with the iteration. With `retry`, a chunk is
   * retried as a whole: an item's error runs the chunk's items again from
   * its first; after the last attempt that error comes at its position.
   *
   * @typeParam T The item type.
   * @typeParam R The return type.
   * @param fn A function (closures are fine) or a {@linkcode Task}.
   * @param items A sync or async iterable, possibly endless.
   * @param options `timeout`, `chunksize`, `buffersize`, `ordered`, `signal`,
   * `retry`.
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
      if (cancelFutures) this.#cancelPending();
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
      queued: this.#queued + this.#delayed,
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

  /**
   * Cancels every pending task: queued (in priority order) or delayed. A
   * task queued to retry is running: it stays queued.
   */
  #cancelPending(): void {
    const items = [...this.#queue];
    const fast = this.#fast;
    const entries: (FastItem | WorkItem)[] = items.filter((item) =>
      item.priority < 0
    );
    for (let i = this.#fastHead; i < fast.length; i++) entries.push(fast[i]);
    for (const item of items) if (item.priority > 0) entries.push(item);
    this.#queue.clear();
    this.#fast = [];
    this.#fastHead = 0;
    for (const entry of entries) {
      const future = entry.future;
      if (!future.running()) {
        future.cancel();
      } else if (entry instanceof WorkItem) {
        this.#queue.push(entry);
      } else {
        this.#fast.push(entry);
      }
    }
    for (const record of [...this.#delayedRecords]) record.future.cancel();
  }

  #checkOpen(): void {
    if (this.#shutdown) {
      throw new ExecutorShutdownError(
        "Cannot schedule new work after shutdown",
      );
    }
  }

  /**
   * Tasks that would wait for a slot (see _backpressure.ts): the queued ones
   * beyond the free slots (-1 when a new one would start at once), and the
   * delayed ones. Slots are not free while the rate window is full.
   */
  #waiting(): number {
    const queued = this.#queued;
    const free = this.#rateTimer === undefined
      ? this.#maxConcurrency - this.#running
      : 0;
    return (queued >= free ? queued - free : -1) + this.#delayed;
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
    const rate = this.#rate;
    let rateNow = 0;
    if (this.#sliceStart < 0) this.#sliceStart = now;
    while (this.#running < this.#maxConcurrency) {
      if (rate !== undefined) {
        if (this.#rateTimer !== undefined || !this.#pending()) break;
        // Exact time: the window is a promise to a rate-limited service.
        rateNow = performance.now();
        const wait = rate.wait(rateNow);
        if (wait > 0) {
          this.#rateTimer = setTimeout(this.#onRateTimer, Math.ceil(wait));
          break;
        }
      }
      let task: Future<unknown>;
      let fn: Work;
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
      // Cancelled or timed out while queued: it left the books then. A
      // retry is running already.
      if (task.done() || !(task.running() || task.setRunningOrNotifyCancel())) {
        continue;
      }
      this.#queued--;
      if (rate !== undefined) rate.record(rateNow);
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

  /** The rate window has room again. */
  readonly #onRateTimer = (): void => {
    this.#rateTimer = undefined;
    this.#drain(this.#time());
  };

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
    if (this.#rateTimer !== undefined) {
      // Only cancelled tasks were left waiting for the window.
      clearTimeout(this.#rateTimer);
      this.#rateTimer = undefined;
    }
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
    return this.#running === 0 && this.#queued === 0 &&
      this.#delayed === 0 && this.#retrying === 0;
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
    fn: Work,
    args: unknown[],
    waited: number,
    start: number,
  ): number {
    this.#running++;
    this.#waitTime.record(waited);
    // The function cannot be stopped: a forced cancel only settles the
    // future (the result is dropped) and aborts the run's signal; the slot
    // stays taken until the function ends.
    task[kForceCancel](stopNothing);
    let run: AsyncRun;
    let call: AnyFunction;
    if (typeof fn === "function") {
      const spare = this.#spare;
      if (spare === undefined) {
        run = new AsyncRun(task, 1, undefined, this.#owner);
      } else {
        this.#spare = undefined;
        run = spare;
        run.future = task;
      }
      call = fn;
    } else if (fn instanceof TaskRecord) {
      run = fn.run = new AsyncRun(task, fn.attempt, fn, this.#owner);
      fn.phase = RUNNING;
      call = fn.fn;
    } else {
      run = new AsyncRun(task, 1, undefined, this.#owner);
      call = callTask;
      args = [fn, args];
    }
    let result: unknown;
    let thenable: boolean;
    try {
      result = callInTask(run, call, args);
      // Reading `then` runs user code (a getter may throw) too.
      thenable = isThenable(result);
    } catch (error) {
      return this.#settleSync(run, start, false, error);
    }
    if (thenable) {
      // A native promise is used as is; anything else is adopted once.
      const promise = result instanceof Promise
        ? result
        : Promise.resolve(result);
      this.#await(run, promise as Promise<unknown>, start);
      return start;
    }
    // A plain (sync) function: no promise round trip for its value.
    return this.#settleSync(run, start, true, result);
  }

  /**
   * #settle for a run that ended within its call. A run without options
   * whose signal was never read is then the same as a new one (attempt 1,
   * progress a no-op, not hooked): the next sync run takes it (#spare)
   * instead of a new object, so that a stream of sync tasks allocates no
   * context at all. (Only code that keeps such a context after its task
   * returned could tell: it is valid while its run lasts.)
   */
  #settleSync(
    run: AsyncRun,
    start: number,
    ok: boolean,
    value: unknown,
  ): number {
    const now = this.#settle(run, start, ok, value);
    if (run.record === undefined && !run.hooked) this.#spare = run;
    return now;
  }

  /**
   * Settles the run when `promise` does. Kept out of #start so that a sync
   * task makes no closure context (measured: less garbage-collector work).
   */
  #await(run: AsyncRun, promise: Promise<unknown>, start: number) {
    // Async tasks started at one clock reading share one Moment.
    let started = this.#started;
    if (started.time !== start) this.#started = started = { time: start };
    promise.then(
      (value) => this.#settle(run, started.time, true, value),
      (error) => this.#settle(run, started.time, false, error),
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

  /** Records the end of a run started at `start`; returns the time. */
  #settle(
    run: AsyncRun,
    start: number,
    ok: boolean,
    value: unknown,
  ): number {
    const now = this.#time();
    const ms = now - start;
    this.#runTime.record(ms);
    this.#utilization.busy += ms;
    const task = run.future;
    const record = run.record;
    if (record !== undefined) {
      this.#settleRecord(record, run, ok, value);
    } else {
      // The future may live on for long (a backlog's futures are created in
      // the old generation): it must not keep its run alive. Measured: a
      // 500k-task backlog whose futures kept their runs cost 20% more CPU.
      if (run.hooked) task[kCancelHook](this.#owner);
      if (!task.done()) {
        if (ok) {
          task.setResult(value);
          this.#completed++;
        } else {
          task.setException(value);
          this.#failed++;
        }
      }
    }
    this.#running--;
    // Inside #drain (a sync function ended at once) its loop goes on.
    if (!this.#draining) this.#drain(now);
    return now;
  }

  /**
   * The end of a run of a task with options: the last progress, then the
   * result, the error, or a retry after its delay (the future stays
   * `running`; the slot is freed meanwhile).
   */
  #settleRecord(
    record: TaskRecord,
    run: AsyncRun,
    ok: boolean,
    value: unknown,
  ): void {
    record.run = undefined;
    const task = record.future;
    // Stopped meanwhile (cancel, signal, timeout): off the books already.
    if (task.done()) {
      record.phase = DONE;
      return;
    }
    // The last value reported always arrives before the future settles.
    record.relay?.flush();
    if (task.done()) {
      record.phase = DONE; // onProgress stopped it
      return;
    }
    const retry = record.retry;
    if (ok) {
      record.phase = DONE;
      task.setResult(value);
      this.#completed++;
    } else if (retry !== undefined && run.attempt < retry.attempts) {
      record.phase = WAITING;
      record.attempt = run.attempt + 1;
      this.#retrying++;
      record.timer = setTimeout(
        this.#onWake,
        retryDelay(retry, run.attempt),
        record,
      );
    } else {
      record.phase = DONE;
      task.setException(value);
      this.#failed++;
    }
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

/**
 * One map chunk: calls `fn` on each item in turn, stops at the first error.
 * With `retry`, an item's error fails the whole chunk (which then runs again)
 * but on the last attempt, whose entries map reads as usual.
 *
 * Not an `async` function itself, so that #start enters no async context
 * for it (it costs as much as a tiny task): it takes the run's context while
 * it is current, and each item's call gets it through callInTask (an async
 * context only for an `async` fn).
 */
function runChunk<T, R>(
  fn: AnyFunction | Task,
  items: T[],
  future: Future<unknown>,
  retry: Retry | undefined,
): Promise<Settled<R>[]> {
  return chunkLoop(fn, items, future, retry, currentTask()!);
}

async function chunkLoop<T, R>(
  fn: AnyFunction | Task,
  items: T[],
  future: Future<unknown>,
  retry: Retry | undefined,
  context: TaskContext,
): Promise<Settled<R>[]> {
  const out: Settled<R>[] = [];
  const retried = retry !== undefined && context.attempt < retry.attempts;
  let call: AnyFunction;
  try {
    call = fn instanceof Task ? await resolveTask(fn) : fn;
  } catch (error) {
    if (retried) throw error;
    return [{ ok: false, error }];
  }
  for (const item of items) {
    // map() stopped caring (the future was settled elsewhere): stop early.
    if (future.done()) break;
    try {
      out.push({
        ok: true,
        value: await callInTask(context, call, [item]) as R,
      });
    } catch (error) {
      if (retried) throw error;
      // map() throws this error when it reaches it, and never looks past it.
      out.push({ ok: false, error });
      break;
    }
  }
  return out;
}

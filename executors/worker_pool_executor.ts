// Copyright 2026 the @concurrent/futures authors. MIT license.

import {
  BrokenExecutorError,
  ExecutorShutdownError,
  TimeoutError,
  WorkerCrashedError,
} from "./errors.ts";
import type {
  Executor,
  MapOptions,
  ReadyOptions,
  RunOptions,
  ShutdownOptions,
  WorkerEventDetail,
} from "./executor.ts";
import type { Future } from "./future.ts";
import type { Callable } from "./task.ts";
import { type MapHost, mapImpl, type Settled } from "./_map.ts";
import {
  validateInteger,
  validateMaxQueue,
  validateOptions,
  validateSignal,
  validateTimeout,
} from "./_validate.ts";
import { parseRunOptions, parseShutdownOptions } from "./_run_options.ts";
import { type Retry, retryDelay } from "./_retry.ts";
import {
  ABORT_CANCEL,
  ABORT_TIMEOUT,
  type FnDef,
  MSG_CLOSING,
  MSG_DONE,
  MSG_FATAL,
  MSG_INIT_FAILED,
  MSG_PROGRESS,
  MSG_READY,
  RESULT_STRIDE,
  STATUS_OK,
  STATUS_SKIPPED,
  TIME_STRIDE,
  type WorkerMessage,
} from "./_protocol.ts";
import { describeError, fromWire, type WireError } from "./_errors_wire.ts";
import { PoolFunctions } from "./_pool_functions.ts";
import type {
  WorkerPoolExecutorOptions,
  WorkerPoolStats,
} from "./worker_pool_options.ts";
import {
  chooseWorker,
  type DispatchContext,
  SPAWN,
  WAIT,
} from "./_pool_dispatch.ts";
import {
  chunkResults,
  DELAYED,
  DONE,
  PoolFuture,
  PoolTask,
  QUEUED,
  RETRYING,
  SENT,
  setExtras,
  type TaskExtras,
  type TaskOwner,
} from "./_pool_task.ts";
import { PoolLedger } from "./_pool_ledger.ts";
import { PoolWorker, type WorkerListener } from "./_pool_worker.ts";
import { canUnref } from "./_pool_unref.ts";
import { IdleRetirement } from "./_pool_idle.ts";
import { countedWorkers, workerCounts } from "./_pool_recycle.ts";
import { PoolQueue } from "./_pool_queue.ts";
import { type Moment, TimeHistogram, Utilization } from "./_stats.ts";
import { Backpressure } from "./_backpressure.ts";
import { kBackend, type PoolBackend } from "./_channel.ts";

export type {
  WorkerPoolExecutorOptions,
  WorkerPoolStats,
} from "./worker_pool_options.ts";

const WORKER_URL = new URL("./_worker.ts", import.meta.url);
/**
 * Estimated work (ms) a worker may hold beyond what it runs. It covers the
 * round trip (~50 µs) and the time the pool spends on other workers' results,
 * so a worker running tiny tasks never waits for the next batch.
 */
const AHEAD_BUDGET_MS = 2;
/**
 * A worker's last task must be expected to take at least this long (ms) for
 * its replacement to start early: a start costs CPU (~25 ms), and for tiny
 * tasks two starts at once on few cores are slower than one after the other.
 */
const EARLY_REPLACEMENT_MS = 2;
/**
 * Workers that may die in a row without answering for any task before the
 * pool gives up (BrokenExecutorError) rather than respawn them forever.
 */
const MAX_FRUITLESS_CRASHES = 3;

/** Whether a `map` chunk's flat results end with a failed item. */
function chunkFailed(payload: unknown): boolean {
  const flat = payload as unknown[];
  return flat.length > 0 && flat[flat.length - 2] === false;
}

let pools = 0;

/** How a worker ended, for `#crash`. */
interface CrashOptions {
  /** The message of the WorkerCrashedError its other tasks fail with. */
  message: string;
  /** That error's `cause`. */
  cause: unknown;
  /** Whether it is stopped to end a task (else it died). */
  stopped?: boolean;
  /** The error of the "workerexit" event; default `cause`. */
  exitError?: unknown;
}

/**
 * Runs tasks on Deno Web Workers (module workers), for CPU-bound work. Its
 * workers are threads: cheaper messages and start than the processes of
 * {@linkcode ProcessPoolExecutor}, which can kill, limit and sandbox a task.
 *
 * A task is a self-contained function, sent as source text (it may use its
 * arguments, globals and `import()`, not variables of its enclosing scope;
 * a closure fails with the worker's `ReferenceError` and a hint), or a
 * {@linkcode Task} made with `task()`/`tasks()`, which the worker imports.
 * Arguments and results are structured-cloned.
 *
 * Workers start on demand: a task goes to an idle worker when there is one,
 * and a new worker is spawned only while fewer than `maxWorkers` exist. An
 * idle worker above `minWorkers` stops after `idleTimeout`. Idle workers do
 * not keep the process alive, so a program that never calls `shutdown()`
 * still exits on its own once its work is done.
 *
 * Sending ahead: to hide the message round trip, tasks travel in batches
 * (all submits of one turn of the event loop share one message per worker)
 * and a worker may be sent more than it runs at once. Of those, only one per
 * worker beyond `concurrentTasksPerWorker` counts as `running` before the
 * worker starts it; the others stay `pending`, and `cancel()` takes them back
 * (the pool and the worker settle who wins through a shared slot, so a task
 * is either run or cancelled, never both). How far ahead the pool sends
 * adapts to how long each function takes: many tiny tasks, but a long task
 * only when a worker is about to be free.
 *
 * Stopping a running task (`cancel({ force: true })`, an aborted `signal`,
 * a `timeout`) settles its future at once and aborts the task's
 * `currentTask().signal`. The pool flags the stop in memory shared with the
 * worker, so `signal.aborted` turns `true` within a millisecond even for
 * code that never yields (its abort event runs when the worker next gets a
 * turn): a loop that checks it ends and frees its thread. A task that
 * returns or throws within `stopGrace` ms keeps its worker; otherwise the
 * worker is terminated and replaced. Deno 2.9.6 cannot interrupt
 * JavaScript that never yields in a worker thread (denoland/deno PR
 * 35657): a task stuck in `while (true) {}` that never checks its signal
 * keeps its thread (and a core) busy until its loop ends, though it never
 * keeps the program from exiting. Tasks that must really stop belong on a
 * {@linkcode ProcessPoolExecutor}, whose workers are processes. When a
 * worker is terminated, the other tasks it had started fail with
 * `WorkerCrashedError`; those it had not started go back to the front of
 * the queue (one that counted as running stays `running` there). The same holds when a worker dies: an error that
 * escapes every task (an uncaught exception in a timer, an unhandled
 * rejection; the worker's runtime catches it, reports it as the
 * `WorkerCrashedError`'s `cause`, and the pool ends the worker), a task
 * calling `self.close()` or `Deno.exit()` (announced before it happens).
 * The host process never sees the error.
 *
 * Errors keep their `name`, `message`, worker-side `stack`, built-in class
 * and (cloneable) `cause`; a non-`Error` thrown value arrives as itself. An
 * argument or result that cannot be cloned fails its task with the
 * `DOMException` `DataCloneError`.
 *
 * Workers load this module's `_worker.ts` from wherever this module was
 * imported (a file or an `http(s)` URL), so they need the permission to load
 * it: `--allow-read` for a local file. A worker that cannot start breaks the
 * pool (`BrokenExecutorError`, its cause saying why).
 *
 * @example Usage
 * ```ts
 * import { WorkerPoolExecutor } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
 * // A named function may call itself: its name is in its own scope.
 * function fib(n: number): number {
 *   return n < 2 ? n : fib(n - 1) + fib(n - 2);
 * }
 * const future = pool.submit(fib, 20);
 * assertEquals(await future, 6765);
 * ```
 */
export class WorkerPoolExecutor extends EventTarget implements Executor {
  readonly #maxWorkers: number;
  readonly #minWorkers: number;
  readonly #idleTimeout: number | undefined;
  readonly #maxTasksPerWorker: number;
  readonly #concurrency: number;
  /** Ms a stopped task may take to end by itself before its worker is. */
  readonly #stopGrace: number;
  readonly #permissions: Deno.PermissionOptions | undefined;
  readonly #name: string;
  readonly #init: FnDef | undefined;
  readonly #initargs: unknown[] | undefined;
  /** What the workers run on: Web Workers unless a subclass says otherwise. */
  readonly #backend: PoolBackend | undefined;
  /** Retired workers still releasing what they hold (child processes). */
  readonly #closing = new Set<Promise<void>>();
  #workers: PoolWorker[] = [];
  #spawned = 0;
  #queue = new PoolQueue<PoolTask>();
  #seq = 0;
  /** Tasks by state, and settled tasks by outcome. */
  readonly #ledger = new PoolLedger();
  /** Tasks waiting for a delay or a retry, on no queue or worker. */
  readonly #waitingTasks = new Set<PoolTask>();
  readonly #functions = new PoolFunctions();
  #dispatchScheduled = false;
  /** Workers that died in a row without a single answer. */
  #fruitless = 0;
  #shutdown = false;
  #broken: BrokenExecutorError | undefined;
  #drained: PromiseWithResolvers<void> | undefined;
  readonly #idle: IdleRetirement;
  /** Whether work came since the pool was last idle ("idle" event). */
  #active = false;
  /** performance.now() for this turn's submits (see #enqueue). */
  #now: Moment | undefined;
  readonly #waitTime = new TimeHistogram();
  readonly #runTime = new TimeHistogram();
  readonly #utilization: Utilization;
  readonly #backpressure: Backpressure;
  readonly #context: DispatchContext & { canSpawn: boolean; cost: number };
  readonly #owner: TaskOwner;
  readonly #listener: WorkerListener;
  readonly #mapHost: MapHost;
  readonly #dispatch = () => this.#dispatchNow();

  /**
   * Constructs a new pool. No worker starts until there is work.
   *
   * @param options The pool's options.
   * @throws {RangeError} A numeric option is out of range (`maxWorkers` not
   * an integer >= 1, `minWorkers` above `maxWorkers`, a negative
   * `idleTimeout`, ...).
   * @throws {TypeError} An option has the wrong type, or the initializer is a
   * native or bound function.
   * @throws {DOMException} `initargs` cannot be cloned (`DataCloneError`).
   *
   * @example Usage
   * ```ts
   * import { WorkerPoolExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 1, name: "calc" });
   * assertEquals(await pool.submit(() => self.name), "calc-1");
   * ```
   */
  constructor(options?: WorkerPoolExecutorOptions) {
    super();
    const opts = validateOptions(options);
    this.#maxWorkers = validateInteger(opts.maxWorkers, "maxWorkers", 1) ??
      Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
    this.#minWorkers = validateInteger(opts.minWorkers, "minWorkers", 0) ?? 0;
    if (this.#minWorkers > this.#maxWorkers) {
      throw new RangeError(
        `'minWorkers' (${this.#minWorkers}) must not exceed 'maxWorkers' (${this.#maxWorkers})`,
      );
    }
    this.#idleTimeout = opts.idleTimeout === undefined
      ? 1000
      : validateTimeout(opts.idleTimeout, "idleTimeout");
    this.#maxTasksPerWorker =
      validateInteger(opts.maxTasksPerWorker, "maxTasksPerWorker", 1) ??
        Infinity;
    this.#concurrency = validateInteger(
      opts.concurrentTasksPerWorker,
      "concurrentTasksPerWorker",
      1,
    ) ?? 1;
    this.#stopGrace = validateInteger(opts.stopGrace, "stopGrace", 0) ?? 100;
    pools++;
    this.#backend = (opts as { [kBackend]?: PoolBackend })[kBackend];
    const name = opts.name ??
      `${this.#backend?.kind ?? "WorkerPoolExecutor"}-${pools}`;
    if (typeof name !== "string") {
      throw new TypeError(`'name' must be a string, got ${typeof name}`);
    }
    this.#name = name;
    const permissions = opts.permissions;
    if (
      permissions !== undefined && permissions !== "inherit" &&
      permissions !== "none" &&
      (typeof permissions !== "object" || permissions === null)
    ) {
      throw new TypeError(
        `'permissions' must be "inherit", "none" or an object`,
      );
    }
    this.#permissions = permissions;
    if (opts.initializer !== undefined) {
      const id = this.#functions.id(opts.initializer, "initializer");
      this.#init = this.#functions.def(id);
    }
    if (opts.initargs !== undefined) {
      if (!Array.isArray(opts.initargs)) {
        throw new TypeError("'initargs' must be an array");
      }
      structuredClone(opts.initargs);
      this.#initargs = opts.initargs;
    }
    this.#backpressure = new Backpressure(
      validateMaxQueue(opts.maxQueue),
      this,
    );
    this.#utilization = new Utilization(this.#maxWorkers * this.#concurrency);
    this.#context = {
      canSpawn: false,
      concurrency: this.#concurrency,
      cost: Infinity,
      budget: AHEAD_BUDGET_MS,
    };
    this.#owner = {
      beforeCancel: (task) => this.#beforeCancel(task),
      forceStop: (task) => this.#forceStop(task),
    };
    this.#listener = {
      onMessage: (worker, message) => this.#onMessage(worker, message),
      onError: (worker, error) => this.#onWorkerDied(worker, error),
    };
    // Fewer workers may stay idle than the floor (see _pool_unref.ts).
    const floor = canUnref ? this.#minWorkers : 0;
    const workers = () => this.#workers;
    this.#idle = new IdleRetirement(this.#idleTimeout, {
      get workers() {
        return workers();
      },
      floor,
      retire: (worker) => this.#retire(worker, "idle"),
    });
    this.#mapHost = {
      parallelism: this.#maxWorkers * this.#concurrency,
      checkOpen: () => this.#checkOpen(),
      submitChunk: <T, R>(fn: Callable<[T], R>, items: T[], retry?: Retry) =>
        this.#enqueue(
          fn,
          items,
          true,
          undefined,
          0,
          retry === undefined ? undefined : {
            retry,
            firstAttempt: 1,
            run: 1,
            onProgress: undefined,
            waitTimer: undefined,
          },
        ).future as Future<Settled<Awaited<R>>[]>,
      ready: () => this.ready(),
      hasRoom: () => this.#waiting() < this.#backpressure.limit,
    };
  }

  /**
   * Schedules `fn(...args)` on a worker.
   *
   * @typeParam A The argument types.
   * @typeParam R The return type.
   * @param fn A self-contained function or a {@linkcode Task}.
   * @param args Its arguments (structured-cloned).
   * @returns The future of its result.
   * @throws {ExecutorShutdownError} `shutdown()` has begun.
   * @throws {BrokenExecutorError} The pool is broken (an initializer threw).
   * @throws {TypeError} `fn` is not a function or a `Task`, or is a native or
   * bound function.
   *
   * @example Usage
   * ```ts
   * import { WorkerPoolExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
   * const future = pool.submit((a: number, b: number) => a * b, 6, 7);
   * assertEquals(await future, 42);
   * ```
   */
  submit<A extends unknown[], R>(
    fn: Callable<A, R>,
    ...args: A
  ): Future<Awaited<R>> {
    return this.#enqueue(fn, args, false, undefined, 0).future as Future<
      Awaited<R>
    >;
  }

  /**
   * Schedules `fn(...args)` with per-task options.
   *
   * - `signal`: when aborted, the task is cancelled; a running task is
   *   stopped (its `currentTask().signal` aborts; its worker is terminated
   *   and replaced unless the task ends within `stopGrace`).
   * - `timeout`: ms from the call, across every attempt; then the future
   *   fails with `TimeoutError` and the task is stopped the same way if it
   *   is running.
   * - `retry`: a run that throws, or whose worker dies, runs again after a
   *   delay (see `RetryOptions`), never after a stop. The future stays
   *   `running` through the waits. A task whose arguments were transferred
   *   is not retried (they went with the first run).
   * - `delay`: ms before the task may start; it is `pending` (cancellable)
   *   meanwhile, then takes its place by `priority`.
   * - `onProgress`: receives, on this thread and in order, the values the
   *   task reports with `currentTask().progress()`, never after the future
   *   settled. Values reported faster than one per millisecond are
   *   coalesced (the latest wins); the last one arrives before the result;
   *   one that cannot be cloned is dropped.
   * - `priority`: lower starts first among the tasks still waiting.
   * - `transfer`: objects moved to the worker rather than copied. They are
   *   moved at the call: detached when `run` returns, even if the task still
   *   waits for a worker. (If the arguments cannot be cloned the future fails
   *   with `DataCloneError`, and, as with Deno's `postMessage`, the listed
   *   objects may be detached all the same.) Should the worker die before
   *   starting the task, the task fails with `WorkerCrashedError` rather than
   *   being sent to another worker: the objects went with the dead one.
   *
   * @typeParam A The argument types.
   * @typeParam R The return type.
   * @param fn A self-contained function or a {@linkcode Task}.
   * @param args Its arguments, as an array.
   * @param options `signal`, `timeout`, `transfer`, `priority`, `retry`,
   * `delay` and `onProgress`.
   * @returns The future of its result. It fails with the `DOMException`
   * `DataCloneError` when the arguments cannot be cloned.
   * @throws {ExecutorShutdownError} `shutdown()` has begun.
   * @throws {BrokenExecutorError} The pool is broken.
   * @throws {TypeError} `fn`, `args` or an option has the wrong type.
   * @throws {RangeError} A number is out of range (a negative `timeout`
   * or `delay`, `retry.attempts` below 1, ...).
   *
   * @example Usage
   * ```ts
   * import { WorkerPoolExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
   * const bytes = new Uint8Array([1, 2, 3]);
   * const sum = pool.run(
   *   (data: Uint8Array) => data.reduce((a, b) => a + b, 0),
   *   [bytes],
   *   { transfer: [bytes.buffer], timeout: 10_000 },
   * );
   * assertEquals(bytes.byteLength, 0); // moved at the call
   * assertEquals(await sum, 6);
   * ```
   */
  run<A extends unknown[], R>(
    fn: Callable<A, R>,
    args: A,
    options?: RunOptions,
  ): Future<Awaited<R>> {
    if (!Array.isArray(args)) throw new TypeError("'args' must be an array");
    const {
      signal,
      timeout,
      priority,
      retry,
      delay,
      onProgress,
      firstAttempt,
      transfer: list,
    } = parseRunOptions(options);
    let transfer = list;
    let callArgs: unknown[] = args;
    if (transfer !== undefined && !signal?.aborted) {
      // Checked first: nothing is moved for a call that throws.
      this.#checkOpen();
      this.#functions.id(fn);
      this.#admit();
      try {
        ({ args: callArgs, transfer } = structuredClone(
          { args, transfer },
          { transfer },
        ));
      } catch (error) {
        const future = new PoolFuture<Awaited<R>>();
        future.setException(error);
        this.#ledger.failed++;
        return future;
      }
    } else {
      transfer = undefined;
    }
    const extra: TaskExtras | undefined = retry === undefined &&
        delay === undefined && onProgress === undefined && firstAttempt === 1
      ? undefined
      : {
        retry,
        firstAttempt,
        run: 1,
        onProgress,
        waitTimer: undefined,
      };
    const task = this.#enqueue(
      fn,
      callArgs,
      false,
      transfer,
      priority,
      extra,
      delay,
    );
    const future = task.future;
    if (signal !== undefined) {
      if (signal.aborted) {
        future.cancel();
        return future as Future<Awaited<R>>;
      }
      task.signal = signal;
      task.onAbort = () => future.cancel({ force: true });
      signal.addEventListener("abort", task.onAbort, { once: true });
    }
    if (timeout !== undefined) {
      task.timer = setTimeout(() => this.#timedOut(task, timeout), timeout);
    }
    return future as Future<Awaited<R>>;
  }

  /**
   * Applies `fn` to every item on the workers, lazily: at most `buffersize`
   * results are held pending (default `2 * maxWorkers *
   * concurrentTasksPerWorker * chunksize`), so an endless iterable works.
   * Each message carries `chunksize` items, which one worker maps one after
   * the other: a larger chunk saves round trips for cheap functions.
   *
   * @typeParam T The item type.
   * @typeParam R The return type.
   * @param fn A self-contained function or a {@linkcode Task}.
   * @param items A sync or async iterable, possibly endless.
   * @param options `timeout`, `chunksize`, `buffersize`, `ordered`, `signal`.
   * @returns The results, in input order unless `ordered: false`; it throws
   * a task's error when that result is reached, `TimeoutError` when it would
   * wait past `timeout` (ms from the call), or the signal's reason. Stopping
   * early (`break`) cancels the work it still holds.
   * @throws {ExecutorShutdownError} `shutdown()` has begun.
   * @throws {BrokenExecutorError} The pool is broken.
   * @throws {RangeError} `chunksize`/`buffersize` is not an integer >= 1, or
   * `timeout` is negative.
   * @throws {TypeError} An argument or option has the wrong type.
   *
   * @example Usage
   * ```ts
   * import { WorkerPoolExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
   * const squares = pool.map((n: number) => n * n, [1, 2, 3, 4], {
   *   chunksize: 2,
   * });
   * assertEquals(await Array.fromAsync(squares), [1, 4, 9, 16]);
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
   * given (which cancels every task not running yet, including those sent
   * ahead to a worker). Once the work is done every worker is stopped
   * (`stats().workers` is 0). With `wait` (the default) the promise resolves
   * then. Calling it again is fine.
   *
   * @param options `wait` (default `true`) and `cancelFutures` (default
   * `false`).
   * @returns A promise that resolves when shut down (with `wait`: once the
   * work has ended and the workers are stopped).
   * @throws {TypeError} An option has the wrong type (the promise rejects).
   *
   * @example Usage
   * ```ts
   * import { WorkerPoolExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
   * const future = pool.submit(() => "done");
   * await pool.shutdown();
   * assertEquals(future.state, "finished");
   * assertEquals(pool.stats().workers, 0);
   * ```
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    let wait: boolean;
    try {
      let cancelFutures: boolean;
      ({ wait, cancelFutures } = parseShutdownOptions(options));
      this.#shutdown = true;
      this.#backpressure.close(new ExecutorShutdownError());
      this.#drained ??= Promise.withResolvers<void>();
      if (cancelFutures) this.#cancelPending();
      this.#checkDrained();
    } catch (error) {
      return Promise.reject(error);
    }
    return wait ? this.#drained.promise : Promise.resolve();
  }

  /**
   * Shuts down and waits for the work to end: `shutdown({ wait: true })`.
   *
   * @returns A promise that resolves when the work has ended.
   *
   * @example Usage
   * ```ts
   * import { WorkerPoolExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * let future;
   * {
   *   await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
   *   future = pool.submit(() => 1 + 1);
   * }
   * assertEquals(future.state, "finished");
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /**
   * A snapshot of the pool's state. `queued` counts the tasks waiting in
   * the pool and those sent ahead to a worker but not started;
   * `completed + failed + cancelled` counts every task that has settled.
   *
   * @returns The counts.
   *
   * @example Usage
   * ```ts
   * import { WorkerPoolExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
   * await Promise.all([pool.submit(() => 1), pool.submit(() => 2)]);
   * const { completed, queued, running } = pool.stats();
   * assertEquals({ completed, queued, running }, {
   *   completed: 2,
   *   queued: 0,
   *   running: 0,
   * });
   * ```
   */
  stats(): WorkerPoolStats {
    const { workers, busy } = workerCounts(this.#workers);
    return {
      workers,
      busy,
      queued: this.#ledger.queued + this.#ledger.pending +
        this.#ledger.delayed,
      running: this.#ledger.running + this.#ledger.retrying,
      completed: this.#ledger.completed,
      failed: this.#ledger.failed,
      cancelled: this.#ledger.cancelled,
      waitTime: this.#waitTime.snapshot(),
      runTime: this.#runTime.snapshot(),
      utilization: this.#utilization.value(),
    };
  }

  /**
   * Waits until a `submit` would not throw `QueueFullError`: fewer than
   * `maxQueue` tasks wait for a worker (at once when that already holds).
   *
   * @param options `signal`: stop waiting when aborted.
   * @returns A promise that resolves when there is room; it rejects with
   * `ExecutorShutdownError` when `shutdown()` begins first (or has begun),
   * `BrokenExecutorError` when the pool is broken, or the signal's reason.
   *
   * @example Usage
   * ```ts
   * import { WorkerPoolExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 1, maxQueue: 4 });
   * const results = [];
   * for (let i = 0; i < 20; i++) {
   *   await pool.ready(); // never more than 4 waiting
   *   results.push(pool.submit((n: number) => n * 2, i));
   * }
   * assertEquals((await Promise.all(results))[19], 38);
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

  // ---------------------------------------------------------------- submit

  #checkOpen(): void {
    if (this.#broken !== undefined) throw this.#broken;
    if (this.#shutdown) throw new ExecutorShutdownError();
  }

  /**
   * Tasks that would wait for a worker: those pending beyond the capacity
   * still free (see _backpressure.ts).
   */
  #waiting(): number {
    const ledger = this.#ledger;
    const free = this.#maxWorkers * this.#concurrency - ledger.running;
    const pending = ledger.queued + ledger.pending + ledger.delayed;
    return free > 0 ? pending - free : pending;
  }

  /** Throws QueueFullError when a submit would exceed `maxQueue`. */
  #admit(): void {
    if (this.#backpressure.limit !== Infinity) {
      this.#backpressure.admit(this.#waiting());
    }
  }

  #enqueue(
    fn: unknown,
    args: unknown[],
    chunk: boolean,
    transfer: Transferable[] | undefined,
    priority: number,
    extra?: TaskExtras,
    delay?: number,
  ): PoolTask {
    this.#checkOpen();
    const fnId = this.#functions.id(fn);
    // map() waits for room itself (it never throws QueueFullError).
    if (!chunk) this.#admit();
    const future = new PoolFuture<unknown>();
    const task = new PoolTask(
      this.#seq++,
      this.#owner,
      future,
      fnId,
      chunk,
      args,
      transfer,
      priority,
    );
    // One clock read per turn of submits: the wait time counts from then.
    task.submitted = this.#now ??= { time: performance.now() };
    this.#active = true;
    if (extra !== undefined) {
      setExtras(task, extra);
      if (delay !== undefined) {
        // Pending meanwhile; the timer keeps the program alive.
        this.#ledger.delay(task);
        this.#waitingTasks.add(task);
        extra.waitTimer = setTimeout(() => this.#waited(task), delay);
        if (this.#backpressure.limit !== Infinity) {
          this.#backpressure.grew(this.#waiting());
        }
        return task;
      }
    }
    this.#queue.push(task);
    this.#ledger.queue(task);
    if (this.#backpressure.limit !== Infinity) {
      this.#backpressure.grew(this.#waiting());
    }
    this.#scheduleDispatch();
    return task;
  }

  // -------------------------------------------------------------- dispatch

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    queueMicrotask(this.#dispatch);
  }

  /** Hands queued tasks to workers, then sends each worker one message. */
  #dispatchNow(): void {
    this.#dispatchScheduled = false;
    this.#now = undefined;
    if (this.#broken !== undefined) return;
    const queue = this.#queue;
    const context = this.#context;
    const runningLimit = this.#concurrency + 1;
    let task: PoolTask | undefined;
    while ((task = queue.peek()) !== undefined) {
      if (task.state !== QUEUED) {
        queue.shift();
        continue;
      }
      context.canSpawn =
        countedWorkers(this.#workers, this.#maxTasksPerWorker) <
          this.#maxWorkers;
      context.cost = this.#functions.cost(task.fnId, task.weight);
      const choice = chooseWorker(this.#workers, context);
      if (choice === WAIT) break;
      const worker = choice === SPAWN ? this.#spawn() : this.#workers[choice];
      if (worker === undefined) return; // spawning failed: broken
      queue.shift();
      task.cost = context.cost;
      // A task put back after a crash may be marked running already.
      this.#ledger.sent(
        task,
        worker.assign(
          task,
          this.#functions.def,
          runningLimit,
          task.future.running(),
        ),
      );
      // Its last task: the replacement starts now (see _pool_recycle.ts).
      if (
        worker.sent >= worker.quota && this.#ledger.queued > 0 &&
        task.cost >= EARLY_REPLACEMENT_MS
      ) {
        this.#spawnReplacement(worker);
      }
    }
    const failures: [PoolTask, unknown][] = [];
    for (const worker of this.#workers) {
      for (const failure of worker.flush()) failures.push(failure);
    }
    if (failures.length === 0) return;
    for (const worker of [...this.#workers]) {
      if (worker.inFlight === 0) this.#becameIdle(worker);
    }
    const errors = new Map(failures);
    this.#ledger.settleAll([...errors.keys()], (task) => errors.get(task));
    this.#changed();
  }

  /** Starts a worker's replacement early (see _pool_recycle.ts). */
  #spawnReplacement(worker: PoolWorker): void {
    // `worker` stops counting once replaced.
    const others = countedWorkers(this.#workers, this.#maxTasksPerWorker) - 1;
    if (others >= this.#maxWorkers) return;
    const replacement = this.#spawn();
    if (replacement !== undefined) replacement.replaces = worker;
  }

  #spawn(): PoolWorker | undefined {
    let worker: PoolWorker;
    try {
      worker = new PoolWorker(
        {
          url: WORKER_URL,
          name: `${this.#name}-${++this.#spawned}`,
          concurrency: this.#concurrency,
          permissions: this.#permissions,
          init: this.#init,
          initargs: this.#initargs,
        },
        this.#maxTasksPerWorker,
        this.#listener,
        this.#backend?.channel,
      );
    } catch (error) {
      this.#break(error, "A worker could not be started");
      return undefined;
    }
    this.#workers.push(worker);
    this.dispatchEvent(
      new CustomEvent<WorkerEventDetail>("workerstart", {
        detail: { name: worker.name },
      }),
    );
    return worker;
  }

  // --------------------------------------------------------------- results

  #onMessage(worker: PoolWorker, message: WorkerMessage): void {
    switch (message.t) {
      case MSG_DONE:
        if (message.progress !== undefined) {
          this.#onProgress(worker, message.progress);
        }
        this.#onDone(worker, message.results, message.times);
        break;
      case MSG_PROGRESS:
        this.#onProgress(worker, message.progress);
        break;
      case MSG_READY:
        worker.ready = true;
        // Its clock's zero against ours, for the wait times it reports.
        worker.clockOffset = message.origin - performance.timeOrigin;
        break;
      case MSG_INIT_FAILED:
        this.#break(
          fromWire(message.error as WireError),
          "The initializer failed",
        );
        break;
      case MSG_FATAL:
        this.#onWorkerDied(worker, fromWire(message.error as WireError));
        break;
      case MSG_CLOSING: {
        const how = message.how === "close" ? "self.close()" : "Deno.exit()";
        if (!worker.ready) {
          // Closed by the initializer: every worker would do the same.
          this.#break(
            new Error(`The initializer closed the worker (${how})`),
            "A worker failed to start",
          );
        } else {
          this.#crash(worker, {
            message: `The worker running this task closed itself (${how})`,
            cause: undefined,
            exitError: new Error(`The worker closed itself (${how})`),
          });
        }
        break;
      }
    }
  }

  /** Hands progress values to the callers (never after their task settled). */
  #onProgress(worker: PoolWorker, progress: unknown[]): void {
    for (let i = 0; i < progress.length; i += 2) {
      const task = worker.taskAt(progress[i] as number);
      const onProgress = task?.extra?.onProgress;
      if (onProgress === undefined || task!.future.done()) continue;
      try {
        onProgress(progress[i + 1]);
      } catch (error) {
        reportError(error);
      }
    }
  }

  #onDone(worker: PoolWorker, results: unknown[], times: Float64Array): void {
    this.#fruitless = 0;
    const settled: unknown[] = [];
    const offset = worker.clockOffset;
    const ledger = this.#ledger;
    let busy = 0;
    for (
      let i = 0, t = 0;
      i < results.length;
      i += RESULT_STRIDE, t += TIME_STRIDE
    ) {
      const task = worker.answer(results[i] as number);
      const status = results[i + 1];
      if (task === undefined || status === STATUS_SKIPPED) {
        times[t] = times[t + 1] = NaN; // not timed (see recordEach below)
        // Revoked: nothing to settle. Skipped without being revoked cannot
        // happen; it would run elsewhere.
        if (task !== undefined) this.#requeue([task]);
        continue;
      }
      const ms = times[t];
      this.#functions.learn(task.fnId, ms / task.weight);
      // From when it started to when it was submitted, on our clock.
      times[t + 1] += offset - task.submitted.time;
      busy += ms;
      if (
        task.extra?.retry !== undefined &&
        (status !== STATUS_OK || (task.chunk && chunkFailed(results[i + 2])))
      ) {
        // Another run, unless the retries are used up.
        if (this.#retry(task)) continue;
      }
      ledger.leave(task);
      if (status === STATUS_OK) ledger.completed++;
      else ledger.failed++;
      settled.push(task, status, results[i + 2]);
    }
    // Recorded in loops of their own, keeping the loop above small enough
    // for V8 to inline what it calls.
    this.#runTime.recordEach(times, 0, TIME_STRIDE);
    this.#waitTime.recordEach(times, 1, TIME_STRIDE);
    this.#utilization.busy += busy;
    this.#promote(worker);
    if (worker.inFlight === 0) this.#becameIdle(worker);
    for (let i = 0; i < settled.length; i += 3) {
      const { future, chunk } = settled[i] as PoolTask;
      const payload = settled[i + 2];
      if (future.done()) continue; // settled by its owner meanwhile
      if (future.state === "pending") future.setRunningOrNotifyCancel();
      if (settled[i + 1] !== STATUS_OK) {
        future.setException(fromWire(payload as WireError));
      } else {
        future.setResult(chunk ? chunkResults(payload) : payload);
      }
    }
    if (ledger.queued > 0) this.#scheduleDispatch();
    this.#changed();
  }

  /** Counts tasks sent ahead as running, up to one beyond the concurrency. */
  #promote(worker: PoolWorker): void {
    const limit = this.#concurrency + 1;
    while (worker.running < limit) {
      const task = worker.nextPending();
      if (task === undefined) break;
      this.#ledger.promote(task);
    }
  }

  // ------------------------------------------------------ cancel & timeout

  #beforeCancel(task: PoolTask): void {
    const ledger = this.#ledger;
    if (task.state === QUEUED || task.state === DELAYED) {
      this.#waitingTasks.delete(task);
      ledger.leave(task);
      ledger.cancelled++;
      this.#changed();
    } else if (task.state === SENT) {
      const worker = task.worker!;
      if (worker.revoke(task)) {
        ledger.leave(task);
        ledger.cancelled++;
        this.#lightened(worker);
      } else {
        // The worker has just started it: it is running, not cancellable.
        ledger.promote(task);
      }
      this.#changed();
    }
  }

  /** `cancel({ force: true })` on a running task. */
  #forceStop(task: PoolTask): boolean {
    if (task.state === DONE) return false;
    this.#stopTask(task);
    return true;
  }

  #timedOut(task: PoolTask, timeout: number): void {
    task.timer = undefined;
    if (task.state === DONE) return;
    this.#stopTask(
      task,
      new TimeoutError(`The task did not finish in ${timeout} ms`),
    );
  }

  /**
   * Stops a task that is not done: cancelled (`error` undefined: the
   * future's `cancel` settles it) or failed with `error` (a timeout), never
   * retried. One its worker started has its signal aborted and `stopGrace`
   * ms to end by itself; then its worker is stopped (at once without grace).
   */
  #stopTask(task: PoolTask, error?: unknown): void {
    const worker = task.worker;
    const started = worker !== undefined && !worker.revoke(task);
    const ledger = this.#ledger;
    if (started) {
      worker.stop(
        task,
        error === undefined ? ABORT_CANCEL : ABORT_TIMEOUT,
        error === undefined ? "The future was cancelled" : String(
          (error as Error).message,
        ),
        this.#stopGrace,
        (worker) => this.#graceOver(worker, error === undefined),
      );
    }
    this.#waitingTasks.delete(task);
    ledger.leave(task);
    if (error === undefined) ledger.cancelled++;
    else ledger.failed++;
    if (started) {
      if (this.#stopGrace === 0) this.#graceOver(worker, error === undefined);
    } else if (worker !== undefined) {
      this.#lightened(worker);
    }
    if (error !== undefined && !task.future.done()) {
      task.future.setException(error);
    }
    this.#changed();
  }

  /**
   * A stopped task did not end within `stopGrace`: its worker is stopped
   * (and replaced on demand); the other tasks it had started fail.
   */
  #graceOver(worker: PoolWorker, cancelled: boolean): void {
    this.#crash(worker, {
      message: cancelled
        ? "The worker running this task was terminated to stop another " +
          "task (cancel({ force: true }))"
        : "The worker running this task was terminated to stop a task " +
          "that timed out",
      cause: undefined,
      stopped: true,
    });
  }

  /** A delayed task may start now: it joins the queue by its priority. */
  #waited(task: PoolTask): void {
    task.extra!.waitTimer = undefined;
    if (task.state !== DELAYED) return;
    this.#waitingTasks.delete(task);
    // Its wait time counts from now.
    task.submitted = this.#now ??= { time: performance.now() };
    this.#queue.push(task);
    this.#ledger.queue(task);
    this.#scheduleDispatch();
  }

  /**
   * After a failed run (the task threw, or its worker died): runs the task
   * again after the retry delay, if its retries allow, and returns `true`;
   * else returns `false` (the caller settles it). A task whose arguments
   * were transferred cannot run again: they went with the first run.
   */
  #retry(task: PoolTask): boolean {
    const extra = task.extra;
    const retry = extra?.retry;
    if (
      retry === undefined || extra!.run >= retry.attempts || task.moved ||
      this.#broken !== undefined
    ) {
      return false;
    }
    this.#ledger.retreat(task);
    this.#waitingTasks.add(task);
    extra!.waitTimer = setTimeout(
      () => this.#retryNow(task),
      retryDelay(retry, extra!.run),
    );
    extra!.run++;
    return true;
  }

  #retryNow(task: PoolTask): void {
    task.extra!.waitTimer = undefined;
    if (task.state !== RETRYING) return;
    this.#waitingTasks.delete(task);
    task.submitted = this.#now ??= { time: performance.now() };
    this.#queue.push(task);
    this.#ledger.queue(task);
    this.#scheduleDispatch();
  }

  /** Cancels every task not running: queued, delayed and sent ahead. */
  #cancelPending(): void {
    const tasks: PoolTask[] = [];
    for (const task of this.#queue) {
      if (task.state === QUEUED) tasks.push(task);
    }
    for (const task of this.#waitingTasks) {
      if (task.state === DELAYED) tasks.push(task);
    }
    for (const worker of this.#workers) {
      for (const task of worker.live()) {
        if (task.state === SENT) tasks.push(task);
      }
    }
    for (const task of tasks) task.future.cancel();
  }

  // --------------------------------------------------- crashes & breakage

  #onWorkerDied(worker: PoolWorker, error: unknown): void {
    if (!worker.ready) {
      this.#break(error, "A worker failed to start");
    } else {
      this.#crash(worker, {
        message: `The worker running this task died: ${describeError(error)}`,
        cause: error,
      });
    }
  }

  /**
   * Ends a worker that died or must be stopped: the tasks it had started
   * (but `stopped`) fail with WorkerCrashedError, those it had not started
   * go back to the front of the queue, and a new worker takes over on
   * demand.
   */
  #crash(worker: PoolWorker, how: CrashOptions): void {
    if (worker.dead) return;
    const { message, cause, stopped = false } = how;
    const exitError = "exitError" in how ? how.exitError : cause;
    // Stopped to end one of its tasks, or died.
    if (stopped) this.#retire(worker, "stopped");
    else this.#retire(worker, "crashed", exitError);
    const requeue: PoolTask[] = [];
    const failed: PoolTask[] = [];
    for (const task of worker.live()) {
      // The worker may still be running for a moment: the slot decides. A
      // task whose transferred objects went to the worker cannot be resent.
      if (worker.revoke(task) && !task.moved) requeue.push(task);
      else failed.push(task);
    }
    this.#requeue(requeue);
    if (
      failed.length === 0 && !stopped && requeue.length > 0 &&
      ++this.#fruitless >= MAX_FRUITLESS_CRASHES
    ) {
      // Workers die before they start any task: respawning cannot help.
      this.#break(
        exitError ?? new Error(message),
        `${MAX_FRUITLESS_CRASHES} workers died in a row`,
      );
      return;
    }
    // Tasks waiting in the queue for room on a worker now have a free one.
    if (this.#ledger.queued > 0) this.#scheduleDispatch();
    this.#ledger.settleAll(
      failed,
      () =>
        new WorkerCrashedError(
          message,
          cause === undefined ? undefined : { cause },
        ),
      (task) => this.#retry(task),
    );
    this.#changed();
  }

  /** Puts tasks that no worker started back at the front of the queue. */
  #requeue(tasks: PoolTask[]): void {
    if (tasks.length === 0) return;
    for (const task of tasks) this.#ledger.queue(task);
    this.#queue.unshift(tasks);
    this.#scheduleDispatch();
  }

  /**
   * The pool can no longer run work: every task fails with
   * BrokenExecutorError, and so does every later submit.
   */
  #break(cause: unknown, what: string): void {
    if (this.#broken !== undefined) return;
    const broken = new BrokenExecutorError(`${what}: ${describeError(cause)}`, {
      cause,
    });
    this.#broken = broken;
    this.#backpressure.close(broken);
    const tasks: PoolTask[] = [];
    for (const task of this.#queue) {
      if (task.state === QUEUED) tasks.push(task);
    }
    this.#queue.clear();
    for (const task of this.#waitingTasks) tasks.push(task);
    this.#waitingTasks.clear();
    for (const worker of this.#workers) {
      for (const task of worker.live()) tasks.push(task);
    }
    for (const worker of [...this.#workers]) {
      this.#retire(worker, "crashed", broken);
    }
    this.#ledger.settleAll(tasks, () => broken);
    this.#changed();
  }

  // ------------------------------------------------------------ lifecycle

  /** A task left `worker` without an answer (revoked): it has room again. */
  #lightened(worker: PoolWorker): void {
    if (worker.inFlight === 0) this.#becameIdle(worker);
    if (this.#ledger.queued > 0) this.#scheduleDispatch();
  }

  #becameIdle(worker: PoolWorker): void {
    if (worker.dead) return;
    if (worker.sent >= worker.quota) {
      // Recycled after maxTasksPerWorker tasks; a fresh one comes on demand.
      this.#retire(worker, "recycled");
      if (this.#ledger.queued > 0) this.#scheduleDispatch();
      return;
    }
    this.#idle.schedule();
  }

  #retire(
    worker: PoolWorker,
    reason: NonNullable<WorkerEventDetail["reason"]>,
    error?: unknown,
  ): void {
    if (worker.dead && !this.#workers.includes(worker)) return;
    worker.terminate();
    const closed = worker.channel.closed;
    if (closed !== undefined) {
      this.#closing.add(closed);
      closed.finally(() => this.#closing.delete(closed));
    }
    const index = this.#workers.indexOf(worker);
    if (index !== -1) this.#workers.splice(index, 1);
    const detail: WorkerEventDetail = { name: worker.name, reason };
    if (reason === "crashed") detail.error = error;
    this.dispatchEvent(new CustomEvent("workerexit", { detail }));
  }

  /**
   * After tasks left the queue or settled: room for waiting submits
   * ("drain"), "idle" once nothing is left, and after shutdown, the end.
   */
  #changed(): void {
    const backpressure = this.#backpressure;
    if (backpressure.full) backpressure.fell(this.#waiting());
    if (!this.#ledger.empty) return;
    if (this.#active) {
      this.#active = false;
      this.dispatchEvent(new Event("idle"));
    }
    this.#checkDrained();
  }

  /** After shutdown: once no task is left, stop every worker. */
  #checkDrained(): void {
    if (!this.#shutdown && this.#broken === undefined) return;
    if (!this.#ledger.empty) return;
    for (const worker of [...this.#workers]) {
      this.#retire(worker, "shutdown");
    }
    this.#idle.cancel();
    if (this.#drained === undefined) return;
    if (this.#closing.size === 0) this.#drained.resolve();
    else {
      const { resolve } = this.#drained;
      Promise.all(this.#closing).then(() => resolve());
    }
  }
}

// Copyright 2026 the @concurrent/futures authors. MIT license.

// deno-lint-ignore no-import-prefix
import { type JobsOptions, Queue, QueueEvents } from "npm:bullmq@5.81.5";
// deno-lint-ignore no-import-prefix
import type { Redis } from "npm:ioredis@5.11.1";
import {
  ExecutorShutdownError,
  TimeoutError,
  WorkerCrashedError,
} from "../executors/errors.ts";
import { Future } from "../executors/future.ts";
import type {
  Executor,
  MapOptions,
  RunOptions,
  ShutdownOptions,
} from "../executors/executor.ts";
import { type Callable, Task } from "../executors/task.ts";
import { kFailed, kForceCancel } from "../executors/_internal.ts";
import { type MapHost, mapImpl, type Settled } from "../executors/_map.ts";
import { validateInteger, validateOptions } from "../executors/_validate.ts";
import {
  NO_RUN_OPTIONS,
  type ParsedRun,
  parseRunOptions,
  parseShutdownOptions,
} from "../executors/_run_options.ts";
import type { Retry } from "../executors/_retry.ts";
import type { WireError } from "../executors/_errors_wire.ts";
import { decode, encode, reviveError } from "./_codec.ts";
import {
  addressOf,
  BACKOFF,
  bullPriority,
  cancelChannel,
  type ChunkOutcome,
  connect,
  EVENTS_MAX_LEN,
  eventsKey,
  JOB_NAME,
  type JobData,
  jobKey,
  KEEP_FINISHED,
  type Outcome,
  PREFIX,
  type ProgressData,
  validateConnection,
  validateQueue,
} from "./_protocol.ts";

/** Options of {@linkcode QueueExecutor}. */
export interface QueueExecutorOptions {
  /**
   * The Redis server: `"redis://[user:password@]host:port[/db]"`, or
   * `"rediss://..."` for TLS.
   */
  connection: string | URL;
  /** The queue's name. Default `"concurrent-futures"`. */
  queue?: string;
  /**
   * Runs of a job whose worker process dies, in all; then its future fails
   * with `WorkerCrashedError`. Default 3.
   */
  maxAttempts?: number;
}

/** `run`'s options on a {@linkcode QueueExecutor}: those of every executor, and `key`. */
export interface QueueRunOptions extends RunOptions {
  /**
   * A deduplication key, used as the BullMQ job id (a non-empty string,
   * not an integer, without `:`). While a job with this key is waiting,
   * running, or kept with its result (5 minutes), another `run` with the
   * same key starts nothing new and returns a future of that same job's
   * outcome (on this executor, the same future).
   */
  key?: string;
}

/** What {@linkcode QueueExecutor.stats} reports. */
export interface QueueExecutorStats {
  /** This executor's jobs waiting in Redis. */
  waiting: number;
  /** This executor's jobs a worker runs now. */
  running: number;
  /** This executor's futures that finished with a value. */
  completed: number;
  /** This executor's futures that finished with an error. */
  failed: number;
  /** This executor's futures that were cancelled. */
  cancelled: number;
  /** Worker processes serving the queue now (all clients'). */
  workers: number;
}

/** One job of this executor that has not settled yet. */
interface Entry {
  id: string;
  future: Future<unknown>;
  data: JobData;
  opts: JobsOptions;
  /** Its add reached Redis. */
  added: boolean;
  /** A worker took it (Redis said so). */
  started: boolean;
  /** Settled from Redis (rather than cancelled or timed out here). */
  remote: boolean;
  /** `performance.now()` when Redis last told something about it. */
  heard: number;
  timer?: ReturnType<typeof setTimeout>;
  signal?: AbortSignal;
  onAbort?: () => void;
  onProgress?: (value: unknown) => void;
  /** Its id is a `key`: the job may exist already (added by anyone). */
  keyed: boolean;
}

/** Adds per `addBulk` call. */
const BATCH = 500;
/** A job unheard of for this long is looked up in Redis. */
const POLL_AFTER = 3000;
/** Jobs looked up per poll round. */
const POLL_BATCH = 1000;
/** Redis down this long fails the outstanding futures (contract: 10 s). */
const UNREACHABLE_AFTER = 6000;
/** The default parallelism `map` assumes for its default `buffersize`. */
const MAP_PARALLELISM = 8;

/**
 * Python's `concurrent.futures` Executor across machines, as Dask's
 * `distributed.Client` is: tasks go as BullMQ jobs to a Redis server, worker
 * processes on any machine that reaches it (`serveQueue`, or the
 * `distributed/worker.ts` command) run them on their local pool (worker
 * threads, child processes, or their own event loop: `--pool`), and results
 * come back through Redis.
 *
 * Tasks are module tasks ({@linkcode task}, {@linkcode tasks}) with absolute
 * `file:` or `http(s):` URLs, which each worker imports (only under its
 * `--allow` prefixes). Arguments and results cross as with
 * `WorkerPoolExecutor`; a task's error keeps its name, message, worker-side
 * stack and built-in class.
 *
 * A future is `pending` while its job waits in Redis and `running` once a
 * worker took it. Delivery is at-least-once: a job whose worker process
 * dies runs again on another process (within 15 s), up to `maxAttempts`
 * runs, so tasks should be safe to run twice. Call {@linkcode shutdown} (or
 * use `await using`) so that the Redis connections close and the program
 * can exit.
 *
 * @example Usage
 * ```ts
 * import { QueueExecutor } from "@concurrent/futures/distributed";
 * import { tasks } from "@concurrent/futures";
 *
 * // Needs a Redis server, and worker processes serving the queue:
 * //   deno run --allow-net --allow-env --allow-read distributed/worker.ts \
 * //     --redis redis://127.0.0.1:6379 --allow https://example.com/tasks/
 * type Math = { fib(n: number): number };
 * const math = tasks<Math>("https://example.com/tasks/math.ts");
 *
 * export async function fibs(): Promise<number[]> {
 *   await using executor = new QueueExecutor({
 *     connection: "redis://127.0.0.1:6379",
 *   });
 *   return await Array.fromAsync(executor.map(math.fib, [30, 31, 32]));
 * }
 * ```
 */
export class QueueExecutor extends EventTarget implements Executor {
  #queueName: string;
  #address: string;
  #maxAttempts: number;
  #client: Redis;
  #eventsClient: Redis;
  #queue: Queue;
  #events: QueueEvents | undefined;
  #started: Promise<void>;
  #prefix = crypto.randomUUID().slice(0, 8);
  #seq = 0;
  #jobs = new Map<string, Entry>();
  #batch: Entry[] = [];
  #flushScheduled = false;
  #downSince: number | undefined = performance.now();
  #lastError: unknown;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #polling = false;
  #shutdown: Promise<void> | undefined;
  #idle: (() => void) | undefined;
  #background = new Set<Promise<unknown>>();
  #counts = { completed: 0, failed: 0, cancelled: 0 };

  /**
   * Connects to the Redis server (in the background).
   *
   * @param options `connection` (required), `queue`, `maxAttempts`.
   * @throws {TypeError} `connection` is not a `redis:`/`rediss:` URL, or an
   * option has the wrong type.
   * @throws {RangeError} `maxAttempts` is not an integer >= 1.
   */
  constructor(options: QueueExecutorOptions) {
    super();
    const opts = validateOptions(options);
    const connection = validateConnection(opts.connection);
    this.#queueName = validateQueue(opts.queue);
    this.#maxAttempts = validateInteger(opts.maxAttempts, "maxAttempts", 1) ??
      3;
    this.#address = addressOf(connection);
    this.#client = connect(connection, `cf:client:${this.#prefix}`);
    this.#eventsClient = connect(connection, `cf:events:${this.#prefix}`);
    for (const client of [this.#client, this.#eventsClient]) {
      client.on("ready", () => this.#downSince = undefined);
      client.on("error", (error: unknown) => {
        this.#lastError = error;
        this.#downSince ??= performance.now();
      });
      client.on("close", () => this.#downSince ??= performance.now());
    }
    this.#queue = new Queue(this.#queueName, {
      connection: this.#client,
      prefix: PREFIX,
      streams: { events: { maxLen: EVENTS_MAX_LEN } },
    });
    this.#queue.on("error", (error: unknown) => this.#lastError = error);
    this.#started = this.#start();
    this.#started.catch(() => {});
  }

  /**
   * Starts listening to the queue's events from the stream's current end,
   * read before any job is added: `QueueEvents` would otherwise start from
   * whatever arrives after its first read, and miss what came before.
   */
  async #start(): Promise<void> {
    const last = await this.#client.xrevrange(
      eventsKey(this.#queueName),
      "+",
      "-",
      "COUNT",
      1,
    );
    if (this.#shutdown !== undefined && this.#jobs.size === 0) return;
    const events = new QueueEvents(this.#queueName, {
      connection: this.#eventsClient,
      prefix: PREFIX,
      lastEventId: last.length > 0 ? last[0][0] : "0-0",
      autorun: true,
    });
    events.on("error", (error: unknown) => this.#lastError = error);
    events.on("active", ({ jobId }) => this.#onActive(jobId));
    events.on("completed", ({ jobId, returnvalue }) => {
      this.#onCompleted(jobId, returnvalue as unknown as string);
    });
    events.on("failed", ({ jobId, failedReason }) => {
      this.#onFailed(jobId, failedReason);
    });
    events.on("progress", ({ jobId, data }) => {
      this.#onProgress(jobId, data as ProgressData);
    });
    this.#events = events;
  }

  /**
   * Schedules `fn(...args)` as a job.
   *
   * @typeParam A The argument types.
   * @typeParam R The return type.
   * @param fn A module task ({@linkcode task}).
   * @param args Its arguments.
   * @returns The future of its result.
   * @throws {TypeError} `fn` is a function rather than a module task.
   * @throws {ExecutorShutdownError} `shutdown()` began.
   *
   * @example Usage
   * ```ts
   * import { QueueExecutor } from "@concurrent/futures/distributed";
   * import { task } from "@concurrent/futures";
   *
   * const add = task<(a: number, b: number) => number>(
   *   "https://example.com/tasks/math.ts",
   *   "add",
   * );
   *
   * export async function three(executor: QueueExecutor): Promise<number> {
   *   return await executor.submit(add, 1, 2);
   * }
   * ```
   */
  submit<A extends unknown[], R>(
    fn: Callable<A, R>,
    ...args: A
  ): Future<Awaited<R>> {
    return this.#schedule(fn, args, NO_RUN_OPTIONS, undefined, false) as Future<
      Awaited<R>
    >;
  }

  /**
   * Schedules `fn(...args)` as a job, with per-task options: `signal` and
   * `timeout` stop the job wherever it is (removed while waiting, stopped on
   * its worker process while running); `priority` is BullMQ's job priority
   * (lower first, negative before the default 0); `delay` makes it a delayed
   * job, waiting in Redis; `retry` is BullMQ's attempts with this module's
   * backoff (jitter included); `onProgress` receives the task's
   * `currentTask().progress()` values; `key` deduplicates by job id;
   * `transfer`'s buffers are detached at the call.
   *
   * @typeParam A The argument types.
   * @typeParam R The return type.
   * @param fn A module task.
   * @param args Its arguments, as an array.
   * @param options `signal`, `timeout`, `transfer`, `priority`, `delay`,
   * `retry`, `onProgress`, `key`.
   * @returns The future of its result (with a `key` whose job this executor
   * still waits for, that job's future).
   * @throws {TypeError} `fn` is not a module task, or an option has the
   * wrong type.
   * @throws {RangeError} A numeric option out of range (`timeout` or `delay`
   * < 0, `priority` not finite, `retry.attempts` < 1, ...).
   * @throws {ExecutorShutdownError} `shutdown()` began.
   *
   * @example Usage
   * ```ts
   * import { QueueExecutor } from "@concurrent/futures/distributed";
   * import { task } from "@concurrent/futures";
   *
   * const add = task<(a: number, b: number) => number>(
   *   "https://example.com/tasks/math.ts",
   *   "add",
   * );
   *
   * export async function bounded(executor: QueueExecutor): Promise<number> {
   *   return await executor.run(add, [1, 2], {
   *     timeout: 60_000,
   *     delay: 5000,
   *     retry: { attempts: 3, delay: 1000 },
   *     key: "add-1-2",
   *   });
   * }
   * ```
   */
  run<A extends unknown[], R>(
    fn: Callable<A, R>,
    args: A,
    options?: QueueRunOptions,
  ): Future<Awaited<R>> {
    if (!Array.isArray(args)) throw new TypeError("'args' must be an array");
    checkTask(fn);
    const run = parseRunOptions(options);
    const key = validateKey(options?.key);
    if (key !== undefined) {
      this.#checkOpen();
      // The same job, still unsettled here: the same future.
      const entry = this.#jobs.get(key);
      if (entry !== undefined) return entry.future as Future<Awaited<R>>;
    }
    return this.#schedule(fn, args, run, key, false) as Future<Awaited<R>>;
  }

  /**
   * Applies `fn` to every item, `chunksize` items per job, with at most
   * `buffersize` results pending; yields in input order unless
   * `ordered: false`.
   *
   * @typeParam T The item type.
   * @typeParam R The return type.
   * @param fn A module task.
   * @param items The items (sync or async iterable, may be endless).
   * @param options `timeout`, `chunksize`, `buffersize`, `ordered`, `signal`.
   * @returns The results.
   * @throws {TypeError} `fn` is not a module task, or bad options.
   * @throws {RangeError} An invalid numeric option.
   * @throws {ExecutorShutdownError} `shutdown()` began.
   *
   * @example Usage
   * ```ts
   * import { QueueExecutor } from "@concurrent/futures/distributed";
   * import { task } from "@concurrent/futures";
   *
   * const add = task<(a: number, b: number) => number>(
   *   "https://example.com/tasks/math.ts",
   *   "add",
   * );
   *
   * export async function sums(executor: QueueExecutor): Promise<number[]> {
   *   const items = Array.from({ length: 1000 }, (_, i) => i);
   *   const results: number[] = [];
   *   for await (const n of executor.map(task<(n: number) => number>("https://example.com/tasks/math.ts", "double"), items, { chunksize: 100 })) {
   *     results.push(n);
   *   }
   *   return results;
   * }
   * ```
   */
  map<T, R>(
    fn: Callable<[T], R>,
    items: Iterable<T> | AsyncIterable<T>,
    options?: MapOptions,
  ): AsyncIterableIterator<Awaited<R>> {
    checkTask(fn);
    const host: MapHost = {
      parallelism: MAP_PARALLELISM,
      checkOpen: () => this.#checkOpen(),
      submitChunk: <U, V>(f: Callable<[U], V>, chunk: U[], retry?: Retry) =>
        this.#schedule(
          f,
          chunk,
          retry === undefined ? NO_RUN_OPTIONS : { ...NO_RUN_OPTIONS, retry },
          undefined,
          true,
        ) as unknown as Future<Settled<Awaited<V>>[]>,
    };
    return mapImpl(host, fn, items, options);
  }

  /**
   * Stops taking work; waits for this executor's futures (with
   * `cancelFutures`, after removing its waiting jobs) and closes the Redis
   * connections. Calling it again is fine.
   *
   * @param options `wait` (default `true`) and `cancelFutures`.
   * @returns A promise that resolves when shut down (at once with
   * `wait: false`).
   *
   * @example Usage
   * ```ts
   * import { QueueExecutor } from "@concurrent/futures/distributed";
   * import { assertThrows } from "@std/assert";
   *
   * const executor = new QueueExecutor({ connection: "redis://127.0.0.1:6379" });
   * await executor.shutdown();
   * assertThrows(() => executor.map(Object as never, []));
   * ```
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    const { wait, cancelFutures } = parseShutdownOptions(options);
    if (cancelFutures) {
      for (const entry of [...this.#jobs.values()]) {
        if (entry.future.state === "pending") entry.future.cancel();
      }
    }
    this.#shutdown ??= this.#close();
    return wait ? this.#shutdown : Promise.resolve();
  }

  /**
   * Same as `shutdown({ wait: true })`.
   *
   * @returns A promise that resolves when shut down.
   *
   * @example Usage
   * ```ts
   * import { QueueExecutor } from "@concurrent/futures/distributed";
   * export async function withExecutor(): Promise<void> {
   *   await using executor = new QueueExecutor({
   *     connection: "redis://127.0.0.1:6379",
   *   });
   *   console.log(await executor.stats());
   * }
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /**
   * Counts of this executor's futures, and the worker processes serving the
   * queue now.
   *
   * @returns The statistics.
   *
   * @example Usage
   * ```ts
   * import { QueueExecutor } from "@concurrent/futures/distributed";
   * export async function report(executor: QueueExecutor): Promise<string> {
   *   const { waiting, running, workers } = await executor.stats();
   *   return `${waiting} waiting, ${running} running, ${workers} workers`;
   * }
   * ```
   */
  async stats(): Promise<QueueExecutorStats> {
    let waiting = 0;
    let running = 0;
    for (const entry of this.#jobs.values()) {
      if (entry.future.state === "pending") waiting++;
      else if (entry.future.state === "running") running++;
    }
    let workers = 0;
    if (this.#shutdown === undefined) {
      workers = await this.#queue.getWorkersCount().catch(() => 0);
    }
    return { waiting, running, ...this.#counts, workers };
  }

  #checkOpen(): void {
    if (this.#shutdown !== undefined) {
      throw new ExecutorShutdownError();
    }
  }

  #schedule(
    fn: unknown,
    args: unknown[],
    run: ParsedRun,
    key: string | undefined,
    chunk: boolean,
  ): Future<unknown> {
    checkTask(fn);
    const { timeout, signal } = run;
    this.#checkOpen();
    const future = new Future<unknown>();
    let encoded: string;
    try {
      encoded = encode(args);
    } catch (error) {
      future.setException(error);
      return future;
    }
    if (run.transfer !== undefined) {
      // A move, as with postMessage: the buffers are gone from the caller.
      structuredClone(undefined, { transfer: run.transfer });
    }
    const id = key ?? `cf:${this.#prefix}:${++this.#seq}`;
    const data: JobData = {
      m: fn.module,
      x: fn.exportName,
      a: encoded,
      r: this.#maxAttempts,
    };
    if (chunk) data.c = 1;
    if (run.onProgress !== undefined) data.p = 1;
    const jobOpts: JobsOptions = {
      jobId: id,
      attempts: 1,
      removeOnComplete: { age: KEEP_FINISHED },
      removeOnFail: { age: KEEP_FINISHED },
      priority: bullPriority(run.priority),
    };
    if (run.retry !== undefined) {
      // BullMQ retries; the worker's backoff strategy computes each delay
      // from `t` as every executor does (retryDelay, jitter included).
      data.t = run.retry;
      jobOpts.attempts = run.retry.attempts;
      jobOpts.backoff = { type: BACKOFF };
    }
    if (run.delay !== undefined) jobOpts.delay = Math.ceil(run.delay);
    const entry: Entry = {
      id,
      future,
      data,
      opts: jobOpts,
      added: false,
      started: false,
      remote: false,
      heard: performance.now(),
      onProgress: run.onProgress,
      keyed: key !== undefined,
    };
    this.#jobs.set(id, entry);
    future.addDoneCallback(() => this.#onDone(entry));
    // Stopping the running job is `#onDone`'s work, as for a timeout.
    future[kForceCancel](() => true);
    if (timeout !== undefined) {
      entry.timer = setTimeout(() => {
        if (!future.done()) {
          future.setException(
            new TimeoutError(`The task timed out after ${timeout} ms`),
          );
        }
      }, timeout);
    }
    if (signal !== undefined) {
      if (signal.aborted) {
        future.cancel();
        return future;
      }
      entry.signal = signal;
      entry.onAbort = () => future.cancel({ force: true });
      signal.addEventListener("abort", entry.onAbort, { once: true });
    }
    this.#batch.push(entry);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // Jobs submitted in one synchronous run go to Redis together.
      queueMicrotask(() => this.#flush());
    }
    this.#startTicker();
    return future;
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#batch.filter((entry) => !entry.future.done());
    this.#batch = [];
    for (let i = 0; i < batch.length; i += BATCH) {
      this.#add(batch.slice(i, i + BATCH));
    }
  }

  #add(entries: Entry[]): void {
    const adding = this.#started
      .then(() =>
        this.#queue.addBulk(entries.map((entry) => ({
          name: JOB_NAME,
          data: entry.data,
          opts: entry.opts,
        })))
      )
      .then(() => {
        const keyed: Entry[] = [];
        for (const entry of entries) {
          entry.added = true;
          // Cancelled while its add was on the way: remove it now.
          if (entry.future.done() && !entry.remote) this.#abandon(entry);
          else if (entry.keyed) keyed.push(entry);
        }
        // A job with that key may have run already (its events are past):
        // look it up now rather than after POLL_AFTER.
        if (keyed.length > 0) this.#track(this.#poll(keyed));
      }, (error) => {
        for (const entry of entries) {
          if (!entry.future.done()) {
            entry.future.setException(this.#unreachable(error));
          }
        }
      });
    this.#track(adding);
  }

  #track(promise: Promise<unknown>): void {
    const tracked = promise.catch(() => {}).finally(() =>
      this.#background.delete(tracked)
    );
    this.#background.add(tracked);
  }

  #onActive(jobId: string): void {
    const entry = this.#jobs.get(jobId);
    if (entry === undefined) return;
    entry.heard = performance.now();
    entry.started = true;
    if (entry.future.state === "pending") {
      entry.future.setRunningOrNotifyCancel();
    }
  }

  #onProgress(jobId: string, data: ProgressData): void {
    const entry = this.#jobs.get(jobId);
    if (entry?.onProgress === undefined || entry.future.done()) return;
    if (typeof data !== "object" || data === null) return;
    let value: unknown;
    try {
      value = decode(data.cf);
    } catch {
      return;
    }
    entry.heard = performance.now();
    entry.started = true;
    if (entry.future.state === "pending") {
      entry.future.setRunningOrNotifyCancel();
      if (entry.future.done()) return;
    }
    try {
      entry.onProgress(value);
    } catch {
      // The caller's callback: its error is not the task's.
    }
  }

  #onCompleted(jobId: string, returnvalue: unknown): void {
    const entry = this.#jobs.get(jobId);
    if (entry === undefined || typeof returnvalue !== "string") return;
    let outcome: Outcome | ChunkOutcome;
    try {
      outcome = decode(returnvalue) as Outcome | ChunkOutcome;
    } catch (error) {
      this.#settle(entry, { ok: false, error: toWireLocal(error) });
      return;
    }
    this.#settle(entry, outcome);
  }

  #onFailed(jobId: string, failedReason: string): void {
    const entry = this.#jobs.get(jobId);
    if (entry === undefined) return;
    const error = /stalled/.test(failedReason)
      ? new WorkerCrashedError(
        `The worker process running job ${jobId} died: ${failedReason}`,
      )
      : new Error(failedReason);
    entry.remote = true;
    if (!entry.future.done()) {
      if (entry.future.state === "pending") {
        entry.future.setRunningOrNotifyCancel();
      }
      entry.future.setException(error);
    }
  }

  #settle(entry: Entry, outcome: Outcome | ChunkOutcome): void {
    entry.remote = true;
    const future = entry.future;
    if (future.done()) return;
    if (future.state === "pending") future.setRunningOrNotifyCancel();
    if ("values" in outcome) {
      const settled: Settled<unknown>[] = outcome.values.map((value) => ({
        ok: true,
        value,
      }));
      if (outcome.error !== undefined) {
        settled.push({ ok: false, error: reviveError(outcome.error) });
      }
      future.setResult(settled);
    } else if (outcome.ok) {
      future.setResult(outcome.value);
    } else {
      future.setException(reviveError(outcome.error));
    }
  }

  #onDone(entry: Entry): void {
    this.#jobs.delete(entry.id);
    clearTimeout(entry.timer);
    if (entry.onAbort !== undefined) {
      entry.signal!.removeEventListener("abort", entry.onAbort);
    }
    if (entry.future.cancelled()) this.#counts.cancelled++;
    else if (entry.future[kFailed]()) this.#counts.failed++;
    else this.#counts.completed++;
    if (!entry.remote && entry.added) {
      // A running job is locked: only the process holding it can stop it
      // (and removing it once that process failed it would lose the record).
      // One between retries waits, delayed, unlocked: remove it (or, if a
      // run started meanwhile, stop that run).
      if (entry.started && entry.data.t === undefined) {
        this.#publishCancel(entry.id);
      } else {
        this.#abandon(entry);
      }
    }
    if (this.#jobs.size === 0) {
      this.#stopTicker();
      this.#idle?.();
      this.dispatchEvent(new Event("idle"));
    }
  }

  /**
   * A job whose future settled here (cancelled, timed out): remove it while
   * it waits; a locked (running) job cannot be removed, so ask the worker
   * process holding it to stop it.
   */
  #abandon(entry: Entry): void {
    const removing = this.#queue.remove(entry.id).then(
      (removed) => {
        if (removed !== 1) this.#publishCancel(entry.id);
      },
      () => this.#publishCancel(entry.id),
    );
    this.#track(removing);
  }

  #publishCancel(id: string): void {
    this.#track(this.#client.publish(cancelChannel(this.#queueName), id));
  }

  #unreachable(cause: unknown): Error {
    const detail = cause instanceof Error ? `: ${cause.message}` : "";
    return new Error(
      `Cannot reach the Redis server at ${this.#address}${detail}`,
      { cause },
    );
  }

  #startTicker(): void {
    if (this.#ticker !== undefined) return;
    this.#ticker = setInterval(() => this.#tick(), 500);
  }

  #stopTicker(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  /**
   * The safety nets: fail everything when Redis has been unreachable too
   * long; look up jobs not heard of for a while (an event lost to a trimmed
   * stream or a Redis restart), and add again a job Redis lost.
   */
  #tick(): void {
    const now = performance.now();
    if (this.#downSince !== undefined) {
      if (now - this.#downSince >= UNREACHABLE_AFTER) {
        const error = this.#unreachable(this.#lastError);
        for (const entry of [...this.#jobs.values()]) {
          // Nothing to remove or stop on a server we cannot reach.
          entry.remote = true;
          if (!entry.future.done()) entry.future.setException(error);
        }
      }
      return;
    }
    if (this.#polling) return;
    const stale: Entry[] = [];
    for (const entry of this.#jobs.values()) {
      if (entry.added && now - entry.heard >= POLL_AFTER) {
        stale.push(entry);
        if (stale.length === POLL_BATCH) break;
      }
    }
    if (stale.length === 0) return;
    this.#polling = true;
    this.#track(this.#poll(stale).finally(() => this.#polling = false));
  }

  async #poll(entries: Entry[]): Promise<void> {
    const pipeline = this.#client.pipeline();
    for (const entry of entries) {
      pipeline.hmget(
        jobKey(this.#queueName, entry.id),
        "finishedOn",
        "processedOn",
        "returnvalue",
        "failedReason",
        "data",
      );
    }
    const replies = await pipeline.exec();
    if (replies === null) return;
    const lost: Entry[] = [];
    const now = performance.now();
    replies.forEach(([error, reply], i) => {
      const entry = entries[i];
      if (error !== null || entry.future.done()) return;
      entry.heard = now;
      const [finishedOn, processedOn, returnvalue, failedReason, data] =
        reply as (string | null)[];
      if (data === null) {
        lost.push(entry);
      } else if (finishedOn !== null) {
        if (returnvalue !== null && failedReason === null) {
          this.#onCompleted(entry.id, JSON.parse(returnvalue));
        } else {
          this.#onFailed(entry.id, failedReason ?? "failed");
        }
      } else if (processedOn !== null) {
        this.#onActive(entry.id);
      }
    });
    if (lost.length > 0) this.#add(lost);
  }

  async #close(): Promise<void> {
    if (this.#jobs.size > 0) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#idle = resolve;
      await promise;
      this.#idle = undefined;
    }
    this.#stopTicker();
    // Nothing to wait for from a server that is down: close at once.
    const grace = this.#downSince === undefined ? 2000 : 0;
    await settleWithin(Promise.all(this.#background), grace);
    await settleWithin(this.#started, grace);
    await settleWithin(this.#events?.close(), grace);
    await settleWithin(this.#queue.close(), grace);
    this.#client.disconnect();
    this.#eventsClient.disconnect();
  }
}

function checkTask(fn: unknown): asserts fn is Task {
  if (fn instanceof Task) return;
  if (typeof fn === "function") {
    throw new TypeError(
      "QueueExecutor runs module tasks only (task()/tasks()): a worker " +
        "process imports the task by URL and cannot receive a function",
    );
  }
  throw new TypeError("'fn' must be a Task");
}

function validateKey(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") {
    throw new TypeError("'key' must be a non-empty string");
  }
  if (value.includes(":") || String(parseInt(value, 10)) === value) {
    throw new TypeError(
      `'key' must not contain ':' nor be an integer (BullMQ job ids), got "${value}"`,
    );
  }
  return value;
}

function toWireLocal(error: unknown): WireError {
  const e = error instanceof Error ? error : new Error(String(error));
  return { e: 1, ctor: "Error", name: e.name, message: e.message };
}

async function settleWithin(
  promise: Promise<unknown> | undefined,
  ms: number,
): Promise<void> {
  if (promise === undefined) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise.catch(() => {}),
    new Promise((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}

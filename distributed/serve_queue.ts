// Copyright 2026 the @concurrent/futures authors. MIT license.

// deno-lint-ignore no-import-prefix
import { type Job, UnrecoverableError, Worker } from "npm:bullmq@5.81.5";
// deno-lint-ignore no-import-prefix
import type { Redis } from "npm:ioredis@5.11.1";
import { CancelledError, WorkerCrashedError } from "../executors/errors.ts";
import type { Future } from "../executors/future.ts";
import type { RunOptions } from "../executors/executor.ts";
import { type AnyFunction, Task, task } from "../executors/task.ts";
import { WorkerPoolExecutor } from "../executors/worker_pool_executor.ts";
import { ProcessPoolExecutor } from "../executors/process_pool_executor.ts";
import { validateInteger, validateOptions } from "../executors/_validate.ts";
import { toWire } from "../executors/_errors_wire.ts";
import { kFirstAttempt } from "../executors/_internal.ts";
import { retryDelay } from "../executors/_retry.ts";
import { callInTask, RunContext } from "../executors/_task_scope.ts";
import { decode, encode } from "./_codec.ts";
import {
  addressOf,
  BACKOFF,
  cancelChannel,
  type ChunkOutcome,
  connect,
  type JobData,
  LOCK_DURATION,
  type Outcome,
  PREFIX,
  type ProgressData,
  validateConnection,
  validateQueue,
} from "./_protocol.ts";

/**
 * Where a worker process runs its jobs, as Celery's `--pool`:
 * - `"threads"`: a local `WorkerPoolExecutor` (CPU work; the default);
 * - `"processes"`: a local `ProcessPoolExecutor` (jobs that must really
 *   stop, leak memory or need a sandbox: `maxMemory`, `permissions`, and a
 *   force-stop kills the child);
 * - `"inline"`: this process's event loop, `concurrency` jobs at a time
 *   (I/O-bound jobs: no hop to another thread; a CPU-bound job there blocks
 *   the whole process, its Redis lock renewals included).
 */
export type QueuePool = "threads" | "processes" | "inline";

/** Options of {@linkcode serveQueue}. */
export interface ServeQueueOptions {
  /** The Redis server, as for `QueueExecutor`. */
  connection: string | URL;
  /** The queue's name. Default `"concurrent-futures"`. */
  queue?: string;
  /**
   * Module URL prefixes this process may import (required, at least one):
   * a job naming any other module fails with an `Error` naming its URL and
   * nothing is imported. End a directory prefix with `/`.
   */
  allow: (string | URL)[];
  /** Where jobs run (see {@linkcode QueuePool}). Default `"threads"`. */
  pool?: QueuePool;
  /**
   * Workers of the local pool (`"threads"`, `"processes"`). Default
   * `navigator.hardwareConcurrency`.
   */
  maxWorkers?: number;
  /** Jobs in flight on this process. Default `maxWorkers`. */
  concurrency?: number;
  /**
   * `"processes"` only: MiB of JavaScript heap per child, as
   * `ProcessPoolExecutor`'s `maxMemory`; a job past it fails with
   * `WorkerCrashedError` and the child is replaced.
   */
  maxMemory?: number;
  /**
   * `"threads"`/`"processes"`: replace a worker after this many jobs (as
   * the pools' option). Default: never.
   */
  maxTasksPerWorker?: number;
  /**
   * `"threads"`/`"processes"`: the tasks' permissions, as the pools' option
   * (threads need `--unstable-worker-options` for it).
   */
  permissions?: Deno.PermissionOptions;
  /**
   * At most `max` jobs start per `duration` ms, across every process
   * serving the queue (BullMQ's rate limiter, kept in Redis).
   */
  limiter?: { max: number; duration: number };
  /**
   * Milliseconds of the lock this process holds on a running job: once it
   * dies, its jobs run again elsewhere after about 1.4 times this. Default
   * 5000.
   */
  lockDuration?: number;
  /**
   * Told of errors that do not end the worker (mostly Redis unreachable:
   * it retries). Default: ignored.
   */
  onError?: (error: unknown) => void;
}

/** A process serving a queue, as returned by {@linkcode serveQueue}. */
export interface QueueWorker extends AsyncDisposable {
  /** Resolves once this process takes jobs. */
  readonly ready: Promise<void>;
  /**
   * Stops taking jobs, lets the running ones finish, and closes the local
   * pool and the Redis connections.
   *
   * @returns A promise that resolves when closed.
   */
  close(): Promise<void>;
  /** Resolves once closed. */
  readonly closed: Promise<void>;
}

/** Milliseconds `close()` waits for Redis once the local jobs are done. */
const CLOSE_GRACE = 3000;

/** Tasks (allowed module and export pairs) remembered at most. */
const MAX_CACHED_TASKS = 1024;

type AnyTask = Task<(...args: unknown[]) => unknown>;

/** Cancel requests for jobs not (yet) running here, kept this long. */
const CANCEL_MEMORY = 60_000;

/**
 * Milliseconds a job may wait for the local pool to answer the tasks in
 * flight before it is sent anyway (see `Server.#turn`).
 */
const GATHER_MAX = 1;

/**
 * Serves a queue from this process: takes `QueueExecutor` jobs from Redis
 * and runs them on a local pool (`pool`: worker threads by default, child
 * processes, or this event loop), so that every core of the machine works
 * and a force-cancel stops just that task. This is what the
 * `distributed/worker.ts` command runs.
 *
 * @param options `connection`, `allow` (both required), `queue`, `pool`,
 * `maxWorkers`, `concurrency`, `maxMemory`, `maxTasksPerWorker`,
 * `permissions`, `limiter`, `lockDuration`, `onError`.
 * @returns The worker; `close()` (or `await using`) stops it.
 * @throws {TypeError} A missing `connection` or `allow`, or an option of
 * the wrong type (or one the chosen `pool` does not take).
 * @throws {RangeError} An invalid numeric option.
 *
 * @example Usage
 * ```ts
 * import { serveQueue } from "@concurrent/futures/distributed";
 *
 * // Needs a Redis server.
 * export async function serveFor(ms: number): Promise<void> {
 *   await using worker = serveQueue({
 *     connection: "redis://127.0.0.1:6379",
 *     allow: ["https://example.com/tasks/"],
 *     pool: "processes",
 *     maxMemory: 256,
 *     limiter: { max: 100, duration: 1000 },
 *   });
 *   await worker.ready;
 *   await new Promise((resolve) => setTimeout(resolve, ms));
 * }
 * ```
 */
export function serveQueue(options: ServeQueueOptions): QueueWorker {
  const opts = validateOptions(options);
  const connection = validateConnection(opts.connection);
  const queue = validateQueue(opts.queue);
  const allow = validateAllow(opts.allow);
  const pool = opts.pool ?? "threads";
  if (pool !== "threads" && pool !== "processes" && pool !== "inline") {
    throw new TypeError(
      `'pool' must be "threads", "processes" or "inline", got ${String(pool)}`,
    );
  }
  const maxWorkers = validateInteger(opts.maxWorkers, "maxWorkers", 1) ??
    navigator.hardwareConcurrency;
  const concurrency = validateInteger(opts.concurrency, "concurrency", 1) ??
    maxWorkers;
  const maxMemory = validateInteger(opts.maxMemory, "maxMemory", 1);
  if (maxMemory !== undefined && pool !== "processes") {
    throw new TypeError(`'maxMemory' needs pool "processes", not "${pool}"`);
  }
  const maxTasksPerWorker = validateInteger(
    opts.maxTasksPerWorker,
    "maxTasksPerWorker",
    1,
  );
  if (pool === "inline") {
    for (const name of ["maxTasksPerWorker", "permissions"] as const) {
      if (opts[name] !== undefined) {
        throw new TypeError(`'${name}' needs pool "threads" or "processes"`);
      }
    }
  }
  const lockDuration =
    validateInteger(opts.lockDuration, "lockDuration", 200) ?? LOCK_DURATION;
  const onError = opts.onError;
  if (onError !== undefined && typeof onError !== "function") {
    throw new TypeError("'onError' must be a function");
  }
  return new Server({
    connection,
    queue,
    allow,
    pool,
    maxWorkers,
    concurrency,
    maxMemory,
    maxTasksPerWorker,
    permissions: opts.permissions,
    limiter: validateLimiter(opts.limiter),
    lockDuration,
    onError: onError ?? (() => {}),
  });
}

interface Settings {
  connection: string;
  queue: string;
  allow: string[];
  pool: QueuePool;
  maxWorkers: number;
  concurrency: number;
  maxMemory: number | undefined;
  maxTasksPerWorker: number | undefined;
  permissions: Deno.PermissionOptions | undefined;
  limiter: { max: number; duration: number } | undefined;
  lockDuration: number;
  onError: (error: unknown) => void;
}

function validateAllow(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(
      "'allow' must be a non-empty array of module URL prefixes",
    );
  }
  return value.map((prefix) => {
    if (typeof prefix !== "string" && !(prefix instanceof URL)) {
      throw new TypeError("each 'allow' prefix must be a string or a URL");
    }
    try {
      return new URL(String(prefix)).href;
    } catch {
      throw new TypeError(
        `'allow' prefix must be an absolute URL, got "${prefix}"`,
      );
    }
  });
}

function validateLimiter(
  value: unknown,
): { max: number; duration: number } | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`'limiter' must be an object, got ${typeof value}`);
  }
  const { max, duration } = value as Record<string, unknown>;
  if (max === undefined || duration === undefined) {
    throw new TypeError("'limiter' needs 'max' and 'duration'");
  }
  return {
    max: validateInteger(max, "limiter.max", 1)!,
    duration: validateInteger(duration, "limiter.duration", 1)!,
  };
}

/** A job this process runs now, and how to stop it. */
interface Running {
  /** The client cancelled it (the job then fails unrecoverably). */
  cancelled: boolean;
  /** Force-cancels its local task(s), once they were submitted. */
  stop?: () => void;
}

/**
 * A job's `progress()` values on their way to BullMQ's job progress: one
 * update in flight at a time, later values replacing a waiting one (the
 * last one always goes), and `flush()` before the job's outcome is sent,
 * so that none arrives after it.
 */
class ProgressSender {
  #job: Job;
  #pending: string | undefined;
  #sending: Promise<void> | undefined;

  constructor(job: Job) {
    this.#job = job;
  }

  report = (value: unknown): void => {
    this.#pending = encode(value);
    this.#sending ??= this.#pump();
  };

  async #pump(): Promise<void> {
    while (this.#pending !== undefined) {
      const data: ProgressData = { cf: this.#pending };
      this.#pending = undefined;
      try {
        await this.#job.updateProgress(data);
      } catch {
        // Redis gone: progress is best effort; the outcome is not.
      }
    }
    this.#sending = undefined;
  }

  flush(): Promise<void> {
    return this.#sending ?? Promise.resolve();
  }
}

/** Thrown by a job that fails and has retries left: BullMQ retries it. */
class RetryableError extends Error {
  override name = "RetryableError";
}

class Server implements QueueWorker {
  readonly ready: Promise<void>;
  readonly closed: Promise<void>;
  #resolveClosed: () => void;
  #closing: Promise<void> | undefined;
  #allow: string[];
  #pool: WorkerPoolExecutor | undefined;
  #client: Redis;
  #subscriber: Redis;
  #worker: Worker;
  #cancels = new Map<string, number>();
  #running = new Map<string, Running>();
  #inFlight = 0;
  #whenNoJobs: (() => void)[] = [];
  #tasks = new Map<string, AnyTask>();
  /** The functions of inline tasks, by task. */
  #functions = new WeakMap<AnyTask, AnyFunction>();
  /** Single-call tasks sent to the local pool and not answered yet. */
  #sent = 0;
  /** Jobs waiting to be sent with the next batch (see `#turn`). */
  #held: (() => void)[] = [];
  #gatherTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(settings: Settings) {
    const { connection, queue, allow, concurrency, lockDuration } = settings;
    this.#allow = allow;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.closed = promise;
    this.#resolveClosed = resolve;
    if (settings.pool !== "inline") {
      const poolOptions = {
        maxWorkers: settings.maxWorkers,
        // Kept warm between jobs: a job should not wait for a worker.
        idleTimeout: 60_000,
        name: `queue-${queue}`,
        maxTasksPerWorker: settings.maxTasksPerWorker,
        permissions: settings.permissions,
      };
      this.#pool = settings.pool === "processes"
        ? new ProcessPoolExecutor({
          ...poolOptions,
          maxMemory: settings.maxMemory,
        })
        : new WorkerPoolExecutor(poolOptions);
    }
    const tag = crypto.randomUUID().slice(0, 8);
    this.#client = connect(connection, `cf:worker:${tag}`);
    this.#subscriber = connect(connection, `cf:cancel:${tag}`);
    this.#subscriber.on("message", (_channel: string, id: string) => {
      this.#cancel(id);
    });
    this.#worker = new Worker(
      queue,
      // Two parameters: BullMQ then makes no AbortController per job (a
      // few µs each); `#cancel` stops the jobs itself (see `Running`).
      (job: Job) => this.#process(job),
      {
        connection: this.#client,
        prefix: PREFIX,
        concurrency,
        lockDuration,
        stalledInterval: Math.max(100, Math.round(lockDuration * 0.4)),
        // The client's `maxAttempts` counts runs (see #process), so BullMQ
        // itself never fails a stalled job.
        maxStalledCount: 1_000_000,
        name: tag,
        autorun: true,
        limiter: settings.limiter,
        settings: {
          // `retry`'s delays, jitter included, as every executor computes
          // them; attemptsMade is the number of the run that failed.
          backoffStrategy: (attemptsMade, type, _error, job) => {
            const retry = (job?.data as JobData | undefined)?.t;
            if (type !== BACKOFF || retry === undefined) return 0;
            return Math.round(retryDelay(retry, attemptsMade));
          },
        },
      },
    );
    // Errors (Redis gone for a while) are retried by BullMQ and ioredis; a
    // listener keeps them from ending the process.
    this.#worker.on("error", settings.onError);
    this.#client.on("error", settings.onError);
    const address = addressOf(connection);
    this.ready = Promise.all([
      this.#worker.waitUntilReady(),
      this.#subscriber.subscribe(cancelChannel(queue)),
    ]).then(() => {}, (error) => {
      throw new Error(`Cannot serve queue "${queue}" at ${address}`, {
        cause: error,
      });
    });
    this.ready.catch(() => {});
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      // BullMQ stops fetching, then waits for the running jobs and for
      // Redis to record them. With Redis down that would never end: once
      // this process's own jobs are done, give it a few seconds (their jobs
      // then run again elsewhere, at-least-once).
      const closing = this.#worker.close().catch(() => {});
      let timer: ReturnType<typeof setTimeout> | undefined;
      let closed = false;
      await Promise.race([
        closing,
        this.#noJobs().then(() =>
          closed ? undefined : new Promise((resolve) => {
            timer = setTimeout(resolve, CLOSE_GRACE);
          })
        ),
      ]);
      closed = true;
      clearTimeout(timer);
      await this.#pool?.shutdown();
      this.#subscriber.disconnect();
      this.#client.disconnect();
      this.#resolveClosed();
    })();
    return this.#closing;
  }

  /** Resolves once no job runs in this process. */
  #noJobs(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#whenNoJobs.push(resolve));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * The task a job names, or the error to fail it with when its module is
   * not allowed here; cached, since a queue's jobs name few tasks.
   */
  #taskOf(module: string, exportName: string): AnyTask | Error {
    const key = `${exportName} ${module}`;
    let fn = this.#tasks.get(key);
    if (fn !== undefined) return fn;
    let href: string;
    try {
      href = new URL(module).href;
    } catch {
      return new TypeError(`Invalid task module URL "${module}"`);
    }
    if (!this.#allow.some((prefix) => href.startsWith(prefix))) {
      return new Error(
        `Task module ${href} is not allowed on this worker (allowed ` +
          `prefixes: ${this.#allow.join(", ")})`,
      );
    }
    fn = task(href, exportName);
    if (this.#tasks.size >= MAX_CACHED_TASKS) this.#tasks.clear();
    this.#tasks.set(key, fn);
    return fn;
  }

  /** An inline task's function (its module imported once). */
  async #functionOf(fn: AnyTask): Promise<AnyFunction> {
    let f = this.#functions.get(fn);
    if (f !== undefined) return f;
    const module = await import(fn.module);
    f = module[fn.exportName];
    if (typeof f !== "function") {
      throw new TypeError(
        `Export "${fn.exportName}" of ${fn.module} is not a function`,
      );
    }
    this.#functions.set(fn, f);
    return f;
  }

  #cancel(id: string): void {
    const running = this.#running.get(id);
    if (running !== undefined) {
      running.cancelled = true;
      running.stop?.();
      return;
    }
    // Not running here (yet): remember, in case it starts soon.
    const now = Date.now();
    for (const [key, at] of this.#cancels) {
      if (now - at < CANCEL_MEMORY) break;
      this.#cancels.delete(key);
    }
    this.#cancels.set(id, now);
  }

  async #process(job: Job): Promise<string> {
    this.#inFlight++;
    const running: Running = { cancelled: false };
    this.#running.set(job.id!, running);
    try {
      return await this.#run(job, running);
    } finally {
      if (this.#running.get(job.id!) === running) {
        this.#running.delete(job.id!);
      }
      if (--this.#inFlight === 0) {
        for (const resolve of this.#whenNoJobs.splice(0)) resolve();
      }
    }
  }

  async #run(job: Job, running: Running): Promise<string> {
    const data = job.data as JobData;
    // A cancel may have come before the job reached this function.
    if (this.#cancels.delete(job.id!)) {
      throw new UnrecoverableError("cancelled by the client");
    }
    // Each stall is a run whose process died.
    const runs = job.stalledCounter ?? 0;
    if (runs >= data.r) {
      return failure(
        new WorkerCrashedError(
          `The worker process running this task died ${runs} time(s); ` +
            `maxAttempts is ${data.r}`,
        ),
      );
    }
    const fn = this.#taskOf(data.m, data.x);
    if (!(fn instanceof Task)) return failure(fn);
    let args: unknown;
    try {
      args = decode(data.a);
    } catch (error) {
      return failure(error);
    }
    // Runs started so far, this one included: crash reruns and retries.
    const attempt = Math.max(1, job.attemptsStarted ?? 1);
    // A failed run is retried by BullMQ (attempts and backoff) while runs
    // are left, crash reruns counted; the last one's failure is the job's
    // outcome.
    const retries = data.t !== undefined && attempt < data.t.attempts &&
      job.attemptsMade + 1 < (job.opts.attempts ?? 1);
    const progress = data.p === 1 ? new ProgressSender(job) : undefined;
    let result: Outcome | ChunkOutcome;
    if (data.c === 1) {
      result = this.#pool === undefined
        ? await this.#chunkInline(fn, args as unknown[], running, attempt)
        : await this.#chunkOnPool(fn, args as unknown[], running, attempt);
      if (result.error !== undefined && retries) {
        throw new RetryableError("a chunk item failed");
      }
    } else {
      try {
        const value = this.#pool === undefined
          ? await this.#callInline(fn, args as unknown[], running, {
            attempt,
            report: progress?.report,
          })
          : await this.#callOnPool(fn, args as unknown[], running, {
            attempt,
            report: progress?.report,
          });
        result = { ok: true, value };
      } catch (error) {
        if (running.cancelled) {
          throw new UnrecoverableError("cancelled by the client");
        }
        if (retries) {
          await progress?.flush();
          throw new RetryableError(
            error instanceof Error ? error.message : String(error),
          );
        }
        result = { ok: false, error: toWire(error) };
      }
    }
    await progress?.flush();
    return outcome(result);
  }

  /** One call on the local pool. */
  async #callOnPool(
    fn: AnyTask,
    args: unknown[],
    running: Running,
    { attempt, report }: {
      attempt: number;
      report: ((value: unknown) => void) | undefined;
    },
  ): Promise<unknown> {
    if (this.#sent > 0) {
      await this.#turn();
      if (running.cancelled) throw new CancelledError();
    }
    this.#sent++;
    // No options object for a plain first run: the pool's fast path.
    let options: (RunOptions & { [kFirstAttempt]?: number }) | undefined;
    if (attempt > 1) options = { [kFirstAttempt]: attempt };
    if (report !== undefined) (options ??= {}).onProgress = report;
    let future: Future<unknown>;
    try {
      future = this.#pool!.run(fn, args, options);
    } catch (error) {
      this.#sent--;
      throw error;
    }
    running.stop = () => future.cancel({ force: true });
    try {
      return await future;
    } finally {
      this.#sent--;
      this.#release();
    }
  }

  /**
   * One call on this event loop, in a task context of its own
   * (`currentTask()`); a stop aborts its signal and fails the job at once.
   */
  async #callInline(
    fn: AnyTask,
    args: unknown[],
    running: Running,
    { attempt, report }: {
      attempt: number;
      report: ((value: unknown) => void) | undefined;
    },
  ): Promise<unknown> {
    const f = this.#functions.get(fn) ?? await this.#functionOf(fn);
    if (running.cancelled) throw new CancelledError();
    const context = new RunContext(attempt, report);
    try {
      const result = callInTask(context, f, args);
      if (!isThenable(result)) return result;
      const { promise: stopped, reject } = Promise.withResolvers<never>();
      running.stop = () => {
        const reason = new CancelledError();
        context.abort(reason);
        reject(reason);
      };
      return await Promise.race([result, stopped]);
    } finally {
      context.end();
    }
  }

  /**
   * Resolves when a job may go to the local pool. Each message to a pool
   * worker and back costs ~50 µs of CPU, several times a trivial task, and
   * jobs arrive from Redis one by one: a job that comes while tasks are in
   * flight waits until the pool answers one of them (or GATHER_MAX ms), so
   * that the jobs gathered meanwhile travel in one message (the pool sends
   * what is submitted in one turn together).
   */
  #turn(): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#held.push(resolve);
    this.#gatherTimer ??= setTimeout(() => {
      this.#gatherTimer = undefined;
      this.#release();
    }, GATHER_MAX);
    return promise;
  }

  #release(): void {
    if (this.#held.length === 0) return;
    clearTimeout(this.#gatherTimer);
    this.#gatherTimer = undefined;
    for (const resolve of this.#held.splice(0)) resolve();
  }

  async #chunkOnPool(
    fn: AnyTask,
    items: unknown[],
    running: Running,
    attempt: number,
  ): Promise<ChunkOutcome> {
    const result: ChunkOutcome = { values: [] };
    const controller = new AbortController();
    const signal = controller.signal;
    running.stop = () => controller.abort();
    try {
      const options = { chunksize: items.length, buffersize: items.length };
      for await (
        const value of this.#pool!.map(fn, items, {
          ...options,
          signal,
          ...(attempt > 1 ? { [kFirstAttempt]: attempt } : {}),
        })
      ) {
        result.values.push(value);
      }
    } catch (error) {
      if (signal.aborted) {
        throw new UnrecoverableError("cancelled by the client");
      }
      result.error = toWire(error);
    }
    return result;
  }

  async #chunkInline(
    fn: AnyTask,
    items: unknown[],
    running: Running,
    attempt: number,
  ): Promise<ChunkOutcome> {
    const result: ChunkOutcome = { values: [] };
    let stopped = false;
    for (const item of items) {
      try {
        result.values.push(
          await this.#callInline(fn, [item], running, {
            attempt,
            report: undefined,
          }),
        );
      } catch (error) {
        if (running.cancelled) stopped = true;
        else result.error = toWire(error);
        break;
      }
      if (running.cancelled) {
        stopped = true;
        break;
      }
    }
    if (stopped) throw new UnrecoverableError("cancelled by the client");
    return result;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null &&
      typeof (value as { then?: unknown }).then === "function" ||
    typeof value === "function" &&
      typeof (value as { then?: unknown }).then === "function";
}

function failure(error: unknown): string {
  return outcome({ ok: false, error: toWire(error) });
}

function outcome(value: Outcome | ChunkOutcome): string {
  try {
    return encode(value);
  } catch (error) {
    // A result the pool could clone but v8 cannot: fail it the same way.
    return encode({ ok: false, error: toWire(error) });
  }
}

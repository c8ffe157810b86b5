// Copyright 2026 the @concurrent/futures authors. MIT license.

// deno-lint-ignore no-import-prefix
import { type Job, UnrecoverableError, Worker } from "npm:bullmq@5.81.5";
// deno-lint-ignore no-import-prefix
import type { Redis } from "npm:ioredis@5.11.1";
import { WorkerCrashedError } from "../executors/errors.ts";
import { Task, task } from "../executors/task.ts";
import { WorkerPoolExecutor } from "../executors/worker_pool_executor.ts";
import { validateInteger, validateOptions } from "../executors/_validate.ts";
import { toWire } from "../executors/_errors_wire.ts";
import { decode, encode } from "./_codec.ts";
import {
  addressOf,
  cancelChannel,
  type ChunkOutcome,
  connect,
  type JobData,
  LOCK_DURATION,
  type Outcome,
  PREFIX,
  validateConnection,
  validateQueue,
} from "./_protocol.ts";

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
  /** Workers of the local `WorkerPoolExecutor`. Default hardwareConcurrency. */
  maxWorkers?: number;
  /** Jobs in flight on this process. Default `maxWorkers`. */
  concurrency?: number;
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
 * and runs them on a local `WorkerPoolExecutor`, so that every core of the
 * machine works and a force-cancel stops just that task. This is what the
 * `distributed/worker.ts` command runs.
 *
 * @param options `connection`, `allow` (both required), `queue`,
 * `maxWorkers`, `concurrency`, `lockDuration`.
 * @returns The worker; `close()` (or `await using`) stops it.
 * @throws {TypeError} A missing `connection` or `allow`, or an option of
 * the wrong type.
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
  const maxWorkers = validateInteger(opts.maxWorkers, "maxWorkers", 1) ??
    navigator.hardwareConcurrency;
  const concurrency = validateInteger(opts.concurrency, "concurrency", 1) ??
    maxWorkers;
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
    maxWorkers,
    concurrency,
    lockDuration,
    onError: onError ?? (() => {}),
  });
}

interface Settings {
  connection: string;
  queue: string;
  allow: string[];
  maxWorkers: number;
  concurrency: number;
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

/** A job this process runs now, and how to stop it. */
interface Running {
  /** The client cancelled it (the job then fails unrecoverably). */
  cancelled: boolean;
  /** Force-cancels its local task(s), once they were submitted. */
  stop?: () => void;
}

class Server implements QueueWorker {
  readonly ready: Promise<void>;
  readonly closed: Promise<void>;
  #resolveClosed: () => void;
  #closing: Promise<void> | undefined;
  #allow: string[];
  #pool: WorkerPoolExecutor;
  #client: Redis;
  #subscriber: Redis;
  #worker: Worker;
  #cancels = new Map<string, number>();
  #running = new Map<string, Running>();
  #inFlight = 0;
  #whenNoJobs: (() => void)[] = [];
  #tasks = new Map<string, AnyTask>();
  /** Single-call tasks sent to the local pool and not answered yet. */
  #sent = 0;
  /** Jobs waiting to be sent with the next batch (see `#turn`). */
  #held: (() => void)[] = [];
  #gatherTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(settings: Settings) {
    const { connection, queue, allow, maxWorkers, concurrency, lockDuration } =
      settings;
    this.#allow = allow;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.closed = promise;
    this.#resolveClosed = resolve;
    this.#pool = new WorkerPoolExecutor({
      maxWorkers,
      // Kept warm between jobs: a job should not wait for a worker to start.
      idleTimeout: 60_000,
      name: `queue-${queue}`,
    });
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
      await this.#pool.shutdown();
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
    if (data.c === 1) {
      return await this.#runChunk(fn, args as unknown[], running);
    }
    if (this.#sent > 0) {
      await this.#turn();
      if (running.cancelled) {
        throw new UnrecoverableError("cancelled by the client");
      }
    }
    this.#sent++;
    const future = this.#pool.run(fn, args as unknown[]);
    running.stop = () => future.cancel({ force: true });
    try {
      return outcome({ ok: true, value: await future });
    } catch (error) {
      if (running.cancelled) {
        throw new UnrecoverableError("cancelled by the client");
      }
      return failure(error);
    } finally {
      this.#sent--;
      this.#release();
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

  async #runChunk(
    fn: AnyTask,
    items: unknown[],
    running: Running,
  ): Promise<string> {
    const result: ChunkOutcome = { values: [] };
    const controller = new AbortController();
    const signal = controller.signal;
    running.stop = () => controller.abort();
    try {
      for await (
        const value of this.#pool.map(fn, items, {
          chunksize: items.length,
          buffersize: items.length,
          signal,
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
    return outcome(result);
  }
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

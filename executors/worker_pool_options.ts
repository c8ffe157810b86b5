// Copyright 2026 the @concurrent/futures authors. MIT license.
// The options and the statistics of a worker pool: shared by every pool
// built on the same machinery.

import type { TimeStats } from "./executor.ts";
import type { Callable } from "./task.ts";

/**
 * Options for the {@linkcode WorkerPoolExecutor} constructor.
 *
 * @example Usage
 * ```ts
 * import {
 *   WorkerPoolExecutor,
 *   type WorkerPoolExecutorOptions,
 * } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const options: WorkerPoolExecutorOptions = { maxWorkers: 2, maxQueue: 64 };
 * await using pool = new WorkerPoolExecutor(options);
 * assertEquals(await pool.submit(() => 1 + 1), 2);
 * ```
 */
export interface WorkerPoolExecutorOptions {
  /**
   * The most workers at once (an integer >= 1). Default
   * `navigator.hardwareConcurrency`.
   */
  maxWorkers?: number;
  /** Workers kept while idle (an integer from 0 to `maxWorkers`). Default 0. */
  minWorkers?: number;
  /**
   * Milliseconds an idle worker above `minWorkers` waits for work before it
   * is stopped (a number >= 0; `Infinity`: never). Default 1000.
   */
  idleTimeout?: number;
  /**
   * Tasks a worker runs before it is replaced by a fresh one (an integer
   * >= 1; a `map` chunk counts as one task). Default: no limit.
   */
  maxTasksPerWorker?: number;
  /**
   * Tasks a worker runs at once (an integer >= 1): more than 1 lets async
   * tasks overlap their waits on one worker. Default 1.
   */
  concurrentTasksPerWorker?: number;
  /**
   * Runs in each worker as it starts, before any task (awaited when async).
   * If it throws, the executor is broken: every pending task fails with
   * `BrokenExecutorError`, and so does every later `submit`.
   */
  initializer?: Callable<never[], unknown>;
  /** The initializer's arguments. */
  initargs?: unknown[];
  /**
   * The prefix of each Worker's name (`self.name` inside the worker, which
   * is `${name}-${n}`). Default `"WorkerPoolExecutor-${k}"`.
   */
  name?: string;
  /**
   * The workers' permissions, as Deno's `Worker` option `deno.permissions`
   * (`"inherit"`, `"none"` or a `Deno.PermissionOptionsObject`). Deno only
   * accepts it with `--unstable-worker-options` (or `"unstable":
   * ["worker-options"]` in deno.json); without it Deno ends the process when
   * the first worker starts ("Unstable API 'Worker.deno.permissions'"), and
   * offers no way to check beforehand. Default: inherit the caller's.
   */
  permissions?: Deno.PermissionOptions;
  /**
   * The most tasks that may wait for a worker at once (an integer >= 0, or
   * `Infinity`, the default). A `submit`/`run` beyond it throws
   * `QueueFullError` and queues nothing; `map` waits for room instead.
   * Tasks that start at once (a worker has room) do not count.
   */
  maxQueue?: number;
  /**
   * Milliseconds a stopped task (`cancel({ force: true })`, an aborted
   * `signal`, a `timeout`) may take to end by itself (an integer >= 0).
   * Its future settles at once and `currentTask().signal` aborts; a task
   * that returns or throws within `stopGrace` keeps its worker, which takes
   * the next task. Past it, the worker is stopped and replaced. Default 100.
   */
  stopGrace?: number;
}

/**
 * A snapshot of a {@linkcode WorkerPoolExecutor}'s state.
 *
 * @example Usage
 * ```ts
 * import {
 *   WorkerPoolExecutor,
 *   type WorkerPoolStats,
 * } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * await pool.submit(() => 1);
 * const stats: WorkerPoolStats = pool.stats();
 * assertEquals([stats.completed, stats.runTime.count], [1, 1]);
 * ```
 */
export interface WorkerPoolStats {
  /** Workers alive (starting, busy or idle). */
  workers: number;
  /** Workers holding at least one task. */
  busy: number;
  /**
   * Tasks pending: waiting in the pool (or for their `delay`), or sent ahead
   * to a worker.
   */
  queued: number;
  /**
   * Tasks running (see the class notes on sending ahead), and those waiting
   * to be retried.
   */
  running: number;
  /** Tasks that finished with a value. */
  completed: number;
  /** Tasks that finished with an error (timeouts and crashes included). */
  failed: number;
  /** Tasks cancelled. */
  cancelled: number;
  /** From submit to start, over every task that ran. */
  waitTime: TimeStats;
  /** From start to end, over every task that ran. */
  runTime: TimeStats;
  /**
   * The share (0 to 1) of the capacity (`maxWorkers *
   * concurrentTasksPerWorker`) that was busy since the pool was created.
   */
  utilization: number;
}

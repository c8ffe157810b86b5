// Copyright 2026 the @concurrent/futures authors. MIT license.
// A task of WorkerPoolExecutor as the pool tracks it, and the Future it
// hands out.

import { type CancelOptions, Future } from "./future.ts";
import { kForceCancel } from "./_internal.ts";
import { validateOptions } from "./_validate.ts";
import type { PoolWorker } from "./_pool_worker.ts";
import type { Moment } from "./_stats.ts";
import type { Settled } from "./_map.ts";
import type { Retry } from "./_retry.ts";
import { MODE_CALL, MODE_CHUNK, MODE_PROGRESS } from "./_protocol.ts";
import { fromWire, type WireError } from "./_errors_wire.ts";

/** Where a PoolFuture keeps its task. @ignore */
export const kTask: unique symbol = Symbol("task");

/** In the pool's queue, not sent. */
export const QUEUED = 0;
/** Sent ahead to a worker, still `pending` (cancel() revokes it). */
export const SENT = 1;
/** Counted as running: started, or the one task sent ahead of those running. */
export const RUNNING = 2;
/** Settled (or cancelled); the pool is done with it. */
export const DONE = 3;
/** Made, not in the books yet. */
export const NEW = 4;
/** Waiting for its `delay` to pass (`pending`). */
export const DELAYED = 5;
/** Waiting to be retried (`running`). */
export const RETRYING = 6;

/** The task states above (written by the pool's ledger only). */
export type TaskState =
  | typeof NEW
  | typeof QUEUED
  | typeof SENT
  | typeof RUNNING
  | typeof DONE
  | typeof DELAYED
  | typeof RETRYING;

/** What a task needs from the pool that owns it. */
export interface TaskOwner {
  /**
   * Called by `cancel({ force: true })` on a running task: stops it (the
   * future then becomes cancelled) and returns `true`, or returns `false`.
   */
  forceStop(task: PoolTask): boolean;
  /**
   * Called by `cancel()` on a pending task before the future changes state:
   * the pool takes the task back (then the future becomes cancelled), or
   * finds that the worker has just started it and marks the future running
   * (then `cancel()` leaves it running, or stops it with `force`).
   */
  beforeCancel(task: PoolTask): void;
}

const NO_MOMENT: Moment = { time: 0 };

/** The rarely used options of a task, kept apart (most tasks have none). */
export interface TaskExtras {
  retry: Retry | undefined;
  /** The number the first run reports as its attempt. */
  firstAttempt: number;
  /** The run in progress, or the last one: 1 for the first. */
  run: number;
  onProgress: ((value: unknown) => void) | undefined;
  /** The timer of a `delay`, or of the wait before a retry. */
  waitTimer: ReturnType<typeof setTimeout> | undefined;
}

/** One task: a call, or a `map` chunk. */
export class PoolTask {
  state: TaskState = NEW;
  /** The worker holding it while SENT or RUNNING. */
  worker: PoolWorker | undefined = undefined;
  /** Its slot on that worker. */
  slot = -1;
  /** Its estimated cost (ms) as counted in the worker's load. */
  cost = 0;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  /** Work units for the cost estimate: items in a chunk, else 1. */
  readonly weight: number;
  /** Whether objects were transferred with it (it cannot be sent again). */
  moved = false;
  /** Its mode bits on the wire, but the attempt (see _protocol.ts). */
  mode: number;
  /** Retry, progress, delay: absent for a plain task. */
  extra: TaskExtras | undefined = undefined;
  /**
   * When it was submitted (the pool's performance.now(), read once per turn
   * and shared by that turn's tasks: a number field would box a double for
   * every task).
   */
  submitted: Moment = NO_MOMENT;

  /**
   * @param seq The order of submission.
   * @param owner The pool.
   * @param future The future handed out.
   * @param fnId The function's id in the pool's registry.
   * @param chunk Whether `args` is a chunk of `map` items.
   * @param args The arguments (or items); kept until it settles, so that a
   * task a dying worker never started can be sent to another.
   * @param transfer Objects to transfer with the arguments.
   * @param priority Its place in the queue (lower first).
   */
  constructor(
    readonly seq: number,
    readonly owner: TaskOwner,
    readonly future: PoolFuture<unknown>,
    readonly fnId: number,
    readonly chunk: boolean,
    public args: unknown[] | undefined,
    public transfer: Transferable[] | undefined,
    readonly priority: number,
  ) {
    future[kTask] = this;
    this.weight = chunk ? Math.max(1, args?.length ?? 1) : 1;
    this.mode = chunk ? MODE_CHUNK : MODE_CALL;
  }
}

/**
 * The Future of a pool task. `cancel()` first lets the pool take back a task
 * sent ahead to a worker; a task the worker has started meanwhile is not
 * cancelled (unless `force`), exactly as if it had been marked running.
 * `cancel({ force: true })` on a running task asks the pool to stop it.
 */
export class PoolFuture<T> extends Future<T> {
  /**
   * Set by the task's constructor.
   *
   * @ignore
   */
  [kTask]!: PoolTask;

  override cancel(options?: CancelOptions): boolean {
    const { force = false } = validateOptions(options);
    const task = this[kTask];
    if (this.state === "pending") task.owner.beforeCancel(task);
    if (force && this.state === "running") {
      // Installed here rather than for every task that starts running.
      this[kForceCancel](() => task.owner.forceStop(task));
    }
    return super.cancel(options);
  }
}

/** Gives a task its extras, and the progress bit when it takes progress. */
export function setExtras(task: PoolTask, extra: TaskExtras): void {
  task.extra = extra;
  if (extra.onProgress !== undefined) task.mode |= MODE_PROGRESS;
}

/**
 * The value of a `map` chunk task: the worker's flat `ok, value-or-error`
 * pairs as one `Settled` per item.
 */
export function chunkResults(payload: unknown): Settled<unknown>[] {
  const flat = payload as unknown[];
  const settled: Settled<unknown>[] = new Array(flat.length / 2);
  for (let i = 0; i < flat.length; i += 2) {
    settled[i / 2] = flat[i]
      ? { ok: true, value: flat[i + 1] }
      : { ok: false, error: fromWire(flat[i + 1] as WireError) };
  }
  return settled;
}

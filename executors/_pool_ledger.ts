// Copyright 2026 the @concurrent/futures authors. MIT license.
// The pool's books: how many tasks are in each state, how many settled with
// each outcome, and each task's `state`. Written here only, so that a task
// moves from one count to the next in one call, and "leave the books, then
// settle" is one loop pair (`settleAll`) instead of one per caller.

import {
  DELAYED,
  DONE,
  type PoolTask,
  QUEUED,
  RETRYING,
  RUNNING,
  SENT,
} from "./_pool_task.ts";

/** The counts of a pool's tasks, and the only writer of `task.state`. */
export class PoolLedger {
  /** In the pool's queue. */
  queued = 0;
  /** Sent ahead to a worker, still `pending`. */
  pending = 0;
  /** Counted as running. */
  running = 0;
  /** Waiting for their `delay` (`pending`). */
  delayed = 0;
  /** Waiting to be retried (`running`). */
  retrying = 0;
  /** Settled with a value. */
  completed = 0;
  /** Settled with an error (timeouts and crashes included). */
  failed = 0;
  /** Cancelled. */
  cancelled = 0;

  /** Whether no task is left in the pool's hands. */
  get empty(): boolean {
    return this.queued === 0 && this.pending === 0 && this.running === 0 &&
      this.delayed === 0 && this.retrying === 0;
  }

  /** A task enters the queue: new, or put back (no worker started it). */
  queue(task: PoolTask): void {
    this.#out(task);
    task.state = QUEUED;
    task.worker = undefined;
    this.queued++;
  }

  /** A new task waits for its `delay` before it enters the queue. */
  delay(task: PoolTask): void {
    task.state = DELAYED;
    this.delayed++;
  }

  /**
   * A run failed and the task will run again: it waits, `running`, off any
   * worker.
   */
  retreat(task: PoolTask): void {
    this.#out(task);
    task.state = RETRYING;
    task.worker = undefined;
    this.retrying++;
    markRunning(task);
  }

  /**
   * A queued task was handed to a worker: it counts as running, or is sent
   * ahead (`pending`). A future marked running stays so.
   */
  sent(task: PoolTask, running: boolean): void {
    this.queued--;
    if (running) {
      task.state = RUNNING;
      this.running++;
      markRunning(task);
    } else {
      task.state = SENT;
      this.pending++;
    }
  }

  /** A task sent ahead now counts as running (on its worker too). */
  promote(task: PoolTask): void {
    task.worker!.running++;
    task.state = RUNNING;
    this.pending--;
    this.running++;
    markRunning(task);
  }

  /**
   * Takes a task out of the books (it is about to be settled): its state
   * count, its timer and its abort listener.
   */
  leave(task: PoolTask): void {
    this.#out(task);
    task.state = DONE;
    task.args = task.transfer = undefined;
    if (task.timer !== undefined) clearTimeout(task.timer);
    task.signal?.removeEventListener("abort", task.onAbort!);
    task.timer = task.signal = task.onAbort = undefined;
    const extra = task.extra;
    if (extra?.waitTimer !== undefined) {
      clearTimeout(extra.waitTimer);
      extra.waitTimer = undefined;
    }
  }

  /**
   * Fails tasks: each leaves the books first (so that the callbacks the
   * futures run see the pool as it now is), then each future settles with
   * `errorOf(task)`, unless its owner settled it meanwhile. With `retry`,
   * a task it takes (it will run again) stays in the books, unsettled.
   */
  settleAll(
    tasks: PoolTask[],
    errorOf: (task: PoolTask) => unknown,
    retry?: (task: PoolTask) => boolean,
  ): void {
    const failed = retry === undefined
      ? tasks
      : tasks.filter((task) => !retry(task));
    for (const task of failed) {
      this.leave(task);
      this.failed++;
    }
    for (const task of failed) {
      if (!task.future.done()) task.future.setException(errorOf(task));
    }
  }

  #out(task: PoolTask): void {
    switch (task.state) {
      case QUEUED:
        this.queued--;
        break;
      case SENT:
        this.pending--;
        break;
      case RUNNING:
        this.running--;
        break;
      case DELAYED:
        this.delayed--;
        break;
      case RETRYING:
        this.retrying--;
        break;
    }
  }
}

function markRunning(task: PoolTask): void {
  if (task.future.state === "pending") task.future.setRunningOrNotifyCancel();
}

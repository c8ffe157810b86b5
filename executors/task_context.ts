// Copyright 2026 the @concurrent/futures authors. MIT license.

import { taskScope } from "./_task_scope.ts";

/**
 * What a running task can learn about its own run, from
 * {@linkcode currentTask}.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, currentTask, type TaskContext } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using executor = new AsyncExecutor();
 * const attempt = await executor.submit(() => {
 *   const context: TaskContext | undefined = currentTask();
 *   return context?.attempt;
 * });
 * assertEquals(attempt, 1);
 * ```
 */
export interface TaskContext {
  /**
   * Aborted when this run is stopped: `cancel({ force: true })`, the run's
   * `signal` aborting, its `timeout` passing, or `shutdown` cancelling it.
   * Its `reason` is the `CancelledError` or `TimeoutError` the future
   * settles with.
   */
  readonly signal: AbortSignal;
  /** 1 on the first run, 2 on the first retry, and so on. */
  readonly attempt: number;
  /**
   * Sends `value` (cloned, as a result is) to the run's `onProgress`, on the
   * caller's side, in order, never after the future settled. Without an
   * `onProgress` it costs next to nothing.
   *
   * @param value The progress to report.
   */
  progress(value: unknown): void;
}

/**
 * Returns the context of the task that is running: its `signal`, its
 * `attempt` and `progress()`. Works on every executor (in the worker, the
 * child process, the queue worker, or on the calling thread for
 * `AsyncExecutor`), after `await`s inside an `async` task too, and with
 * several tasks in flight at once. A task module may import it from any copy
 * or URL of this module: the context is kept under a registered symbol.
 *
 * In a task that is not an `async` function but returns a promise, the
 * context is there while the function runs; read it then and keep it for the
 * callbacks the task schedules.
 *
 * @returns The running task's context, or `undefined` outside any task.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, currentTask } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using executor = new AsyncExecutor();
 * const aborted = await executor.submit(async () => {
 *   await Promise.resolve();
 *   return currentTask()!.signal.aborted;
 * });
 * assertEquals(aborted, false);
 * assertEquals(currentTask(), undefined);
 * ```
 */
export function currentTask(): TaskContext | undefined {
  const scope = taskScope;
  return scope.current ?? scope.storage.getStore();
}

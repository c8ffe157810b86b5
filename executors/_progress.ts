// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.
// Delivers a task's `progress()` values to its `onProgress` on the caller's
// side: in order, coalesced, never after the future settled, the last value
// always delivered before the future settles (the executor calls `flush()`
// right before settling it). Made only for a run with `onProgress`.

import type { Future } from "./future.ts";
import { taskScope } from "./_task_scope.ts";

/**
 * Coalesces progress values to one delivery per microtask: the values a task
 * reports within one synchronous stretch (between two `await`s, or in a tight
 * loop) reach `onProgress` as the last of them, in a microtask after that
 * stretch. An executor whose values arrive in messages may call
 * {@linkcode ProgressRelay.report} per message: values of one turn of
 * messages coalesce the same way.
 */
export class ProgressRelay {
  readonly #onProgress: (value: unknown) => void;
  readonly #future: Future<unknown>;
  #value: unknown;
  #held = false;
  #scheduled = false;
  readonly #flush = () => this.flush();
  readonly #deliver = () => {
    this.#scheduled = false;
    // The microtask was queued by the task: leave its async context, so
    // that `currentTask()` in onProgress is not the task's.
    taskScope.storage.exit(this.#flush);
  };

  /**
   * @param onProgress The run's `onProgress`. It runs outside the task's
   * async context: `currentTask()` in it is not the task's.
   * @param future The task's future: nothing is delivered once it is done.
   */
  constructor(onProgress: (value: unknown) => void, future: Future<unknown>) {
    this.#onProgress = onProgress;
    this.#future = future;
  }

  /**
   * Takes a value; it is delivered in a microtask unless a later one
   * replaces it first.
   *
   * @param value What the task reported.
   */
  report(value: unknown): void {
    if (this.#future.done()) return;
    this.#value = value;
    this.#held = true;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#deliver);
    }
  }

  /** Delivers the value held now, if any (and the future is not done). */
  flush(): void {
    if (!this.#held) return;
    const value = this.#value;
    this.#held = false;
    this.#value = undefined;
    if (this.#future.done()) return;
    try {
      this.#onProgress(value);
    } catch (error) {
      // As a done callback's: reported, never allowed to fail the task or
      // the executor (a global reportError would end the process in Deno).
      console.error("Exception in onProgress:", error);
    }
  }
}

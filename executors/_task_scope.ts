// Copyright 2026 the @concurrent/futures authors. MIT license.
// Where `currentTask()` finds the running task. Kept on `globalThis` under a
// registered symbol, so that every copy or URL of this module loaded in one
// realm (a task module importing `currentTask` from elsewhere) shares it.
//
// Two places, because one async context switch costs ~0.2 µs in Deno 2.9
// (AsyncLocalStorage.run), as much as a whole trivial task on AsyncExecutor:
// - `current`: the task whose code runs synchronously right now, set around
//   every call (free);
// - `storage`: an async context, entered only for `async` functions, whose
//   code runs on after `await`s.

import { AsyncLocalStorage } from "node:async_hooks";
import type { TaskContext } from "./task_context.ts";
import { CancelledError } from "./errors.ts";

/** The shared slots: see the comment at the top of this file. */
export interface TaskScope {
  current: TaskContext | undefined;
  readonly storage: AsyncLocalStorage<TaskContext>;
}

const kScope = Symbol.for("@concurrent/futures/taskScope");

/** This realm's scope, shared by every copy of the module. */
export const taskScope: TaskScope = ((globalThis as Record<symbol, unknown>)[
  kScope
] as TaskScope | undefined) ??
  ((globalThis as Record<symbol, unknown>)[kScope] = {
    current: undefined,
    storage: new AsyncLocalStorage<TaskContext>(),
  } satisfies TaskScope) as TaskScope;

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

const AsyncFunction = (async () => {}).constructor;
const AsyncGeneratorFunction = (async function* () {}).constructor;

/** Whether `fn`'s code can run on after an `await` (so needs the async context). */
export function isAsyncFunction(fn: AnyFunction): boolean {
  const ctor = fn.constructor;
  return ctor === AsyncFunction || ctor === AsyncGeneratorFunction;
}

/**
 * Calls `fn(...args)` with `context` as the current task: synchronously, and
 * after its `await`s when `fn` is an `async` function.
 *
 * @param context What `currentTask()` returns meanwhile.
 * @param fn The task's function.
 * @param args Its arguments.
 * @returns What `fn` returns (it may throw).
 */
export function callInTask<R>(
  context: TaskContext,
  fn: (...args: never[]) => R,
  args: readonly unknown[],
): R {
  const scope = taskScope;
  const previous = scope.current;
  scope.current = context;
  try {
    if (isAsyncFunction(fn as AnyFunction)) {
      return scope.storage.run(
        context,
        fn as AnyFunction,
        ...args,
      ) as R;
    }
    return (fn as AnyFunction)(...args) as R;
  } finally {
    scope.current = previous;
  }
}

/**
 * A plain {@linkcode TaskContext}: the signal is made when first read (most
 * tasks never read it), `progress` goes to `report` (a no-op without one).
 */
export class RunContext implements TaskContext {
  readonly attempt: number;
  #controller: AbortController | undefined;
  #reason: unknown;
  #aborted = false;
  #report: ((value: unknown) => void) | undefined;

  /**
   * @param attempt 1 on the first run.
   * @param report Where `progress()` values go, if anywhere.
   */
  constructor(attempt: number, report?: (value: unknown) => void) {
    this.attempt = attempt;
    this.#report = report;
  }

  /** Aborted when the run is stopped (see {@linkcode RunContext.abort}). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Whether {@linkcode RunContext.abort} was called. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /**
   * Reports progress to the caller.
   *
   * @param value The progress value.
   */
  progress(value: unknown): void {
    this.#report?.(value);
  }

  /**
   * Stops the run: aborts the signal (now, or when it is first read) with
   * `reason`, and stops reporting progress. Only the first call counts.
   *
   * @param reason The error the future settled with.
   */
  abort(reason: unknown = new CancelledError()): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#report = undefined;
    this.#controller?.abort(reason);
  }

  /** Stops reporting progress (the run ended): later values are dropped. */
  end(): void {
    this.#report = undefined;
  }
}

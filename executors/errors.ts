// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.

/**
 * Thrown when awaiting the result of a {@linkcode Future} that was cancelled.
 *
 * @example Usage
 * ```ts
 * import { CancelledError, Future } from "@concurrent/futures";
 * import { assertRejects } from "@std/assert";
 *
 * const future = new Future<number>();
 * future.cancel();
 * await assertRejects(() => future.result(), CancelledError);
 * ```
 */
export class CancelledError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message The error message.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "The future was cancelled", options?: ErrorOptions) {
    super(message, options);
    this.name = "CancelledError";
  }
}

/**
 * Thrown when a `timeout` elapses: in {@linkcode Future.result},
 * {@linkcode Future.exception}, `asCompleted`, `map` or a task's own timeout.
 *
 * @example Usage
 * ```ts
 * import { Future, TimeoutError } from "@concurrent/futures";
 * import { assertRejects } from "@std/assert";
 *
 * const future = new Future<number>();
 * await assertRejects(() => future.result({ timeout: 1 }), TimeoutError);
 * ```
 */
export class TimeoutError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message The error message.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "The operation timed out", options?: ErrorOptions) {
    super(message, options);
    this.name = "TimeoutError";
  }
}

/**
 * Thrown by {@linkcode Future.setResult} and {@linkcode Future.setException}
 * when the future is already done.
 *
 * @example Usage
 * ```ts
 * import { Future, InvalidStateError } from "@concurrent/futures";
 * import { assertThrows } from "@std/assert";
 *
 * const future = new Future<number>();
 * future.setResult(1);
 * assertThrows(() => future.setResult(2), InvalidStateError);
 * ```
 */
export class InvalidStateError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message The error message.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "Invalid state", options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidStateError";
  }
}

/**
 * The executor can no longer run work, for example because its initializer
 * threw. Every pending future fails with it and later `submit` calls throw it.
 *
 * @example Usage
 * ```ts
 * import { BrokenExecutorError } from "@concurrent/futures";
 * import { assertInstanceOf } from "@std/assert";
 *
 * const error = new BrokenExecutorError("initializer failed");
 * assertInstanceOf(error, Error);
 * ```
 */
export class BrokenExecutorError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message The error message.
   * @param options Standard error options (`cause`).
   */
  constructor(
    message = "The executor is broken and can no longer run work",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "BrokenExecutorError";
  }
}

/**
 * Thrown by `submit`, `run` and `map` once `shutdown()` has begun.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, ExecutorShutdownError } from "@concurrent/futures";
 * import { assertThrows } from "@std/assert";
 *
 * const executor = new AsyncExecutor();
 * await executor.shutdown();
 * assertThrows(() => executor.submit(() => 1), ExecutorShutdownError);
 * ```
 */
export class ExecutorShutdownError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message The error message.
   * @param options Standard error options (`cause`).
   */
  constructor(
    message = "Cannot schedule new work after shutdown",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ExecutorShutdownError";
  }
}

/**
 * The worker running a task died (an uncaught error outside the task,
 * `self.close()`, or it was terminated). Only that worker's futures fail with
 * it; the pool replaces the worker.
 *
 * @example Usage
 * ```ts
 * import { WorkerCrashedError } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(new WorkerCrashedError().name, "WorkerCrashedError");
 * ```
 */
export class WorkerCrashedError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message The error message.
   * @param options Standard error options (`cause`).
   */
  constructor(
    message = "The worker running this task died",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "WorkerCrashedError";
  }
}

/**
 * Thrown (synchronously) by `submit` and `run` when `maxQueue` tasks are
 * already waiting; nothing is queued. `map` never throws it: it waits for
 * room. Await the executor's `ready()` before submitting to avoid it.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, QueueFullError } from "@concurrent/futures";
 * import { assertThrows } from "@std/assert";
 *
 * await using executor = new AsyncExecutor({ maxConcurrency: 1, maxQueue: 1 });
 * const gate = Promise.withResolvers<void>();
 * executor.submit(() => gate.promise); // runs
 * executor.submit(() => 2); // waits
 * assertThrows(() => executor.submit(() => 3), QueueFullError);
 * gate.resolve();
 * ```
 */
export class QueueFullError extends Error {
  /**
   * Constructs a new instance.
   *
   * @param message The error message.
   * @param options Standard error options (`cause`).
   */
  constructor(
    message = "The executor's queue is full (maxQueue)",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "QueueFullError";
  }
}

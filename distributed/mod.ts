// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * The same `Executor` across machines, on Redis with BullMQ:
 * {@linkcode QueueExecutor} sends module tasks as jobs to a queue, and
 * worker processes ({@linkcode serveQueue}, or the `distributed/worker.ts`
 * command) on any machine that reaches the Redis server run them on their
 * cores. Kept out of the core entry point, so that users of the core never
 * download a Redis client.
 *
 * @example Usage
 * ```ts
 * import { QueueExecutor } from "@concurrent/futures/distributed";
 * import { task } from "@concurrent/futures";
 *
 * // Needs a Redis server and a worker process serving the queue.
 * export async function squareOnTheCluster(n: number): Promise<number> {
 *   const square = task<(n: number) => number>(
 *     "https://example.com/tasks/math.ts",
 *     "square",
 *   );
 *   await using executor = new QueueExecutor({
 *     connection: "redis://127.0.0.1:6379",
 *   });
 *   return await executor.submit(square, n);
 * }
 * ```
 *
 * @module
 */

export * from "./queue_executor.ts";
export * from "./serve_queue.ts";
// The core's types that this entry's signatures use, for its documentation.
export type {
  CancelOptions,
  Future,
  FutureState,
  ResultOptions,
} from "../executors/future.ts";
export type { AnyFunction, Callable, Task } from "../executors/task.ts";
export type {
  Executor,
  MapOptions,
  RetryOptions,
  RunOptions,
  ShutdownOptions,
} from "../executors/executor.ts";

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
 * ```ts ignore
 * import { QueueExecutor } from "@concurrent/futures/distributed";
 * import { task } from "@concurrent/futures";
 *
 * const square = task<(n: number) => number>("https://example.com/tasks/math.ts", "square");
 * await using executor = new QueueExecutor({ connection: "redis://127.0.0.1:6379" });
 * console.log(await executor.submit(square, 7));
 * ```
 *
 * @module
 */

export * from "./queue_executor.ts";
export * from "./serve_queue.ts";

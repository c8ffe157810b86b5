// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * `concurrent.futures` for Deno: futures, waiting, and executors on Web
 * Workers or on the event loop.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./future.ts";
export * from "./wait.ts";
export * from "./task.ts";
export * from "./executor.ts";
export * from "./async_executor.ts";
export * from "./worker_pool_executor.ts";
export * from "./process_pool_executor.ts";
export * from "./transfer.ts";
export * from "./task_context.ts";

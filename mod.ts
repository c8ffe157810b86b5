// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * `concurrent.futures` and POSIX AIO for Deno, behind one entry point.
 *
 * - Executors: {@linkcode Future}, {@linkcode wait}, {@linkcode asCompleted},
 *   {@linkcode WorkerPoolExecutor} (Web Workers, for CPU-bound work) and
 *   {@linkcode AsyncExecutor} (the event loop, for I/O-bound work).
 * - aio: `aioRead`, `aioWrite`, `aioFsync`, `aioSuspend`, `lioListio`, ... on
 *   Deno's async file APIs, with parallel positional I/O on one file, and an
 *   opt-in io_uring backend.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using executor = new AsyncExecutor({ maxConcurrency: 4 });
 * const future = executor.submit((a: number, b: number) => a + b, 1, 2);
 * assertEquals(await future, 3);
 * ```
 *
 * @module
 */

export * from "./executors/mod.ts";
export * from "./aio/mod.ts";

// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * A live dashboard of executors in the browser: {@linkcode serveDashboard}
 * serves one page, from the dashboard itself, that shows each executor's
 * workers, counts, throughput, wait and run times, utilization and a
 * timeline of worker starts, exits and crashes, updated every second.
 *
 * For a queue on Redis, from any machine that reaches it, the same page as a
 * command:
 *
 * ```sh
 * deno run --allow-net --allow-env --allow-read <module>/dashboard/main.ts \
 *   --redis redis://host:6379 --queue NAME [--port 8080] \
 *   [--hostname 0.0.0.0 --token SECRET]
 * ```
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, WorkerPoolExecutor } from "@concurrent/futures";
 * import { serveDashboard } from "@concurrent/futures/dashboard";
 *
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
 * await using io = new AsyncExecutor({ maxConcurrency: 8 });
 * await using dashboard = serveDashboard({ executors: { pool, io } });
 * console.log(`Open ${dashboard.url}`);
 * ```
 *
 * @module
 */

export * from "./serve_dashboard.ts";

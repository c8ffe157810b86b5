// Copyright 2026 the @concurrent/futures authors. MIT license.

import type { Executor } from "../executors/executor.ts";
import { isLoopback } from "./_auth.ts";
import { serveSources } from "./_serve.ts";
import { executorSource } from "./_watch.ts";

/**
 * Options for {@linkcode serveDashboard}.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor } from "@concurrent/futures";
 * import {
 *   type DashboardOptions,
 *   serveDashboard,
 * } from "@concurrent/futures/dashboard";
 *
 * await using executor = new AsyncExecutor();
 * const options: DashboardOptions = { executors: { io: executor } };
 * await using dashboard = serveDashboard(options);
 * ```
 */
export interface DashboardOptions {
  /**
   * What the page shows: a name for each executor of this module
   * (`WorkerPoolExecutor`, `ProcessPoolExecutor`, `AsyncExecutor`,
   * `QueueExecutor`).
   */
  executors: Record<string, Executor>;
  /** The port; default 0, a free one (see {@linkcode Dashboard.url}). */
  port?: number;
  /**
   * The address to bind; default `"127.0.0.1"`, this machine only. Any
   * other than a loopback address needs a `token`.
   */
  hostname?: string;
  /**
   * A secret every request must carry: `?token=` on the first load (then a
   * cookie), or an `Authorization: Bearer` header. Without it: 401.
   */
  token?: string;
  /** Closes the dashboard when aborted. */
  signal?: AbortSignal;
}

/**
 * A running dashboard; {@linkcode Dashboard.close} it (or use `await
 * using`) so that the program can exit.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor } from "@concurrent/futures";
 * import { type Dashboard, serveDashboard } from "@concurrent/futures/dashboard";
 *
 * await using executor = new AsyncExecutor();
 * const dashboard: Dashboard = serveDashboard({ executors: { io: executor } });
 * console.log(`Watch it at ${dashboard.url}`);
 * await dashboard.close();
 * ```
 */
export interface Dashboard extends AsyncDisposable {
  /** The page's address (with `?token=` when there is a token). */
  readonly url: URL;
  /**
   * Stops serving: closes the open pages' feeds and the listening socket,
   * and stops listening to the executors (which it never shuts down).
   *
   * @returns A promise that resolves once it is closed.
   */
  close(): Promise<void>;
}

function validate(options: unknown): {
  executors: [string, object][];
  port: number;
  hostname: string;
  token?: string;
  signal?: AbortSignal;
} {
  if (options === null || typeof options !== "object") {
    throw new TypeError("serveDashboard: options must be an object");
  }
  const { executors, port = 0, hostname = "127.0.0.1", token, signal } =
    options as DashboardOptions;
  if (executors === null || typeof executors !== "object") {
    throw new TypeError(
      "serveDashboard: executors must be an object of name -> executor",
    );
  }
  const entries = Object.entries(executors);
  for (const [name, executor] of entries) {
    if (
      executor === null || typeof executor !== "object" ||
      typeof (executor as Executor).submit !== "function"
    ) {
      throw new TypeError(`serveDashboard: executors.${name} is no executor`);
    }
  }
  if (typeof port !== "number") {
    throw new TypeError("serveDashboard: port must be a number");
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `serveDashboard: port must be an integer from 0 to 65535, got ${port}`,
    );
  }
  if (typeof hostname !== "string" || hostname === "") {
    throw new TypeError("serveDashboard: hostname must be a non-empty string");
  }
  if (token !== undefined && (typeof token !== "string" || token === "")) {
    throw new TypeError("serveDashboard: token must be a non-empty string");
  }
  if (token === undefined && !isLoopback(hostname)) {
    throw new TypeError(
      `serveDashboard: hostname ${hostname} is reachable from other machines: ` +
        "give a token (or bind 127.0.0.1)",
    );
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError("serveDashboard: signal must be an AbortSignal");
  }
  return { executors: entries, port, hostname, token, signal };
}

/**
 * Serves a live page of `executors`: per executor its workers (count,
 * busy), queued / running / completed / failed / cancelled, throughput over
 * the last minutes, `waitTime` and `runTime` percentiles, utilization, and a
 * timeline of worker starts and exits with crashes and their errors.
 *
 * The page is served by the dashboard itself (no asset from the internet)
 * and updates once a second through server-sent events. It only reads:
 * `stats()`, on a timer that runs only while a page is open, and the
 * executors' worker events; nothing on it can submit, cancel or change work.
 * It binds `127.0.0.1` unless told otherwise, and any address that is not a
 * loopback one needs a `token`.
 *
 * @param options `executors` (required), `port`, `hostname`, `token`,
 * `signal`.
 * @returns The running dashboard: its `url`, and `close()`.
 * @throws {TypeError} An option has the wrong type, or `hostname` is not a
 * loopback address and no `token` is given.
 * @throws {RangeError} `port` is not an integer from 0 to 65535.
 *
 * @example Usage
 * ```ts
 * import { WorkerPoolExecutor } from "@concurrent/futures";
 * import { serveDashboard } from "@concurrent/futures/dashboard";
 *
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
 * await using dashboard = serveDashboard({ executors: { cpu: pool } });
 * console.log(`Watch the pool at ${dashboard.url}`);
 * await Promise.all([1, 2, 3].map((n) => pool.submit((x: number) => x * x, n)));
 * ```
 */
export function serveDashboard(options: DashboardOptions): Dashboard {
  const { executors, ...rest } = validate(options);
  return serveSources(
    executors.map(([name, executor]) => executorSource(name, executor)),
    rest,
  );
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
/**
 * The worker command: serves a `QueueExecutor` queue from this process,
 * running jobs on a local pool (`--pool`: worker threads, child processes,
 * or this event loop).
 *
 * ```sh
 * deno run --allow-net --allow-env --allow-read distributed/worker.ts \
 *   --redis redis://host:6379 --queue NAME --allow https://example.com/tasks/ \
 *   [--allow ...] [--workers N] [--concurrency N] \
 *   [--pool threads|processes|inline] [--max-memory MIB] \
 *   [--max-tasks-per-worker N] [--rate MAX/DURATION_MS]
 * ```
 *
 * It prints a line containing `ready` once it takes jobs; on SIGINT or
 * SIGTERM it stops taking jobs, lets the running ones finish, and exits 0.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { serveQueue } from "./serve_queue.ts";
import { addressOf, DEFAULT_QUEUE } from "./_protocol.ts";

const USAGE = `Usage: deno run --allow-net --allow-env --allow-read worker.ts \\
  --redis URL --allow PREFIX [--allow PREFIX ...] [options]

Serves a QueueExecutor queue: runs its jobs on this machine's cores.

  --redis URL         redis://[user:password@]host:port[/db] or rediss://... (TLS)
  --queue NAME        the queue (default "${DEFAULT_QUEUE}")
  --allow PREFIX      module URL prefix (or directory) tasks may be imported
                      from; repeatable; at least one. End directories with /.
  --pool KIND         where jobs run: threads (a WorkerPoolExecutor, the
                      default), processes (a ProcessPoolExecutor: a stopped
                      job's child is killed; --max-memory), or inline (this
                      process's event loop, for I/O-bound jobs)
  --workers N         local workers, threads or processes (default: cores)
  --concurrency N     jobs in flight on this process (default: --workers)
  --max-memory MIB    processes: JS heap per child; a job past it fails
  --max-tasks-per-worker N
                      threads/processes: replace a worker after N jobs
  --rate MAX/MS       at most MAX jobs start per MS milliseconds, across
                      every process serving the queue (e.g. 100/1000)
  --lock-duration MS  lock on a running job; a dead process's jobs run again
                      after about 1.4x this (default 5000)
  --help              this text
`;

function fail(message: string): never {
  console.error(`error: ${message}\n\n${USAGE}`);
  Deno.exit(2);
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    fail(`--${name} must be an integer >= 1, got "${value}"`);
  }
  return n;
}

/** A URL prefix, or a path made one (a directory's ends with "/"). */
function prefixOf(value: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  let href = pathToFileURL(value).href;
  let isDirectory = value.endsWith("/");
  try {
    isDirectory ||= Deno.statSync(value).isDirectory;
  } catch {
    // A path that does not exist yet is taken as written.
  }
  if (isDirectory && !href.endsWith("/")) href += "/";
  return href;
}

let lastReport = 0;

/** Prints an error, at most one every 5 s (Redis down repeats them). */
function report(error: unknown): void {
  const now = Date.now();
  if (now - lastReport < 5000) return;
  lastReport = now;
  console.error(
    `warning: ${error instanceof Error ? error.message : String(error)}` +
      " (retrying)",
  );
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        redis: { type: "string" },
        queue: { type: "string" },
        allow: { type: "string", multiple: true },
        workers: { type: "string" },
        concurrency: { type: "string" },
        pool: { type: "string" },
        "max-memory": { type: "string" },
        "max-tasks-per-worker": { type: "string" },
        rate: { type: "string" },
        "lock-duration": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.redis === undefined) fail("--redis is required");
  if (values.allow === undefined || values.allow.length === 0) {
    fail("at least one --allow is required");
  }
  const pool = values.pool;
  if (
    pool !== undefined && pool !== "threads" && pool !== "processes" &&
    pool !== "inline"
  ) {
    fail(`--pool must be threads, processes or inline, got "${pool}"`);
  }
  let limiter: { max: number; duration: number } | undefined;
  if (values.rate !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(values.rate);
    if (match === null || Number(match[1]) < 1 || Number(match[2]) < 1) {
      fail(
        `--rate must be MAX/DURATION_MS (e.g. 100/1000), got "${values.rate}"`,
      );
    }
    limiter = { max: Number(match[1]), duration: Number(match[2]) };
  }
  let worker;
  try {
    worker = serveQueue({
      connection: values.redis,
      queue: values.queue,
      allow: values.allow.map(prefixOf),
      maxWorkers: integer(values.workers, "workers"),
      concurrency: integer(values.concurrency, "concurrency"),
      pool,
      maxMemory: integer(values["max-memory"], "max-memory"),
      maxTasksPerWorker: integer(
        values["max-tasks-per-worker"],
        "max-tasks-per-worker",
      ),
      limiter,
      lockDuration: integer(values["lock-duration"], "lock-duration"),
      onError: report,
    });
  } catch (error) {
    fail((error as Error).message);
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log("stopping: finishing running jobs");
    worker.close().then(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await worker.ready;
  console.log(
    `worker ${Deno.pid} ready: queue "${values.queue ?? DEFAULT_QUEUE}" on ` +
      `${addressOf(new URL(values.redis).href)}, pool ${pool ?? "threads"}`,
  );
}

if (import.meta.main) await main();

// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * An HTTP server that keeps its event loop free: each request's CPU step
 * (about 1 ms of key stretching, see http_offload_work.mjs) runs on a
 * {@linkcode WorkerPoolExecutor}, so the main thread only parses requests
 * and writes responses.
 *
 * - Load shedding: `maxQueue` bounds the tasks that wait for a worker. When
 *   it is full, `submit` throws `QueueFullError` and the request gets
 *   `503 Service Unavailable` with `Retry-After` at once, instead of joining
 *   an unbounded queue (where every request would wait longer and longer).
 * - Clean shutdown on SIGINT (Ctrl-C): the server stops accepting, the
 *   requests in flight get their answers, then the pool shuts down.
 * - The workers are started and warmed (the task module imported and its
 *   function optimised) before the server listens.
 *
 * Run it, then ask it for a hash:
 *
 * ```sh
 * deno run --allow-net --allow-read examples/http_offload.ts --port 8000
 * curl 'http://127.0.0.1:8000/hash?key=hello'
 * ```
 *
 * Options: `--port` (default 8000; 0 picks a free one), `--workers`
 * (default: one per core), `--max-queue` (default 64), `--rounds` (the cost
 * of one step, default http_offload_work.mjs's `ROUNDS`).
 *
 * @module
 */

import { QueueFullError, task, WorkerPoolExecutor } from "../mod.ts";
import { ROUNDS, type stretch } from "./http_offload_work.mjs";

/** The CPU step, as a module task the workers import. */
const stretchTask = task<typeof stretch>(
  import.meta.resolve("./http_offload_work.mjs"),
  "stretch",
);

/** Options of {@linkcode createHandler}. */
export interface HandlerOptions {
  /** Rounds of the CPU step per request. */
  rounds?: number;
  /** Seconds a client is told to wait after a 503 (`Retry-After`). */
  retryAfter?: number;
}

/**
 * Creates the request handler: `GET /hash?key=...` answers the stretched
 * key as JSON, computed on `pool`; `503` with `Retry-After` when the pool's
 * queue is full.
 *
 * @param pool The pool the CPU step runs on (its `maxQueue` sheds load).
 * @param options Rounds per request and the `Retry-After` seconds.
 * @returns A handler for `Deno.serve`.
 *
 * @example Usage
 * ```ts
 * import { WorkerPoolExecutor } from "../mod.ts";
 * import { createHandler } from "./http_offload.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1, maxQueue: 8 });
 * const handler = createHandler(pool, { rounds: 10 });
 * const response = await handler(new Request("http://localhost/hash?key=a"));
 * assertEquals(response.status, 200);
 * assertEquals((await response.json()).hash.length, 128);
 * ```
 */
export function createHandler(
  pool: WorkerPoolExecutor,
  options: HandlerOptions = {},
): (request: Request) => Promise<Response> {
  const rounds = options.rounds ?? ROUNDS;
  const retryAfter = String(options.retryAfter ?? 1);
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname !== "/hash") {
      return new Response("Not found\n", { status: 404 });
    }
    const key = url.searchParams.get("key") ?? "";
    let hash: string;
    try {
      hash = await pool.submit(stretchTask, key, rounds);
    } catch (error) {
      if (error instanceof QueueFullError) {
        return new Response("Busy, try again later\n", {
          status: 503,
          headers: { "retry-after": retryAfter },
        });
      }
      throw error;
    }
    return Response.json({ key, hash });
  };
}

/**
 * Runs `fn` on every worker of `pool` a few times (all workers busy at
 * once), so that each has imported the task module and optimised the
 * function before the first request.
 *
 * @param pool The pool, with `minWorkers` equal to `maxWorkers`.
 * @param workers How many workers it has.
 * @param rounds Rounds of the CPU step per warm-up call.
 * @returns When every worker has been warmed.
 */
export async function warmPool(
  pool: WorkerPoolExecutor,
  workers: number,
  rounds: number,
): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await Promise.all(
      Array.from(
        { length: workers },
        (_, k) => pool.submit(stretchTask, `warm-${k}`, rounds),
      ),
    );
  }
}

function option(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  const inline = args.find((arg) => arg.startsWith(`--${name}=`));
  const text = inline?.slice(name.length + 3) ??
    (index === -1 ? undefined : args[index + 1]);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`--${name} needs a whole number >= 0, got "${text}"`);
  }
  return value;
}

if (import.meta.main) {
  const args = Deno.args;
  const port = option(args, "port", 8000);
  const workers = Math.max(
    1,
    option(args, "workers", navigator.hardwareConcurrency),
  );
  const maxQueue = option(args, "max-queue", 64);
  const rounds = option(args, "rounds", ROUNDS);

  const pool = new WorkerPoolExecutor({
    maxWorkers: workers,
    minWorkers: workers,
    maxQueue,
    name: "http",
  });
  await warmPool(pool, workers, rounds);

  const server = Deno.serve({
    port,
    hostname: "127.0.0.1",
    onListen({ hostname, port }) {
      console.log(`Listening on http://${hostname}:${port}/`);
    },
  }, createHandler(pool, { rounds }));

  const onSignal = async () => {
    Deno.removeSignalListener("SIGINT", onSignal);
    console.log("SIGINT: finishing the requests in flight");
    await server.shutdown(); // stops accepting; waits for open responses
    await pool.shutdown();
    console.log("Shut down cleanly");
  };
  Deno.addSignalListener("SIGINT", onSignal);
  await server.finished;
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
/**
 * The dashboard of a queue on Redis, as a command, from any machine that
 * reaches the Redis server: its jobs waiting, running and delayed, the jobs
 * finished since it started (and their throughput), and the processes
 * serving it.
 *
 * ```sh
 * deno run --allow-net --allow-env --allow-read dashboard/main.ts \
 *   --redis redis://host:6379 --queue NAME [--port 8080] \
 *   [--hostname 0.0.0.0 --token SECRET]
 * ```
 *
 * It prints the page's URL; on SIGINT or SIGTERM it closes and exits 0.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { queueSource } from "./_queue_source.ts";
import { serveSources } from "./_serve.ts";
import { isLoopback } from "./_auth.ts";

const USAGE = `Usage: deno run --allow-net --allow-env --allow-read main.ts \\
  --redis URL [--queue NAME] [--port N] [--hostname HOST --token SECRET]

Serves a live page of a QueueExecutor queue.

  --redis URL        redis://[user:password@]host:port[/db] or rediss://...
  --queue NAME       the queue (default "concurrent-futures")
  --port N           the port (default 0: a free one; the URL is printed)
  --hostname HOST    the address to bind (default 127.0.0.1); any other than
                     a loopback address needs --token
  --token SECRET     every request must carry it (?token= on the first load)
  --help             this text
`;

function fail(message: string): never {
  console.error(`error: ${message}\n\n${USAGE}`);
  Deno.exit(2);
}

function main(): void {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        redis: { type: "string" },
        queue: { type: "string" },
        port: { type: "string" },
        hostname: { type: "string" },
        token: { type: "string" },
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
  if (!/^rediss?:\/\//.test(values.redis)) {
    fail(`--redis must be a redis:// or rediss:// URL, got "${values.redis}"`);
  }
  const port = Number(values.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`--port must be an integer from 0 to 65535, got "${values.port}"`);
  }
  const hostname = values.hostname ?? "127.0.0.1";
  const token = values.token;
  if (token === "") fail("--token must not be empty");
  if (token === undefined && !isLoopback(hostname)) {
    fail(
      `--hostname ${hostname} is reachable from other machines: give --token`,
    );
  }
  const queue = values.queue ?? "concurrent-futures";
  const dashboard = serveSources([queueSource(values.redis, queue)], {
    port,
    hostname,
    token,
  });
  console.log(`dashboard of queue ${queue}: ${dashboard.url.href}`);
  const stop = (): void => {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
    dashboard.close().then(() => Deno.exit(0));
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

if (import.meta.main) main();

// Copyright 2026 the @concurrent/futures authors. MIT license.
// A queue on Redis as the dashboard shows it (for dashboard/main.ts): its
// jobs as Redis counts them (all clients'), the jobs finished since the
// dashboard started (heard from the queue's event stream, which gives the
// throughput), and the processes serving it (`QueueExecutor.stats()` counts
// them; Redis's client list names them). It only reads.

// deno-lint-ignore no-import-prefix
import { Queue, QueueEvents } from "npm:bullmq@6.7.0";
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@6.0.0";
import { QueueExecutor } from "../distributed/mod.ts";
import type { Reading, Source } from "./_watch.ts";

/** BullMQ's key prefix, as `distributed/` uses it. */
const PREFIX = "bull";

function client(connection: string, name: string): Redis {
  const redis = new Redis(connection, {
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    connectionName: name,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  });
  // Reading fails while Redis is down; the page shows that error.
  redis.on("error", () => {});
  return redis;
}

/**
 * A {@linkcode Source} over queue `queue` on the Redis server `connection`.
 *
 * @param connection `redis://...` or `rediss://...`.
 * @param queue The queue's name.
 * @returns The source; `close()` releases its connections.
 */
export function queueSource(connection: string, queue: string): Source {
  const executor = new QueueExecutor({ connection, queue });
  const tag = crypto.randomUUID().slice(0, 8);
  const reader = client(connection, `cf:dashboard:${tag}`);
  const listener = client(connection, `cf:dashboard-events:${tag}`);
  const jobs = new Queue(queue, { connection: reader, prefix: PREFIX });
  const events = new QueueEvents(queue, {
    connection: listener,
    prefix: PREFIX,
  });
  events.on("error", () => {});
  let completed = 0;
  let failed = 0;
  events.on("completed", () => completed++);
  events.on("failed", () => failed++);
  const address = new URL(connection);
  address.username = address.password = "";
  return {
    name: queue,
    kind: `queue on ${address.href.replace(/\/$/, "")}`,
    async read(): Promise<Reading> {
      const [counts, clients, own] = await Promise.all([
        jobs.getJobCounts(
          "waiting",
          "prioritized",
          "active",
          "delayed",
        ),
        jobs.getWorkers(),
        executor.stats(),
      ]);
      const processes = clients.map((c) => ({
        name: String(c.name ?? "").replace(/^bull:[^:]+:w:/, ""),
        addr: String(c.addr ?? ""),
        age: Number(c.age),
        idle: Number(c.idle),
      }));
      return {
        stats: {
          waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
          running: counts.active ?? 0,
          delayed: counts.delayed ?? 0,
          completed,
          failed,
          workers: own.workers,
          processes,
        },
        finished: completed + failed,
      };
    },
    async close(): Promise<void> {
      await Promise.allSettled([
        executor.shutdown(),
        events.close(),
        jobs.close(),
      ]);
      reader.disconnect();
      listener.disconnect();
    },
  };
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
/**
 * `deno task demo:cluster`: a cluster on one machine. Starts a redis-server
 * of its own (free port, temp directory), runs a CPU batch through
 * `QueueExecutor` on one worker process, then on three (the
 * `distributed/worker.ts` command, `--workers 1` each), and prints how many
 * jobs each process ran and the speedup. Everything it started is stopped
 * at the end, and on Ctrl-C.
 *
 * @module
 */

import { tasks } from "../mod.ts";
import { QueueExecutor } from "../distributed/mod.ts";
import {
  type RedisServer,
  startRedis,
  startWorker,
  type WorkerProcess,
} from "../tests/_redis.ts";

const JOBS = 48;
const SPAN = 150_000;
const here = new URL("./", import.meta.url);
const { countPrimesOn } = tasks<typeof import("./cluster_tasks.ts")>(
  new URL("cluster_tasks.ts", here),
);

let redis: RedisServer | undefined;
const workers: WorkerProcess[] = [];
let executor: QueueExecutor | undefined;

async function cleanUp(): Promise<void> {
  await executor?.shutdown({ cancelFutures: true });
  await Promise.all(workers.map((w) => w.kill("SIGTERM")));
  await redis?.stop();
}

let interrupted = false;
const onInterrupt = () => {
  interrupted = true;
  console.log("\ninterrupted: stopping workers and redis-server");
  cleanUp().finally(() => Deno.exit(130));
};
Deno.addSignalListener("SIGINT", onInterrupt);

async function batch(): Promise<{ ms: number; perPid: Map<number, number> }> {
  const started = performance.now();
  const results = await Promise.all(
    Array.from(
      { length: JOBS },
      (_, i) => executor!.submit(countPrimesOn, i * SPAN, (i + 1) * SPAN),
    ),
  );
  const perPid = new Map<number, number>();
  for (const { pid } of results) perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
  return { ms: performance.now() - started, perPid };
}

try {
  redis = await startRedis();
  console.log(`redis-server on ${redis.url} (data in ${redis.dir})`);
  const args = [
    "--redis",
    redis.url,
    "--queue",
    "demo",
    "--allow",
    here.href,
    "--workers",
    "1",
  ];
  workers.push(await startWorker(args));
  executor = new QueueExecutor({ connection: redis.url, queue: "demo" });
  await executor.submit(countPrimesOn, 0, 1000); // warm-up
  const one = await batch();
  console.log(`1 worker process:  ${JOBS} jobs in ${one.ms.toFixed(0)} ms`);
  workers.push(await startWorker(args), await startWorker(args));
  await Promise.all(
    workers.map((_, i) => executor!.submit(countPrimesOn, 0, i)),
  );
  const three = await batch();
  console.log(`3 worker processes: ${JOBS} jobs in ${three.ms.toFixed(0)} ms`);
  for (const worker of workers) {
    const pid = worker.child.pid;
    console.log(`  worker ${pid}: ${three.perPid.get(pid) ?? 0} jobs`);
  }
  console.log(
    `speedup over one process: ${(one.ms / three.ms).toFixed(2)}x ` +
      `(${navigator.hardwareConcurrency} cores on this machine)`,
  );
} catch (error) {
  // Ctrl-C cancels the batch: its futures fail while we stop.
  if (!interrupted) throw error;
} finally {
  Deno.removeSignalListener("SIGINT", onInterrupt);
  await cleanUp();
}

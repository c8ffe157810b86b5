// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * How fast a stopped CPU loop on WorkerPoolExecutor leaves its loop: a task
 * runs `while (!currentTask().signal.aborted) {}` (never yielding), the pool
 * force-cancels it, and the loop records when it saw the stop. Target: p99
 * within 10 ms over 100 stops.
 *
 *   deno run -A bench/stop_latency_bench.ts [--stops=100]
 *
 * prints p50 / p99 / max of the latency from `cancel({ force: true })` to the
 * loop's exit, and checks that the worker was kept (no respawn). Under
 * `deno bench` it times one stop (group "stop", the baseline a trivial task).
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { tasks, WorkerPoolExecutor } from "@concurrent/futures";
import { median } from "./_median.ts";

const T = tasks<typeof import("./fixtures/context_tasks.ts")>(
  import.meta.resolve("./fixtures/context_tasks.ts"),
);

/** One stop: ms from the cancel to the loop's exit. */
async function stopOnce(pool: WorkerPoolExecutor): Promise<number> {
  const flags = new Int32Array(new SharedArrayBuffer(4));
  const times = new Float64Array(new SharedArrayBuffer(8));
  // A pending Atomics.waitAsync does not keep the program alive: this timer
  // does, until the loop has ended (the worker may be idle by then).
  const alive = setTimeout(() => {}, 60_000);
  try {
    const future = pool.submit(T.spin, flags, times);
    while (Atomics.load(flags, 0) === 0) {
      await Atomics.waitAsync(flags, 0, 0, 1).value;
    }
    // Let it spin a little first.
    const spinUntil = performance.now() + 1;
    while (performance.now() < spinUntil) { /* wait */ }
    const stoppedAt = performance.timeOrigin + performance.now();
    future.cancel({ force: true });
    while (Atomics.load(flags, 0) !== 2) {
      await Atomics.waitAsync(flags, 0, 1, 1).value;
    }
    return times[0] - stoppedAt;
  } finally {
    clearTimeout(alive);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const args = parseArgs(Deno.args, {
    string: ["stops"],
    default: { stops: "100" },
  });
  const stops = Number(args.stops);
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, minWorkers: 1 });
  let respawns = 0;
  pool.addEventListener("workerexit", () => respawns++);
  await pool.submit(T.incContext, 1);
  const latencies: number[] = [];
  for (let i = 0; i < stops; i++) latencies.push(await stopOnce(pool));
  latencies.sort((a, b) => a - b);
  const fmt = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  console.log(
    `${stops} force-cancelled spin loops (WorkerPoolExecutor, 1 worker): ` +
      `cancel -> loop exit p50 ${fmt(median(latencies))}, ` +
      `p99 ${fmt(percentile(latencies, 0.99))}, ` +
      `max ${fmt(latencies.at(-1)!)}; workers replaced: ${respawns} ` +
      `(target: p99 <= 10 ms, none replaced)`,
  );
}

if (import.meta.main) {
  await main();
} else {
  const pool = new WorkerPoolExecutor({ maxWorkers: 1, minWorkers: 1 });
  await pool.submit(T.incContext, 1);
  Deno.bench({
    name: "a trivial task",
    group: "stop",
    baseline: true,
    async fn() {
      await pool.submit(T.incContext, 1);
    },
  });
  Deno.bench({
    name: "force-cancel a spin loop until it exits",
    group: "stop",
    async fn() {
      await stopOnce(pool);
    },
  });
  globalThis.addEventListener("unload", () => void pool.shutdown());
}

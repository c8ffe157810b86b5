// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * `maxTasksPerWorker: 1` (a fresh worker per task): tasks per second on 2
 * workers. The pool starts each replacement while the last task of the
 * worker it replaces runs.
 *
 * - `deno bench -A bench/recycle_bench.ts`
 * - `deno run -A bench/recycle_bench.ts [--tasks=200] [--rounds=5]
 *   [--task-ms=0] [--module=/path/to/mod.ts]`: tasks/s per round and the
 *   median; `--task-ms` makes each task spin that long (the early start of
 *   the replacement pays off when a task lasts about as long as a worker
 *   start); `--module` measures another copy of the library (e.g. an older
 *   checkout) the same way.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { resolve, toFileUrl } from "@std/path";
import * as Ours from "../mod.ts";

type Lib = Pick<typeof Ours, "WorkerPoolExecutor">;

/** A task that keeps its worker busy for `ms` (0: returns at once). */
const busy = (n: number, ms: number): number => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spinning stands for CPU-bound work
  }
  return n + 1;
};

async function run(lib: Lib, count: number, taskMs = 0): Promise<number> {
  const pool = new lib.WorkerPoolExecutor({
    maxWorkers: 2,
    maxTasksPerWorker: 1,
  });
  const start = performance.now();
  const futures = [];
  for (let i = 0; i < count; i++) {
    futures.push(pool.submit(busy, i, taskMs));
  }
  const results = await Promise.all(futures);
  const ms = performance.now() - start;
  await pool.shutdown();
  if (results[count - 1] !== count) throw new Error("wrong results");
  return count / (ms / 1000);
}

if (import.meta.main) {
  const args = parseArgs(Deno.args, {
    string: ["tasks", "task-ms", "rounds", "module"],
    default: { tasks: "200", "task-ms": "0", rounds: "5" },
  });
  const count = Number(args.tasks);
  const taskMs = Number(args["task-ms"]);
  const rounds = Number(args.rounds);
  const module = args.module;
  const lib: Lib = module === undefined
    ? Ours
    : await import(toFileUrl(resolve(module)).href);
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const rate = await run(lib, count, taskMs);
    rates.push(rate);
    console.log(`round ${r + 1}: ${rate.toFixed(1)} tasks/s`);
  }
  rates.sort((a, b) => a - b);
  console.log(
    `maxTasksPerWorker: 1, 2 workers, ${count} tasks of ${taskMs} ms (${
      module ?? "this checkout"
    }): median ${rates[rates.length >> 1].toFixed(1)} tasks/s`,
  );
} else {
  Deno.bench({
    name: "maxTasksPerWorker: 1, 2 workers, 50 tasks",
    group: "recycle",
    baseline: true,
    async fn() {
      await run(Ours, 50);
    },
  });
}

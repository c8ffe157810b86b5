// Copyright 2026 the @concurrent/futures authors. MIT license.

// WorkerPoolExecutor sizing: throughput at maxWorkers = 1, 2, 4, ... up to
// 2x navigator.hardwareConcurrency for CPU-bound, waiting (I/O-bound),
// mixed and tiny tasks, then concurrentTasksPerWorker and map() chunksize
// sweeps. Each iteration does the same work at every size. Each case has its
// own pool, created and warmed (every worker started, its task module
// imported) outside the timed part and reused across the case's iterations,
// so spawn cost is not timed.
//
//   deno bench -A bench/pool_sizing_bench.ts      (SIZING_QUICK=1 for a first look)
//   deno task sizing                               (all suites, charts, advice)

import { delay } from "@std/async";
import { tasks, WorkerPoolExecutor } from "@concurrent/futures";
import { QUICK, sizes, sweep } from "./_sizing_common.ts";
import type * as SizingTasks from "./fixtures/sizing_tasks.ts";

const T = tasks<typeof SizingTasks>(
  import.meta.resolve("./fixtures/sizing_tasks.ts"),
);
const CORES = navigator.hardwareConcurrency;
const MAX_WORKERS = 2 * CORES;
const WORKERS = sizes(MAX_WORKERS, [CORES]);

interface PoolShape {
  maxWorkers: number;
  concurrentTasksPerWorker?: number;
}

/** Starts every worker of the pool and has each import the task module. */
async function warm(pool: WorkerPoolExecutor, shape: PoolShape): Promise<void> {
  const slots = shape.maxWorkers * (shape.concurrentTasksPerWorker ?? 1);
  // Overlapping tasks make the pool start a worker for each; a second round
  // reaches any worker the first one started but did not use.
  for (
    let round = 0;
    round < 2 || pool.stats().workers < shape.maxWorkers;
    round++
  ) {
    if (round === 10) {
      throw new Error(
        `warm-up started ${pool.stats().workers} of ${shape.maxWorkers} workers`,
      );
    }
    await Promise.all(
      Array.from({ length: slots }, () => pool.submit(T.warm, 20)),
    );
  }
}

// One pool per case, kept across its iterations as a long-lived pool is in
// real use: started and warmed in the case's first (untimed, warm-up)
// iteration, shut down when the next case starts. Creating a pool per
// iteration would time the previous pool's teardown and each new worker's
// JIT warm-up, which on a small machine swamp the work.
let current: { key: string; pool: WorkerPoolExecutor } | undefined;

async function poolFor(
  key: string,
  shape: PoolShape,
): Promise<WorkerPoolExecutor> {
  if (current?.key === key) return current.pool;
  if (current) {
    await current.pool.shutdown();
    current = undefined;
    // Let the old workers' threads finish tearing down.
    await delay(50);
  }
  const pool = new WorkerPoolExecutor({
    ...shape,
    minWorkers: shape.maxWorkers,
    name: "sizing",
  });
  current = { key, pool };
  await warm(pool, shape);
  return pool;
}

// Deno.bench has no afterAll; idle workers do not keep the process alive,
// and this stops them when it ends.
addEventListener("unload", () => {
  void current?.pool.shutdown({ wait: false });
});

/** One iteration of a case: `work` on the case's warm pool, timed. */
async function withPool(
  b: Deno.BenchContext,
  shape: PoolShape,
  work: (pool: WorkerPoolExecutor) => Promise<unknown>,
): Promise<void> {
  const pool = await poolFor(b.name + JSON.stringify(shape), shape);
  b.start();
  await work(pool);
  b.end();
}

// Enough tasks that the largest pool runs several rounds.
const TASKS = Math.max(QUICK ? 8 : 16, (QUICK ? 2 : 4) * MAX_WORKERS);
const FIB = QUICK ? 26 : 27;

sweep({
  group: "pool/cpu",
  param: "maxWorkers",
  values: WORKERS,
  units: TASKS,
  unit: "tasks",
  description: `${TASKS} tasks of fib(${FIB}) per iteration (pure CPU)`,
  fn: (w, b) =>
    withPool(
      b,
      { maxWorkers: w },
      (pool) =>
        Promise.all(
          Array.from({ length: TASKS }, () => pool.submit(T.fib, FIB)),
        ),
    ),
});

const WAIT_MS = QUICK ? 3 : 5;
sweep({
  group: "pool/io",
  param: "maxWorkers",
  values: WORKERS,
  units: TASKS,
  unit: "tasks",
  description:
    `${TASKS} tasks per iteration, each awaiting a ${WAIT_MS} ms timer (I/O latency)`,
  fn: (w, b) =>
    withPool(
      b,
      { maxWorkers: w },
      (pool) =>
        Promise.all(
          Array.from({ length: TASKS }, () => pool.submit(T.wait, WAIT_MS)),
        ),
    ),
});

// About half computing, half waiting.
const MIXED_FIB = QUICK ? 25 : 26;
const MIXED_MS = QUICK ? 1 : 2;
sweep({
  group: "pool/mixed",
  param: "maxWorkers",
  values: WORKERS,
  units: TASKS,
  unit: "tasks",
  description:
    `${TASKS} tasks per iteration, each fib(${MIXED_FIB}) then a ${MIXED_MS} ms timer`,
  fn: (w, b) =>
    withPool(b, { maxWorkers: w }, (pool) =>
      Promise.all(
        Array.from(
          { length: TASKS },
          () => pool.submit(T.mixed, MIXED_FIB, MIXED_MS),
        ),
      )),
});

const TINY = QUICK ? 300 : 1000;
sweep({
  group: "pool/tiny",
  param: "maxWorkers",
  values: WORKERS,
  units: TINY,
  unit: "tasks",
  description:
    `${TINY} tasks of x + 1 per iteration, submitted one by one (message overhead)`,
  fn: (w, b) =>
    withPool(
      b,
      { maxWorkers: w },
      (pool) =>
        Promise.all(
          Array.from({ length: TINY }, (_, i) => pool.submit(T.inc, i)),
        ),
    ),
});

// Mostly waiting with a little CPU: a worker saturates its core at about
// (compute + wait) / compute tasks in flight.
const CONCURRENCY = QUICK ? [1, 4, 16] : [1, 2, 4, 8, 16, 32, 64];
const CONC_FIB = 22;
const CONC_MS = 2;
const CONC_TASKS = 2 * CORES * CONCURRENCY[CONCURRENCY.length - 1];
sweep({
  group: "pool/concurrency",
  param: "concurrentTasksPerWorker",
  values: CONCURRENCY,
  units: CONC_TASKS,
  unit: "tasks",
  description:
    `maxWorkers ${CORES}; ${CONC_TASKS} async tasks per iteration, each fib(${CONC_FIB}) then a ${CONC_MS} ms timer`,
  fn: (c, b) =>
    withPool(
      b,
      { maxWorkers: CORES, concurrentTasksPerWorker: c },
      (pool) =>
        Promise.all(
          Array.from(
            { length: CONC_TASKS },
            () => pool.submit(T.mixed, CONC_FIB, CONC_MS),
          ),
        ),
    ),
});

const CHUNKS = QUICK ? [1, 16, 256] : [1, 4, 16, 64, 256, 1024];
const ITEMS = QUICK ? 1024 : 8192;
sweep({
  group: "pool/chunksize",
  param: "chunksize",
  values: CHUNKS,
  units: ITEMS,
  unit: "items",
  description:
    `maxWorkers ${CORES}; map(x + 1) over ${ITEMS} numbers per iteration`,
  fn: (chunksize, b) =>
    withPool(b, { maxWorkers: CORES }, async (pool) => {
      let count = 0;
      const items = Array.from({ length: ITEMS }, (_, i) => i);
      for await (const _ of pool.map(T.inc, items, { chunksize })) count++;
      if (count !== ITEMS) throw new Error(`map yielded ${count} of ${ITEMS}`);
    }),
});

// Copyright 2026 the @concurrent/futures authors. MIT license.
// What bench/executors_bench.ts and bench/process_pool_bench.ts share: the
// workloads, the warm-up, the poolifier-web-worker peer and the "trivial"
// cases, so that both pools are measured on exactly the same work.

import { tasks, type WorkerPoolExecutor } from "@concurrent/futures";
// The peer is a bench-only dependency, pinned inline (see bench/deno.json).
// deno-lint-ignore no-import-prefix
import { FixedThreadPool } from "npm:poolifier-web-worker@0.5.15";
import type * as BenchTasks from "./fixtures/executors_tasks.ts";

/** The bench's task module. */
export const T = tasks<typeof BenchTasks>(
  import.meta.resolve("./fixtures/executors_tasks.ts"),
);
/** Trivial tasks per "trivial" case. */
export const TRIVIAL = 20_000;
/** Workers of each pool in the "trivial" group. */
export const WORKERS = 2;
/** The machine's cores. */
export const CORES: number = navigator.hardwareConcurrency;
/** The CPU-bound batch: fib(FIB_N), FIB_TASKS times. */
export const FIB_N = 30;
/** fib(FIB_N). */
export const FIB_VALUE = 832040;
/** Tasks in the CPU-bound batch. */
export const FIB_TASKS: number = 4 * CORES;

/** A case of a "trivial" group. */
export interface TrivialCase {
  name: string;
  group: "trivial";
  baseline?: boolean;
  run(): Promise<void>;
}

/** Throws unless `results` are the trivial tasks' results. */
export function check(results: number[]): void {
  if (results.length !== TRIVIAL || results[TRIVIAL - 1] !== TRIVIAL) {
    throw new Error("wrong results");
  }
}

/** Runs tasks at once, repeatedly, until every worker has started. */
export async function warm(
  workers: number,
  started: () => number,
  run: () => PromiseLike<unknown>,
): Promise<void> {
  for (let round = 0; round < 2 || started() < workers; round++) {
    if (round === 20) throw new Error(`only ${started()} workers started`);
    await Promise.all(Array.from({ length: 4 * workers }, run));
  }
}

/** A warmed poolifier-web-worker pool of `WORKERS` threads. */
export async function startPoolifier(): Promise<
  FixedThreadPool<number, number>
> {
  const poolifier = new FixedThreadPool<number, number>(
    WORKERS,
    new URL("./fixtures/executors_poolifier_worker.ts", import.meta.url),
    { errorEventHandler: (event) => console.error(event) },
  );
  await warm(
    WORKERS,
    () => poolifier.info.workerNodes,
    () => poolifier.execute(1),
  );
  return poolifier;
}

/** Runs the CPU-bound batch on `pool` and checks its results. */
export async function fibBatch(pool: WorkerPoolExecutor): Promise<void> {
  const futures = Array.from(
    { length: FIB_TASKS },
    () => pool.submit(T.fib, FIB_N),
  );
  for (const value of await Promise.all(futures)) {
    if (value !== FIB_VALUE) throw new Error("wrong fib");
  }
}

/**
 * The "trivial" group: `TRIVIAL` tasks by `submit` (the baseline) and by
 * `map` in chunks of 256 on `ours`, and the same tasks on poolifier.
 */
export function trivialCases(
  label: string,
  ours: WorkerPoolExecutor,
  poolifier: FixedThreadPool<number, number>,
  poolifierName: string,
): TrivialCase[] {
  return [
    {
      name: `${label}.submit`,
      group: "trivial",
      baseline: true,
      async run() {
        const futures = new Array(TRIVIAL);
        for (let i = 0; i < TRIVIAL; i++) futures[i] = ours.submit(T.inc, i);
        check(await Promise.all(futures));
      },
    },
    {
      name: `${label}.map (chunksize 256)`,
      group: "trivial",
      async run() {
        const items = Array.from({ length: TRIVIAL }, (_, i) => i);
        check(
          await Array.fromAsync(ours.map(T.inc, items, { chunksize: 256 })),
        );
      },
    },
    {
      name: poolifierName,
      group: "trivial",
      async run() {
        const promises = new Array(TRIVIAL);
        for (let i = 0; i < TRIVIAL; i++) promises[i] = poolifier.execute(i);
        check(await Promise.all(promises));
      },
    },
  ];
}

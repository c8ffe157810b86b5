// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * This checkout's WorkerPoolExecutor against another copy of the library
 * (e.g. an older checkout): 20,000 trivial tasks by `submit`, the same
 * task reading `currentTask()` (this checkout's; a copy without it reads
 * `undefined`), the same by `map` in chunks of 256, and fib(30) x 8, each
 * pool with 2 workers, created and warmed first.
 *
 * `deno run -A bench/compare_pool.ts --module=/path/to/other/mod.ts
 * [--rounds=15]`: both copies side by side in one process, the cases
 * interleaved (alternating which goes first) so that both see the same
 * machine; the median per case and the ratio this/other.
 *
 * `... --processes=N`: instead, N fresh processes per copy, taking turns,
 * each running every case `--rounds` times and reporting its medians; the
 * median over the processes per case, and the ratio. In one process the two
 * copies share one heap, so each pays for some of the other's garbage.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { resolve, toFileUrl } from "@std/path";
import * as Ours from "../mod.ts";
import { median } from "./_median.ts";
import { runSelf } from "./_run_self.ts";

type Lib = Pick<typeof Ours, "WorkerPoolExecutor" | "tasks">;
type Pool = InstanceType<Lib["WorkerPoolExecutor"]>;
interface Subject {
  pool: Pool;
  inc: Ours.Task<(n: number) => number>;
  incContext: Ours.Task<(n: number) => number>;
  fib: Ours.Task<(n: number) => number>;
}

const TASKS = import.meta.resolve("./fixtures/executors_tasks.ts");
const CONTEXT_TASKS = import.meta.resolve("./fixtures/context_tasks.ts");

async function subject(lib: Lib): Promise<Subject> {
  const pool = new lib.WorkerPoolExecutor({ maxWorkers: 2, minWorkers: 2 });
  const t = lib.tasks<{ inc(n: number): number; fib(n: number): number }>(
    TASKS,
  );
  for (let i = 0; i < 3; i++) {
    await Promise.all(
      Array.from({ length: 64 }, (_, k) => pool.submit(t.inc, k)),
    );
  }
  await Promise.all(Array.from({ length: 4 }, () => pool.submit(t.fib, 20)));
  const incContext = lib.tasks<{ incContext(n: number): number }>(
    CONTEXT_TASKS,
  ).incContext;
  await Promise.all(
    Array.from({ length: 64 }, (_, k) => pool.submit(incContext, k)),
  );
  return { pool, inc: t.inc, fib: t.fib, incContext } as unknown as Subject;
}

const cases: Record<string, (s: Subject) => Promise<void>> = {
  "submit 20k trivial": async ({ pool, inc }) => {
    const futures = new Array(20_000);
    for (let i = 0; i < 20_000; i++) futures[i] = pool.submit(inc, i);
    const results = await Promise.all(futures);
    if (results[19_999] !== 20_000) throw new Error("wrong results");
  },
  "submit 20k currentTask()": async ({ pool, incContext }) => {
    const futures = new Array(20_000);
    for (let i = 0; i < 20_000; i++) futures[i] = pool.submit(incContext, i);
    const results = await Promise.all(futures);
    if (results[19_999] !== 20_000) throw new Error("wrong results");
  },
  "map 20k, chunks of 256": async ({ pool, inc }) => {
    const items = Array.from({ length: 20_000 }, (_, i) => i);
    const results = await Array.fromAsync(
      pool.map(inc, items, { chunksize: 256 }),
    );
    if (results[19_999] !== 20_000) throw new Error("wrong results");
  },
  "fib(30) x 8": async ({ pool, fib }) => {
    await Promise.all(Array.from({ length: 8 }, () => pool.submit(fib, 30)));
  },
};

/** Runs every case `rounds` times on each subject, taking turns. */
async function measure(
  subjects: [string, Subject][],
  rounds: number,
): Promise<Record<string, number>> {
  const times: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const name in cases) {
      const order = round % 2 === 0 ? subjects : [...subjects].reverse();
      for (const [who, s] of order) {
        const start = performance.now();
        await cases[name](s);
        (times[`${name}|${who}`] ??= []).push(performance.now() - start);
      }
    }
  }
  for (const [, s] of subjects) await s.pool.shutdown();
  return Object.fromEntries(
    Object.entries(times).map(([key, list]) => [key, median(list)]),
  );
}

async function spawn(module: string, rounds: number) {
  const medians = await runSelf(import.meta.filename!, [
    `--child=${module}`,
    `--rounds=${rounds}`,
  ]);
  return medians as Record<string, number>;
}

function report(label: string, medians: Record<string, number>): void {
  console.log(label);
  for (const name in cases) {
    const a = medians[`${name}|other`];
    const b = medians[`${name}|this`];
    console.log(
      `${name.padEnd(24)} other ${a.toFixed(1)} ms  this ${b.toFixed(1)} ms  ` +
        `this/other ${(b / a).toFixed(3)}`,
    );
  }
}

const args = parseArgs(Deno.args, {
  string: ["module", "rounds", "processes", "child"],
  default: { rounds: "15" },
});
const rounds = Number(args.rounds);
if (args.child !== undefined) {
  const lib: Lib = await import(args.child);
  const medians = await measure([["child", await subject(lib)]], rounds);
  console.log(JSON.stringify(medians));
} else if (args.module === undefined) {
  console.error(
    "usage: deno run -A bench/compare_pool.ts --module=PATH [--processes=N]",
  );
  Deno.exit(2);
} else if (args.processes !== undefined) {
  const processes = Number(args.processes);
  const copies: [string, string][] = [
    ["other", toFileUrl(resolve(args.module)).href],
    ["this", import.meta.resolve("../mod.ts")],
  ];
  const runs: Record<string, number[]> = {};
  for (let p = 0; p < processes; p++) {
    for (const [who, url] of p % 2 === 0 ? copies : [...copies].reverse()) {
      const medians = await spawn(url, rounds);
      for (const name in cases) {
        (runs[`${name}|${who}`] ??= []).push(medians[`${name}|child`]);
      }
    }
  }
  report(
    `${processes} processes per copy, ${rounds} rounds each; other: ${args.module}`,
    Object.fromEntries(
      Object.entries(runs).map(([key, list]) => [key, median(list)]),
    ),
  );
} else {
  const other: Lib = await import(toFileUrl(resolve(args.module)).href);
  const subjects: [string, Subject][] = [
    ["other", await subject(other)],
    ["this", await subject(Ours)],
  ];
  report(
    `${rounds} rounds; other: ${args.module}`,
    await measure(subjects, rounds),
  );
}

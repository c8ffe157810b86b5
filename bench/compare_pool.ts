// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * This checkout's WorkerPoolExecutor against another copy of the library
 * (e.g. an older checkout), side by side in one process, the cases
 * interleaved (alternating which goes first) so that both see the same
 * machine: 20,000 trivial tasks by `submit`, the same by `map` in chunks of
 * 256, and fib(30) x 8, each pool with 2 workers, created and warmed first.
 *
 * `deno run -A bench/compare_pool.ts --module=/path/to/other/mod.ts
 * [--rounds=15]`: the median per case and the ratio this/other.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { resolve, toFileUrl } from "@std/path";
import * as Ours from "../mod.ts";

type Lib = Pick<typeof Ours, "WorkerPoolExecutor" | "tasks">;
type Pool = InstanceType<Lib["WorkerPoolExecutor"]>;
interface Subject {
  pool: Pool;
  inc: Ours.Task<(n: number) => number>;
  fib: Ours.Task<(n: number) => number>;
}

const args = parseArgs(Deno.args, {
  string: ["module", "rounds"],
  default: { rounds: "15" },
});
const module = args.module;
if (module === undefined) {
  console.error("usage: deno run -A bench/compare_pool.ts --module=PATH");
  Deno.exit(2);
}
const rounds = Number(args.rounds);
const TASKS = import.meta.resolve("./fixtures/executors_tasks.ts");
const other: Lib = await import(toFileUrl(resolve(module)).href);

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
  return { pool, inc: t.inc, fib: t.fib } as unknown as Subject;
}

const subjects: [string, Subject][] = [
  ["other", await subject(other)],
  ["this", await subject(Ours)],
];
const cases: Record<string, (s: Subject) => Promise<void>> = {
  "submit 20k trivial": async ({ pool, inc }) => {
    const futures = new Array(20_000);
    for (let i = 0; i < 20_000; i++) futures[i] = pool.submit(inc, i);
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
const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1];
console.log(`${rounds} rounds; other: ${module}`);
for (const name in cases) {
  const a = median(times[`${name}|other`]);
  const b = median(times[`${name}|this`]);
  console.log(
    `${name.padEnd(24)} other ${a.toFixed(1)} ms  this ${b.toFixed(1)} ms  ` +
      `this/other ${(b / a).toFixed(3)}`,
  );
}
for (const [, s] of subjects) await s.pool.shutdown();

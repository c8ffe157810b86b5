// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * AsyncExecutor draining a backlog of tiny tasks (sync `n => n + 1` and async
 * `n => Promise.resolve(n + 1)`): time per batch, and how often a 1 ms
 * `setInterval` ticked meanwhile (0 means the event loop starved).
 *
 * `deno run -A bench/async_fairness_bench.ts [--tasks=500000] [--rounds=5]`:
 * this checkout, in this process.
 *
 * `deno run -A bench/async_fairness_bench.ts --module=/path/to/other/mod.ts
 * [--processes=15]`: this checkout against that copy (e.g. an older
 * checkout), each measured in fresh processes, taking turns: every process
 * warms up, then drains `--rounds` batches back to back (so the garbage one
 * batch leaves is collected within the measurement, not after it), and
 * reports the mean. Printed: the median over the processes per copy, and the
 * ratio. Two copies in one process would share one heap: each would pay for
 * the other's garbage.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { resolve, toFileUrl } from "@std/path";
import * as Ours from "../mod.ts";
import { median } from "./_median.ts";
import { runSelf } from "./_run_self.ts";

type Lib = Pick<typeof Ours, "AsyncExecutor">;
type Kind = "sync" | "async";
const KINDS: Kind[] = ["sync", "async"];

async function once(lib: Lib, kind: Kind, count: number) {
  const executor = new lib.AsyncExecutor();
  let ticks = 0;
  const interval = setInterval(() => ticks++, 1);
  const start = performance.now();
  const futures = new Array(count);
  for (let i = 0; i < count; i++) {
    futures[i] = kind === "sync"
      ? executor.submit((n: number) => n + 1, i)
      : executor.submit((n: number) => Promise.resolve(n + 1), i);
  }
  await futures[count - 1];
  const ms = performance.now() - start;
  clearInterval(interval);
  await executor.shutdown();
  return { ms, ticks };
}

/** One fresh process: warm-up, then `rounds` batches; prints the mean ms. */
async function child(module: string, kind: Kind, count: number, rounds = 5) {
  const lib: Lib = await import(module);
  await once(lib, kind, Math.min(count, 50_000));
  let total = 0;
  for (let r = 0; r < rounds; r++) total += (await once(lib, kind, count)).ms;
  console.log(JSON.stringify({ ms: total / rounds }));
}

async function spawn(module: string, kind: Kind, count: number, rounds = 5) {
  const result = await runSelf(import.meta.filename!, [
    `--child=${module}`,
    `--kind=${kind}`,
    `--tasks=${count}`,
    `--rounds=${rounds}`,
  ]);
  return (result as { ms: number }).ms;
}

async function compare(other: string, count: number, processes: number) {
  const copies = [other, import.meta.resolve("../mod.ts")];
  for (const kind of KINDS) {
    const times: number[][] = [[], []];
    for (let p = 0; p < processes; p++) {
      // Alternate which copy goes first.
      for (const i of p % 2 === 0 ? [0, 1] : [1, 0]) {
        times[i].push(await spawn(copies[i], kind, count));
      }
    }
    const [a, b] = times.map(median);
    console.log(
      `${kind}: ${other} ${a.toFixed(1)} ms, this checkout ${
        b.toFixed(1)
      } ms per ${count} tasks (median of ${processes} processes); ` +
        `this/other ${(b / a).toFixed(3)}`,
    );
  }
}

async function main(): Promise<void> {
  const args = parseArgs(Deno.args, {
    string: ["tasks", "rounds", "module", "processes", "child", "kind"],
    default: { tasks: "500000", rounds: "5", processes: "15" },
  });
  const count = Number(args.tasks);
  const rounds = Number(args.rounds);
  if (args.child !== undefined) {
    return await child(args.child, args.kind as Kind, count, rounds);
  }
  if (args.module !== undefined) {
    const other = toFileUrl(resolve(args.module)).href;
    return await compare(other, count, Number(args.processes));
  }
  const times: Record<string, number[]> = {};
  const ticks: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const kind of KINDS) {
      const result = await once(Ours, kind, count);
      (times[kind] ??= []).push(result.ms);
      (ticks[kind] ??= []).push(result.ticks);
    }
  }
  for (const kind of KINDS) {
    console.log(
      `${kind}: median ${median(times[kind]).toFixed(0)} ms for ${count} ` +
        `tasks; 1 ms interval ticks ${ticks[kind].join(",")}`,
    );
  }
}

if (import.meta.main) {
  await main();
} else {
  for (const kind of KINDS) {
    Deno.bench({
      name: `AsyncExecutor: 100 000 tiny ${kind} tasks`,
      group: "async-drain",
      baseline: kind === "sync",
      async fn() {
        await once(Ours, kind, 100_000);
      },
    });
  }
}

// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * AsyncExecutor draining a backlog of tiny tasks (sync `n => n + 1` and async
 * `async n => n + 1`): time per batch, and how often a 1 ms `setInterval`
 * ticked meanwhile (0 means the event loop starved).
 *
 * `deno run -A bench/async_fairness_bench.ts [--tasks=500000] [--rounds=5]
 * [--module=/path/to/other/mod.ts]`: with `--module`, that copy (e.g. an older
 * checkout) runs interleaved with this one, and the ratio is printed.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { resolve, toFileUrl } from "@std/path";
import * as Ours from "../mod.ts";

type Lib = Pick<typeof Ours, "AsyncExecutor">;

async function once(lib: Lib, kind: string, count: number) {
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

async function main(): Promise<void> {
  const args = parseArgs(Deno.args, {
    string: ["tasks", "rounds", "module"],
    default: { tasks: "500000", rounds: "5" },
  });
  const count = Number(args.tasks);
  const rounds = Number(args.rounds);
  const module = args.module;
  const libs: [string, Lib][] = [["this checkout", Ours]];
  if (module !== undefined) {
    libs.unshift([
      module,
      await import(toFileUrl(resolve(module)).href),
    ]);
  }
  const times: Record<string, number[]> = {};
  const ticks: Record<string, number[]> = {};
  for (let r = 0; r < rounds; r++) {
    for (const kind of ["sync", "async"]) {
      // Alternate the order: each run pays for the garbage the one before
      // it left.
      for (const [name, lib] of r % 2 === 0 ? libs : libs.toReversed()) {
        const result = await once(lib, kind, count);
        (times[`${kind} ${name}`] ??= []).push(result.ms);
        (ticks[`${kind} ${name}`] ??= []).push(result.ticks);
      }
    }
  }
  const median = (a: number[]) =>
    a.slice().sort((x, y) => x - y)[a.length >> 1];
  for (const key in times) {
    console.log(
      `${key}: median ${
        median(times[key]).toFixed(0)
      } ms for ${count} tasks; ` +
        `1 ms interval ticks ${ticks[key].join(",")}`,
    );
  }
  if (module !== undefined) {
    for (const kind of ["sync", "async"]) {
      const ratio = median(times[`${kind} this checkout`]) /
        median(times[`${kind} ${module}`]);
      console.log(
        `${kind}: this checkout / ${module} time ${ratio.toFixed(3)}`,
      );
    }
  }
}

if (import.meta.main) {
  await main();
} else {
  for (const kind of ["sync", "async"]) {
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

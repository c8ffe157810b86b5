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

import * as Ours from "../mod.ts";

type Lib = Pick<typeof Ours, "AsyncExecutor">;

function arg(name: string): string | undefined {
  const prefix = `--${name}=`;
  return Deno.args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

async function once(lib: Lib, kind: string, count: number) {
  const executor = new lib.AsyncExecutor();
  let ticks = 0;
  const interval = setInterval(() => ticks++, 1);
  const start = performance.now();
  const futures = new Array(count);
  for (let i = 0; i < count; i++) {
    futures[i] = kind === "sync"
      ? executor.submit((n: number) => n + 1, i)
      : executor.submit(async (n: number) => n + 1, i);
  }
  await futures[count - 1];
  const ms = performance.now() - start;
  clearInterval(interval);
  await executor.shutdown();
  return { ms, ticks };
}

const count = Number(arg("tasks") ?? 500_000);
const rounds = Number(arg("rounds") ?? 5);
const module = arg("module");
const libs: [string, Lib][] = [["this checkout", Ours]];
if (module !== undefined) {
  libs.unshift([
    module,
    await import(new URL(module, `file://${Deno.cwd()}/`).href),
  ]);
}
const times: Record<string, number[]> = {};
const ticks: Record<string, number[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const kind of ["sync", "async"]) {
    for (const [name, lib] of libs) {
      const result = await once(lib, kind, count);
      (times[`${kind} ${name}`] ??= []).push(result.ms);
      (ticks[`${kind} ${name}`] ??= []).push(result.ticks);
    }
  }
}
const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1];
for (const key in times) {
  console.log(
    `${key}: median ${median(times[key]).toFixed(0)} ms for ${count} tasks; ` +
      `1 ms interval ticks ${ticks[key].join(",")}`,
  );
}
if (module !== undefined) {
  for (const kind of ["sync", "async"]) {
    const ratio = median(times[`${kind} this checkout`]) /
      median(times[`${kind} ${module}`]);
    console.log(`${kind}: this checkout / ${module} time ${ratio.toFixed(3)}`);
  }
}

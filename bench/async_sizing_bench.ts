// Copyright 2026 the @concurrent/futures authors. MIT license.

// AsyncExecutor maxConcurrency sweep on I/O-bound work: how many calls in
// flight pay off on this machine. Fixed work per iteration at every size.
//
//   deno bench -A bench/async_sizing_bench.ts     (SIZING_QUICK=1 for a first look)
//   deno task sizing                               (all suites, charts, advice)

import { delay } from "@std/async";
import { AsyncExecutor } from "@concurrent/futures";
import { QUICK, sweep } from "./_sizing_common.ts";

const LEVELS = QUICK ? [1, 8, 64, 256] : [1, 2, 4, 8, 16, 32, 64, 128, 256];

async function run(
  b: Deno.BenchContext,
  maxConcurrency: number,
  work: (executor: AsyncExecutor) => PromiseLike<unknown>[],
): Promise<void> {
  const executor = new AsyncExecutor({ maxConcurrency });
  try {
    b.start();
    await Promise.all(work(executor));
    b.end();
  } finally {
    await executor.shutdown();
  }
}

// A request that waits (a network round trip) then parses a small response.
const REQUESTS = QUICK ? 64 : 256;
const WAIT_MS = 1;
const doc = JSON.stringify(
  Array.from(
    { length: 100 },
    (_, i) => ({ id: i, name: `item ${i}`, tags: ["a", "b"] }),
  ),
);
async function request(): Promise<number> {
  await delay(WAIT_MS);
  return JSON.parse(doc).length;
}

sweep({
  group: "async/latency",
  param: "maxConcurrency",
  values: LEVELS,
  units: REQUESTS,
  unit: "requests",
  description:
    `${REQUESTS} requests per iteration, each a ${WAIT_MS} ms timer then JSON.parse of ${
      (doc.length / 1024).toFixed(0)
    } KiB`,
  fn: (c, b) =>
    run(
      b,
      c,
      (executor) =>
        Array.from({ length: REQUESTS }, () => executor.submit(request)),
    ),
});

// Many small files read whole, as a crawler or a static server would.
const FILES = QUICK ? 128 : 256;
const FILE_SIZE = 16 * 1024;
const dir = Deno.makeTempDirSync({ prefix: "sizing_async_" });
addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const paths = Array.from({ length: FILES }, (_, i) => `${dir}/f${i}.bin`);
const content = new Uint8Array(FILE_SIZE).map((_, i) => i * 7);
for (const path of paths) Deno.writeFileSync(path, content);

sweep({
  group: "async/file",
  param: "maxConcurrency",
  values: LEVELS,
  units: FILES,
  unit: "files",
  description: `${FILES} files of ${
    FILE_SIZE / 1024
  } KiB read whole (Deno.readFile) per iteration, page cache warm`,
  fn: (c, b) =>
    run(
      b,
      c,
      (executor) =>
        paths.map((path) =>
          executor.submit((p: string) => Deno.readFile(p), path)
        ),
    ),
});

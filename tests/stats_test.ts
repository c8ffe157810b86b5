// Copyright 2026 the @concurrent/futures authors. MIT license.

import { delay } from "@std/async/delay";
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { AsyncExecutor, WorkerPoolExecutor } from "../mod.ts";
import { TimeHistogram } from "../executors/_stats.ts";
import { T } from "./fixtures/pool_helpers.ts";

Deno.test("TimeHistogram: exact count/mean/max, percentiles within 5%", () => {
  const histogram = new TimeHistogram();
  assertEquals(histogram.snapshot(), {
    count: 0,
    mean: 0,
    p50: 0,
    p90: 0,
    p99: 0,
    max: 0,
  });
  const values: number[] = [];
  let seed = 1;
  for (let i = 0; i < 50_000; i++) {
    seed = (seed * 48271) % 0x7fffffff;
    const value = Math.exp((seed / 0x7fffffff) * 14 - 7); // ~1 µs .. 1 s
    values.push(value);
    histogram.record(value);
  }
  values.sort((a, b) => a - b);
  const stats = histogram.snapshot();
  assertEquals(stats.count, values.length);
  assertEquals(stats.max, values.at(-1));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  assertAlmostEquals(stats.mean, mean, mean * 1e-9);
  for (const [q, key] of [[0.5, "p50"], [0.9, "p90"], [0.99, "p99"]] as const) {
    const exact = values[Math.ceil(q * values.length) - 1];
    assertAlmostEquals(stats[key], exact, exact * 0.05, key);
  }
});

Deno.test("TimeHistogram.recordEach: every stride-th value from start, NaN skipped", () => {
  const each = new TimeHistogram();
  const one = new TimeHistogram();
  // Pairs of (run, wait) as the pool receives them; a NaN pair was revoked.
  const times = new Float64Array([3, 0.5, NaN, NaN, 7, -1, 1.25, 2]);
  each.recordEach(times, 0, 2);
  for (const value of [3, 7, 1.25]) one.record(value);
  assertEquals(each.snapshot(), one.snapshot());
  const waits = new TimeHistogram();
  waits.recordEach(times, 1, 2);
  const stats = waits.snapshot();
  assertEquals([stats.count, stats.max], [3, 2]);
  assertAlmostEquals(stats.mean, (0.5 + 0 + 2) / 3, 1e-12); // -1 counts as 0
});

Deno.test("AsyncExecutor.stats(): counts, wait and run times, utilization", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const sleep = delay;
  const a = executor.submit(() => sleep(40));
  const b = executor.submit(() => 2);
  const c = executor.submit(() => {
    throw new Error("x");
  });
  const d = executor.submit(() => 4);
  d.cancel();
  await Promise.allSettled([a, b, c]);
  const stats = executor.stats();
  assertEquals(
    [
      stats.queued,
      stats.running,
      stats.completed,
      stats.failed,
      stats.cancelled,
    ],
    [0, 0, 2, 1, 1],
  );
  assertEquals(stats.runTime.count, 3);
  assertEquals(stats.waitTime.count, 3);
  assert(stats.runTime.max >= 35, `runTime.max ${stats.runTime.max}`);
  // b waited for a: its wait is about a's run time.
  assert(stats.waitTime.max >= 35, `waitTime.max ${stats.waitTime.max}`);
  assert(stats.utilization > 0 && stats.utilization <= 1);
});

Deno.test("WorkerPoolExecutor.stats(): wait and run times, utilization", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const empty = pool.stats();
  assertEquals(empty.runTime.count, 0);
  assertEquals(empty.utilization, 0);
  const futures = [pool.submit(T.sleep, 50), pool.submit(T.sleep, 1)];
  await Promise.all(futures);
  const stats = pool.stats();
  assertEquals(stats.runTime.count, 2);
  assertEquals(stats.waitTime.count, 2);
  assert(stats.runTime.max >= 45, `runTime.max ${stats.runTime.max}`);
  // The second task waited for the first one.
  assert(stats.waitTime.max >= 45, `waitTime.max ${stats.waitTime.max}`);
  assert(stats.waitTime.p50 >= 0);
  assert(stats.utilization > 0 && stats.utilization <= 1);
});

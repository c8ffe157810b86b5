// Copyright 2026 the @concurrent/futures authors. MIT license.
// AsyncExecutor's `rateLimit`: a sliding window, waiting tasks woken by a
// timer in priority order, and the window's own arithmetic.

import {
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import { AsyncExecutor, type AsyncExecutorOptions } from "../mod.ts";
import { parseRateLimit, SlidingWindow } from "../executors/_rate_limit.ts";

Deno.test("SlidingWindow: at most max starts in any duration", () => {
  const window = new SlidingWindow(2, 100);
  assertEquals(window.wait(0), 0);
  window.record(0);
  assertEquals(window.wait(10), 0);
  window.record(10);
  assertEquals(window.wait(10), 90, "the oldest start leaves at 100");
  assertEquals(window.wait(99), 1);
  assertEquals(window.wait(100), 0);
  window.record(100);
  assertEquals(window.wait(100), 10, "now the start at 10 is the oldest");
  assertEquals(window.wait(110), 0);
  window.record(150);
  assertEquals(window.wait(150), 50);
});

Deno.test("rateLimit: invalid options throw TypeError or RangeError", () => {
  const make = (rateLimit: unknown) => () =>
    new AsyncExecutor({
      rateLimit: rateLimit as AsyncExecutorOptions["rateLimit"],
    });
  assertThrows(make(5), TypeError, "'rateLimit' must be an object");
  assertThrows(make(null), TypeError, "'rateLimit' must be an object");
  assertThrows(make({ max: 1 }), TypeError, "needs both");
  assertThrows(make({ duration: 1 }), TypeError, "needs both");
  assertThrows(make({ max: "1", duration: 1 }), TypeError, "'rateLimit.max'");
  assertThrows(make({ max: 0, duration: 1 }), RangeError, "'rateLimit.max'");
  assertThrows(make({ max: 1.5, duration: 1 }), RangeError, "'rateLimit.max'");
  assertThrows(
    make({ max: 1, duration: "1" }),
    TypeError,
    "'rateLimit.duration'",
  );
  for (const duration of [0, -1, NaN, Infinity]) {
    assertThrows(
      make({ max: 1, duration }),
      RangeError,
      "'rateLimit.duration' must be a finite number > 0",
    );
  }
  assertEquals(parseRateLimit(undefined), undefined);
});

Deno.test("rateLimit: no more than max starts in any window", async () => {
  await using executor = new AsyncExecutor({
    rateLimit: { max: 3, duration: 40 },
  });
  const starts: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 8 }, () =>
      executor.submit(() => {
        starts.push(performance.now());
      })),
  );
  assertEquals(starts.length, 8);
  // Any four consecutive starts span at least one window (less 2 ms: the
  // task reads the clock a little after the executor did).
  for (let i = 0; i + 3 < starts.length; i++) {
    assertGreaterOrEqual(starts[i + 3] - starts[i], 40 - 2);
  }
  // 8 starts need three windows: the last one 80 ms after the first.
  assertGreaterOrEqual(starts[7] - t0, 80 - 2);
});

Deno.test("rateLimit: the first max start at once, in one turn", async () => {
  await using executor = new AsyncExecutor({
    rateLimit: { max: 4, duration: 10_000 },
  });
  const started: number[] = [];
  for (let i = 0; i < 6; i++) executor.submit(() => started.push(i));
  await delay(0);
  assertEquals(started, [0, 1, 2, 3]);
  assertEquals(executor.stats().queued, 2);
  // The two left wait for a 10 s window: cancel them, nothing leaks.
  await executor.shutdown({ cancelFutures: true });
  assertEquals(executor.stats().cancelled, 2);
});

Deno.test("rateLimit: waiting tasks start in priority order", async () => {
  await using executor = new AsyncExecutor({
    rateLimit: { max: 1, duration: 15 },
  });
  const order: string[] = [];
  const run = (name: string, priority: number) =>
    executor.run(() => order.push(name), [], { priority });
  const first = run("first", 0);
  await delay(0); // it started: the window is full for 15 ms
  await Promise.all([
    first,
    run("low", 5),
    run("normal", 0),
    run("urgent", -1),
    run("normal2", 0),
  ]);
  assertEquals(order, ["first", "urgent", "normal", "normal2", "low"]);
});

Deno.test("rateLimit: waiting tasks wake by one timer, never by polling", async () => {
  const original = globalThis.setTimeout;
  let timers = 0;
  // deno-lint-ignore no-explicit-any
  (globalThis as any).setTimeout = (...args: Parameters<typeof setTimeout>) => {
    timers++;
    return original(...args);
  };
  let ticks = 0;
  let interval: ReturnType<typeof setInterval> | undefined;
  try {
    await using executor = new AsyncExecutor({
      rateLimit: { max: 2, duration: 50 },
    });
    interval = setInterval(() => ticks++, 5);
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => executor.submit(() => i)),
    );
  } finally {
    globalThis.setTimeout = original;
    clearInterval(interval);
  }
  // Two waits (for starts 3-4 and 5-6): one timer each, maybe one more if a
  // timer fired a fraction of a millisecond before the window opened.
  assertGreaterOrEqual(timers, 2);
  assertLessOrEqual(timers, 4);
  // The event loop stayed free meanwhile.
  assertGreaterOrEqual(ticks, 1);
});

Deno.test("rateLimit: maxConcurrency still holds", async () => {
  await using executor = new AsyncExecutor({
    maxConcurrency: 1,
    rateLimit: { max: 100, duration: 1_000 },
  });
  let inFlight = 0;
  let peak = 0;
  await Promise.all(
    Array.from({ length: 5 }, () =>
      executor.submit(async () => {
        peak = Math.max(peak, ++inFlight);
        await delay(1);
        inFlight--;
      })),
  );
  assertEquals(peak, 1);
});

Deno.test("rateLimit: a retry counts as a start", async () => {
  await using executor = new AsyncExecutor({
    rateLimit: { max: 1, duration: 30 },
  });
  const starts: number[] = [];
  await executor.run(
    () => {
      starts.push(performance.now());
      if (starts.length === 1) throw new Error("again");
    },
    [],
    { retry: { attempts: 2, delay: 1, jitter: false } },
  );
  assertGreaterOrEqual(starts[1] - starts[0], 30 - 2);
});

Deno.test("rateLimit: with maxQueue, tasks held by the window count as waiting", async () => {
  await using executor = new AsyncExecutor({
    maxQueue: 1,
    rateLimit: { max: 1, duration: 10_000 },
  });
  executor.submit(() => 1);
  await delay(0); // it started; the window is now full
  executor.submit(() => 2); // waits for the window
  await delay(0);
  assertThrows(() => executor.submit(() => 3), Error, "maxQueue: 1");
  await executor.shutdown({ cancelFutures: true });
});

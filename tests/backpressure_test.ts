// Copyright 2026 the @concurrent/futures authors. MIT license.

import { delay } from "@std/async/delay";
import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import {
  AsyncExecutor,
  ExecutorShutdownError,
  QueueFullError,
  WorkerPoolExecutor,
} from "../mod.ts";
import {
  gateFlags,
  hasStarted,
  openGate,
  T,
  waitFor,
} from "./fixtures/pool_helpers.ts";

Deno.test("AsyncExecutor: submit beyond maxQueue throws QueueFullError, queues nothing", async () => {
  const executor = new AsyncExecutor({ maxConcurrency: 1, maxQueue: 2 });
  const gate = Promise.withResolvers<void>();
  const running = executor.submit(() => gate.promise);
  const a = executor.submit(() => "a");
  const b = executor.submit(() => "b");
  const error = assertThrows(() => executor.submit(() => "c"), QueueFullError);
  assertEquals(error.name, "QueueFullError");
  await Promise.resolve(); // the first task starts
  assertEquals(executor.stats().queued, 2);
  gate.resolve();
  assertEquals(await Promise.all([running, a, b]), [undefined, "a", "b"]);
  assertEquals(executor.stats().completed, 3);
  await executor.shutdown();
});

Deno.test("maxQueue: 0 means start at once or refuse", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 2, maxQueue: 0 });
  const gate = Promise.withResolvers<void>();
  const a = executor.submit(() => gate.promise);
  const b = executor.submit(() => gate.promise);
  assertThrows(() => executor.submit(() => 3), QueueFullError);
  gate.resolve();
  await Promise.all([a, b]);
  assertEquals(await executor.submit(() => 4), 4);
});

Deno.test("maxQueue is validated", () => {
  assertThrows(() => new AsyncExecutor({ maxQueue: -1 }), RangeError);
  assertThrows(() => new AsyncExecutor({ maxQueue: 1.5 }), RangeError);
  assertThrows(() => new WorkerPoolExecutor({ maxQueue: NaN }), RangeError);
  // @ts-expect-error: wrong type
  assertThrows(() => new WorkerPoolExecutor({ maxQueue: "1" }), TypeError);
  new AsyncExecutor({ maxQueue: Infinity });
});

Deno.test("ready() resolves once there is room, and drain fires", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1, maxQueue: 1 });
  await executor.ready(); // room already
  let drains = 0;
  executor.addEventListener("drain", () => drains++);
  const gate = Promise.withResolvers<void>();
  executor.submit(() => gate.promise);
  executor.submit(() => 2);
  assertThrows(() => executor.submit(() => 3), QueueFullError);
  let ready = false;
  const waiting = executor.ready().then(() => ready = true);
  await delay(5);
  assertEquals(ready, false);
  gate.resolve();
  await waiting;
  assertEquals(drains, 1);
  assertEquals(await executor.submit(() => 4), 4);
});

Deno.test("ready() rejects on shutdown and with the signal's reason", async () => {
  const executor = new AsyncExecutor({ maxConcurrency: 1, maxQueue: 0 });
  const gate = Promise.withResolvers<void>();
  const running = executor.submit(() => gate.promise);
  const controller = new AbortController();
  const aborted = executor.ready({ signal: controller.signal });
  controller.abort(new Error("stop waiting"));
  await assertRejects(() => aborted, Error, "stop waiting");
  const waiting = executor.ready();
  const done = executor.shutdown();
  await assertRejects(() => waiting, ExecutorShutdownError);
  await assertRejects(() => executor.ready(), ExecutorShutdownError);
  gate.resolve();
  await running;
  await done;
});

Deno.test("map waits for room instead of throwing QueueFullError", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 2, maxQueue: 1 });
  let peak = 0;
  const results = await Array.fromAsync(
    executor.map(async (n: number) => {
      peak = Math.max(peak, executor.stats().queued);
      await delay(1);
      return n * 2;
    }, Array.from({ length: 20 }, (_, i) => i)),
  );
  assertEquals(results, Array.from({ length: 20 }, (_, i) => i * 2));
  // Without waiting for room, map would hold its whole buffer (128) queued;
  // queued counts the one about to take a free slot too.
  assertEquals(peak <= 2, true, `peak ${peak}`);
});

Deno.test("WorkerPoolExecutor: maxQueue, QueueFullError, ready() and map", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, maxQueue: 2 });
  const flags = gateFlags(1);
  const blocker = pool.submit(T.gated, flags, 0);
  await waitFor(() => hasStarted(flags, 0), "the blocking task");
  const waiting = [pool.submit(T.add, 1, 1), pool.submit(T.add, 2, 2)];
  assertThrows(() => pool.submit(T.add, 3, 3), QueueFullError);
  assertThrows(() => pool.run(T.add, [3, 3]), QueueFullError);
  let drained = false;
  pool.addEventListener("drain", () => drained = true);
  const ready = pool.ready();
  openGate(flags);
  await ready;
  assertEquals(await blocker, 0);
  assertEquals(await Promise.all(waiting), [2, 4]);
  assertEquals(drained, true);
  const doubled = await Array.fromAsync(
    pool.map((n: number) => n * 2, Array.from({ length: 50 }, (_, i) => i)),
  );
  assertEquals(doubled.length, 50);
  assertEquals(doubled[49], 98);
});

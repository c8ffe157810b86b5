// Copyright 2026 the @concurrent/futures authors. MIT license.

import { delay } from "@std/async/delay";
import { assertEquals, assertThrows } from "@std/assert";
import { AsyncExecutor, WorkerPoolExecutor } from "../mod.ts";
import { PoolQueue } from "../executors/_pool_queue.ts";
import {
  gateFlags,
  hasStarted,
  openGate,
  T,
  waitFor,
} from "./fixtures/pool_helpers.ts";

const PRIORITIES = [5, 0, -1, 5, 0, 2.5, -1, 0];
/** Submission indexes sorted by priority, stable. */
const EXPECTED = PRIORITIES.map((p, i) => [p, i])
  .sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);

Deno.test("AsyncExecutor starts waiting tasks by priority, stable among equals", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const gate = Promise.withResolvers<void>();
  const order: number[] = [];
  const first = executor.submit(() => gate.promise);
  const futures = PRIORITIES.map((priority, i) =>
    executor.run(() => order.push(i), [], { priority })
  );
  gate.resolve();
  await first;
  await Promise.all(futures);
  assertEquals(order, EXPECTED);
});

Deno.test("WorkerPoolExecutor starts waiting tasks by priority, stable among equals", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const flags = gateFlags(1);
  const blocker = pool.submit(T.gated, flags, 0);
  await waitFor(() => hasStarted(flags, 0), "the blocking task");
  // The pool sends one task ahead of the running one; it is not reordered.
  const ahead = pool.run(T.add, [100, 0], { priority: 100 });
  await delay(20);
  const order: number[] = [];
  const futures = PRIORITIES.map((priority, i) =>
    pool.run(T.add, [i, 0], { priority }).then((n) => {
      order.push(n);
    })
  );
  openGate(flags);
  await blocker;
  assertEquals(await ahead, 100);
  await Promise.all(futures);
  assertEquals(order, EXPECTED);
});

Deno.test("priority must be a finite number", async () => {
  await using executor = new AsyncExecutor();
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  for (const bad of [NaN, Infinity, -Infinity]) {
    assertThrows(
      () => executor.run(() => 1, [], { priority: bad }),
      RangeError,
    );
    assertThrows(() => pool.run(() => 1, [], { priority: bad }), RangeError);
  }
  assertThrows(
    // @ts-expect-error: a string is refused
    () => executor.run(() => 1, [], { priority: "1" }),
    TypeError,
  );
  assertEquals(await executor.run(() => 1, [], { priority: -1e9 }), 1);
  assertEquals(await pool.run(() => 2, [], { priority: 0.5 }), 2);
});

Deno.test("PoolQueue: order by priority then seq; unshift puts back in front", () => {
  const queue = new PoolQueue<{ priority: number; seq: number }>();
  const items = [3, 1, 3, 2, 1].map((priority, seq) => ({ priority, seq }));
  for (const item of items) queue.push(item);
  assertEquals(queue.length, 5);
  const a = queue.shift()!;
  const b = queue.shift()!;
  assertEquals([a.seq, b.seq], [1, 4]);
  queue.unshift([b, a]);
  assertEquals([...queue].map((i) => i.seq), [1, 4, 3, 0, 2]);
  assertEquals(queue.peek()!.seq, 1);
  queue.clear();
  assertEquals(queue.shift(), undefined);
});

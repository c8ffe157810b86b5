// Copyright 2026 the @concurrent/futures authors. MIT license.
// Workers on demand, idle retirement, recycling, concurrency per worker,
// initializers, shutdown, and sending tasks ahead.

import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  BrokenExecutorError,
  CancelledError,
  type Future,
  WorkerPoolExecutor,
} from "../mod.ts";
import {
  gateFlags,
  hasStarted,
  openGate,
  POOLS,
  T,
  waitFor,
} from "./fixtures/pool_helpers.ts";

Deno.test("WorkerPoolExecutor starts workers on demand, up to maxWorkers", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
  assertEquals(pool.stats().workers, 0);
  // Sequential work needs one worker: an idle one is reused.
  for (let i = 0; i < 5; i++) await pool.submit(T.add, i, i);
  assertEquals(pool.stats().workers, 1);
  const flags = gateFlags(4);
  const futures = [0, 1, 2, 3].map((i) => pool.submit(T.gated, flags, i));
  await waitFor(() => hasStarted(flags, 0) && hasStarted(flags, 1), "starts");
  assertEquals(pool.stats().workers, 2);
  assertEquals(pool.stats().busy, 2);
  openGate(flags);
  assertEquals(await Promise.all(futures), [0, 1, 2, 3]);
  assertEquals(pool.stats().workers, 2);
});

Deno.test("WorkerPoolExecutor retires idle workers after idleTimeout, down to minWorkers", async () => {
  await using pool = new WorkerPoolExecutor({
    maxWorkers: 3,
    minWorkers: 1,
    idleTimeout: 10,
  });
  const flags = gateFlags(3);
  const futures = [0, 1, 2].map((i) => pool.submit(T.gated, flags, i));
  await waitFor(() => pool.stats().workers === 3, "three workers");
  openGate(flags);
  await Promise.all(futures);
  await waitFor(() => pool.stats().workers === 1, "retirement to minWorkers");
  // The one kept still works.
  assertEquals(await pool.submit(T.add, 1, 2), 3);
});

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: with minWorkers 0 every idle worker retires`, async () => {
    await using pool = new Pool({ maxWorkers: 2, idleTimeout: 0 });
    await Promise.all([pool.submit(T.sleep, 5), pool.submit(T.sleep, 5)]);
    await waitFor(() => pool.stats().workers === 0, "idle retirement");
    assertEquals(await pool.submit(T.add, 2, 2), 4);
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name} recycles a worker after maxTasksPerWorker tasks`, async () => {
    await using pool = new Pool({
      maxWorkers: 1,
      maxTasksPerWorker: 2,
      name: "r",
    });
    const seen: [string, number][] = [];
    for (let i = 0; i < 6; i++) seen.push(await pool.submit(T.count));
    assertEquals(seen, [
      ["r-1", 1],
      ["r-1", 2],
      ["r-2", 1],
      ["r-2", 2],
      ["r-3", 1],
      ["r-3", 2],
    ]);
    // Submitted at once: still at most 2 per worker.
    const burst = await Promise.all(
      Array.from({ length: 6 }, () => pool.submit(T.count)),
    );
    const perWorker = new Map<string, number>();
    for (const [name] of burst) {
      perWorker.set(name, (perWorker.get(name) ?? 0) + 1);
    }
    for (const count of perWorker.values()) assert(count <= 2);
    assertEquals(burst.length, 6);
  });
}

Deno.test("WorkerPoolExecutor runs concurrentTasksPerWorker async tasks at once on one worker", async () => {
  await using pool = new WorkerPoolExecutor({
    maxWorkers: 1,
    concurrentTasksPerWorker: 3,
  });
  const flags = gateFlags(4);
  const futures = [0, 1, 2, 3].map((i) => pool.submit(T.gatedAsync, flags, i));
  await waitFor(
    () => hasStarted(flags, 0) && hasStarted(flags, 1) && hasStarted(flags, 2),
    "three tasks running at once",
  );
  // The fourth waits for a free place on the only worker.
  assertFalse(hasStarted(flags, 3));
  assertEquals(pool.stats().workers, 1);
  openGate(flags);
  assertEquals(await Promise.all(futures), [0, 1, 2, 3]);
});

Deno.test("WorkerPoolExecutor runs the initializer with initargs in each worker", async () => {
  await using pool = new WorkerPoolExecutor({
    maxWorkers: 2,
    initializer: T.init,
    initargs: [{ ready: true }],
  });
  const flags = gateFlags(2);
  const held = [0, 1].map((i) => pool.submit(T.gated, flags, i));
  await waitFor(
    () => hasStarted(flags, 0) && hasStarted(flags, 1),
    "two workers",
  );
  openGate(flags);
  await Promise.all(held);
  const values = await Promise.all(
    Array.from({ length: 4 }, () => pool.submit(T.initValue)),
  );
  assertEquals(values, Array(4).fill({ ready: true }));
  // A self-contained function works as an initializer too.
  await using pool2 = new WorkerPoolExecutor({
    maxWorkers: 1,
    initializer: (n: number) => {
      (globalThis as { initValue?: unknown }).initValue = n * 2;
    },
    initargs: [21],
  });
  assertEquals(await pool2.submit(T.initValue), 42);
});

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: a failing initializer breaks the pool`, async () => {
    const pool = new Pool({
      maxWorkers: 2,
      initializer: T.failInit,
      initargs: ["no database"],
    });
    const futures = Array.from(
      { length: 5 },
      (_, i) => pool.submit(T.add, i, 0),
    );
    for (const future of futures) {
      const error = await future.exception();
      assertInstanceOf(error, BrokenExecutorError);
      assertInstanceOf(error.cause, Error);
      assertEquals((error.cause as Error).message, "no database");
    }
    assertThrows(() => pool.submit(T.add, 1, 1), BrokenExecutorError);
    assertThrows(() => pool.run(T.add, [1, 1]), BrokenExecutorError);
    assertThrows(() => pool.map(T.add as never, [1]), BrokenExecutorError);
    assertEquals(pool.stats().workers, 0);
    assertEquals(pool.stats().failed, 5);
    await pool.shutdown();
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}.shutdown waits for queued and running work, then stops every worker`, async () => {
    const pool = new Pool({ maxWorkers: 2, minWorkers: 2 });
    const futures = Array.from(
      { length: 8 },
      (_, i) => pool.submit(T.sleep, 2, i),
    );
    await pool.shutdown();
    for (const future of futures) assertEquals(future.state, "finished");
    assertEquals(await Promise.all(futures), [0, 1, 2, 3, 4, 5, 6, 7]);
    assertEquals(pool.stats().workers, 0);
  });
}

Deno.test("WorkerPoolExecutor.shutdown({ wait: false }) returns at once; queued work still runs", async () => {
  const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const flags = gateFlags(3);
  const futures = [0, 1, 2].map((i) => pool.submit(T.gated, flags, i));
  await pool.shutdown({ wait: false });
  assertFalse(futures[2].done());
  openGate(flags);
  assertEquals(await Promise.all(futures), [0, 1, 2]);
  await waitFor(() => pool.stats().workers === 0, "workers stopped");
  await pool.shutdown(); // resolves now
});

Deno.test("WorkerPoolExecutor.shutdown({ cancelFutures: true }) cancels what has not started", async () => {
  const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const flags = gateFlags(6);
  const futures = Array.from(
    { length: 6 },
    (_, i) => pool.submit(T.gated, flags, i),
  );
  await waitFor(() => hasStarted(flags, 0), "the first task");
  const stopping = pool.shutdown({ cancelFutures: true });
  openGate(flags);
  await stopping;
  assertEquals(await futures[0], 0);
  // At most one task beyond the running one may have been counted running.
  const cancelled = futures.filter((f) => f.cancelled()).length;
  assert(cancelled >= 4, `cancelled ${cancelled}`);
  for (const future of futures) {
    if (future.cancelled()) {
      await assertRejects(() => future.result(), CancelledError);
    } else {
      await future;
    }
  }
  for (let i = 0; i < 6; i++) {
    assertEquals(hasStarted(flags, i), !futures[i].cancelled());
  }
  assertEquals(pool.stats().workers, 0);
});

Deno.test("WorkerPoolExecutor sends tasks ahead: only one beyond the running ones counts as running, the rest stay pending and cancellable", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const warm = gateFlags(1);
  openGate(warm);
  // Teach the pool that this function is quick, so it sends many ahead.
  for (let i = 0; i < 30; i++) await pool.submit(T.gated, warm, 0);
  const flags = gateFlags(10);
  const futures: Future<number>[] = Array.from(
    { length: 10 },
    (_, i) => pool.submit(T.gated, flags, i),
  );
  await waitFor(() => hasStarted(flags, 0), "the first task");
  await waitFor(() => futures[1].running(), "the task sent ahead");
  assert(futures[0].running());
  for (let i = 2; i < 10; i++) assertEquals(futures[i].state, "pending");
  const stats = pool.stats();
  assertEquals(stats.running, 2);
  assertEquals(stats.queued, 8);
  assertEquals(stats.busy, 1);
  // Pending tasks, sent ahead or not, are cancelled and never run.
  assert(futures[5].cancel());
  assert(futures[9].cancel());
  assertFalse(futures[1].cancel()); // counted as running
  assertEquals(pool.stats().cancelled, 2);
  openGate(flags);
  const outcomes = await Promise.allSettled(futures);
  for (let i = 0; i < 10; i++) {
    const cancelled = i === 5 || i === 9;
    assertEquals(outcomes[i].status, cancelled ? "rejected" : "fulfilled");
    assertEquals(hasStarted(flags, i), !cancelled);
  }
  const end = pool.stats();
  assertEquals(end.completed, 30 + 8);
  assertEquals(end.cancelled, 2);
  assertEquals(end.queued + end.running, 0);
});

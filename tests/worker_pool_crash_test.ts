// Copyright 2026 the @concurrent/futures authors. MIT license.
// Workers that die or are stopped: only their own futures fail, the pool
// replaces them, and the host process stays up.

import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertNotEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  BrokenExecutorError,
  CancelledError,
  task,
  TimeoutError,
  WorkerCrashedError,
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

/** A pool of two workers, one of them held busy by a gated task. */
async function poolWithBystander(name: string) {
  const pool = new WorkerPoolExecutor({ maxWorkers: 2, name });
  const flags = gateFlags(1);
  const bystander = pool.submit(T.gated, flags, 0);
  await waitFor(() => hasStarted(flags, 0), "the bystander");
  return { pool, flags, bystander };
}

for (
  const [what, crash, cause] of [
    ["an error thrown outside any task", T.throwLater, "late failure"],
    ["an unhandled rejection", T.rejectUnhandled, "late failure"],
  ] as const
) {
  Deno.test(`WorkerPoolExecutor: ${what} fails only that worker's tasks with WorkerCrashedError`, async () => {
    const { pool, flags, bystander } = await poolWithBystander("c");
    const victim = pool.submit(crash, "late failure");
    const error = await victim.exception();
    assertInstanceOf(error, WorkerCrashedError);
    assertInstanceOf(error.cause, Error);
    assertEquals((error.cause as Error).message, cause);
    // The other worker's task is untouched; the pool goes on.
    assertFalse(bystander.done());
    openGate(flags);
    assertEquals(await bystander, 0);
    assertEquals(await pool.submit(T.add, 1, 2), 3);
    assertEquals(pool.stats().failed, 1);
    await pool.shutdown();
  });
}

for (
  const [what, fn, how] of [["self.close()", T.closeSelf, "self.close()"], [
    "Deno.exit()",
    T.exitSelf,
    "Deno.exit()",
  ]] as const
) {
  Deno.test(`WorkerPoolExecutor: a task calling ${what} fails with WorkerCrashedError and the worker is replaced`, async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1, name: "x" });
    assertEquals(await pool.submit(T.whoami), "x-1");
    const error = await pool.submit(fn).exception();
    assertInstanceOf(error, WorkerCrashedError);
    assertStringIncludes(error.message, how);
    assertEquals(await pool.submit(T.whoami), "x-2");
    await pool.shutdown();
  });
}

Deno.test("WorkerPoolExecutor: cancel({ force: true }) stops a running task; the worker's other started tasks fail, unstarted ones run elsewhere", async () => {
  await using pool = new WorkerPoolExecutor({
    maxWorkers: 1,
    concurrentTasksPerWorker: 2,
    name: "f",
  });
  const flags = gateFlags(4);
  // Task 0 waits asynchronously, task 1 blocks the thread: both started.
  const other = pool.submit(T.forever, flags, 0);
  await waitFor(() => hasStarted(flags, 0), "task 0");
  const target = pool.submit(T.gated, flags, 1);
  await waitFor(() => hasStarted(flags, 1), "task 1");
  // Task 2 waits behind them (the worker runs 2 at once).
  const waiting = pool.submit(T.add, 2, 2);
  assert(target.running());
  assertFalse(target.cancel()); // without force, a running task stays
  assert(target.cancel({ force: true }));
  assertEquals(target.state, "cancelled");
  await assertRejects(() => target.result(), CancelledError);
  const error = await other.exception();
  assertInstanceOf(error, WorkerCrashedError);
  assertEquals(await waiting, 4);
  assertEquals(await pool.submit(T.whoami), "f-2");
  const stats = pool.stats();
  assertEquals(stats.cancelled, 1);
  assertEquals(stats.failed, 1);
  assertEquals(stats.completed, 2);
});

Deno.test("WorkerPoolExecutor.run: a timeout fails the task with TimeoutError and stops it if it runs", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, name: "t" });
  assertEquals(await pool.submit(T.whoami), "t-1");
  const flags = gateFlags(2);
  const slow = pool.run(T.gated, [flags, 0], { timeout: 50 });
  const queued = pool.run(T.add, [1, 1], { timeout: 60_000 });
  const error = await slow.exception();
  assertInstanceOf(error, TimeoutError);
  assertEquals(await queued, 2);
  // A task that had started was stopped with its worker, which is replaced.
  if (hasStarted(flags, 0)) assertEquals(await pool.submit(T.whoami), "t-2");
  // A timeout that passes while the task still waits in the queue: the
  // task never runs and no worker is stopped.
  const name = await pool.submit(T.whoami);
  const blocker = pool.submit(T.gated, flags, 1);
  await waitFor(() => hasStarted(flags, 1), "the blocker");
  const late = pool.run(T.add, [1, 2], { timeout: 1 });
  assertInstanceOf(await late.exception(), TimeoutError);
  openGate(flags);
  assertEquals(await blocker, 1);
  assertEquals(await pool.submit(T.whoami), name);
  assertEquals(pool.stats().failed, 2);
});

Deno.test("WorkerPoolExecutor.run: aborting the signal cancels a queued task and stops a running one", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, name: "s" });
  const flags = gateFlags(2);
  const controller = new AbortController();
  const running = pool.run(T.gated, [flags, 0], { signal: controller.signal });
  const queued = pool.run(T.gated, [flags, 1], { signal: controller.signal });
  await waitFor(() => hasStarted(flags, 0), "the running task");
  controller.abort();
  assertEquals(running.state, "cancelled");
  assertEquals(queued.state, "cancelled");
  assertFalse(hasStarted(flags, 1));
  assertEquals(await pool.submit(T.whoami), "s-2");
  // Already aborted: cancelled at once, never runs.
  const early = pool.run(T.add, [1, 1], { signal: AbortSignal.abort() });
  assertEquals(early.state, "cancelled");
  assertEquals(pool.stats().cancelled, 3);
});

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: a crash while tasks wait ahead on that worker runs them on its replacement`, async () => {
    await using pool = new Pool({ maxWorkers: 1, name: "q" });
    const crash = pool.submit(T.closeSelf);
    const after = Array.from(
      { length: 5 },
      (_, i) => pool.submit(T.add, i, 10),
    );
    assertInstanceOf(await crash.exception(), WorkerCrashedError);
    const results = await Promise.allSettled(after);
    for (let i = 0; i < 5; i++) {
      const outcome = results[i];
      // Each task either ran (on a worker) or, if the dying worker had
      // started it, failed with WorkerCrashedError; none is lost.
      if (outcome.status === "fulfilled") assertEquals(outcome.value, i + 10);
      else assertInstanceOf(outcome.reason, WorkerCrashedError);
    }
    assertNotEquals(await pool.submit(T.whoami), "q-1");
    const stats = pool.stats();
    assertEquals(stats.completed + stats.failed, 7);
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: workers that keep dying before starting any task break the pool`, async () => {
    // Each worker's initializer leaves a timer that throws once the worker
    // runs; its only task waits for a module that never finishes loading.
    const pool = new Pool({
      maxWorkers: 1,
      initializer: () => {
        setTimeout(() => {
          throw new Error("bad initializer side effect");
        }, 10);
      },
    });
    const stuck = pool.submit(
      task<() => number>(
        new URL("./fixtures/pool_stuck_module.ts", import.meta.url),
        "unreachable",
      ),
    );
    const error = await stuck.exception();
    assertInstanceOf(error, BrokenExecutorError);
    assertStringIncludes(error.message, "died in a row");
    assertEquals((error.cause as Error).message, "bad initializer side effect");
    assertThrows(() => pool.submit(T.add, 1, 1), BrokenExecutorError);
    await pool.shutdown();
    assertEquals(pool.stats().workers, 0);
  });
}

// Copyright 2026 the @concurrent/futures authors. MIT license.

import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import {
  AsyncExecutor,
  type WorkerEventDetail,
  WorkerPoolExecutor,
} from "../mod.ts";
import { gateFlags, hasStarted, T, waitFor } from "./fixtures/pool_helpers.ts";

function record(pool: WorkerPoolExecutor) {
  const events: [string, WorkerEventDetail][] = [];
  for (const type of ["workerstart", "workerexit"]) {
    pool.addEventListener(type, (event) => {
      assertInstanceOf(event, CustomEvent);
      events.push([type, (event as CustomEvent<WorkerEventDetail>).detail]);
    });
  }
  return events;
}

Deno.test("both executors are EventTargets that fire idle once the work is done", async () => {
  await using executor = new AsyncExecutor();
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  for (const target of [executor, pool]) {
    assertInstanceOf(target, EventTarget);
    let idle = 0;
    target.addEventListener("idle", (event) => {
      assertInstanceOf(event, Event);
      idle++;
    });
    const futures = [target.submit(() => 1), target.submit(() => 2)];
    assertEquals(idle, 0);
    await Promise.all(futures);
    await waitFor(() => idle === 1, "idle");
    await target.submit(() => 3);
    await waitFor(() => idle === 2, "idle again");
  }
});

Deno.test("workerstart and workerexit with reason shutdown", async () => {
  const pool = new WorkerPoolExecutor({ maxWorkers: 1, name: "ev" });
  const events = record(pool);
  await pool.submit(() => 1);
  await pool.shutdown();
  assertEquals(events, [
    ["workerstart", { name: "ev-1" }],
    ["workerexit", { name: "ev-1", reason: "shutdown" }],
  ]);
});

Deno.test("workerexit reasons: recycled, idle", async () => {
  const pool = new WorkerPoolExecutor({
    maxWorkers: 1,
    maxTasksPerWorker: 1,
    idleTimeout: 10,
    name: "r",
  });
  const events = record(pool);
  await pool.submit(() => 1);
  await waitFor(
    () => events.some(([, d]) => d.reason === "recycled"),
    "a recycled worker",
  );
  const pool2 = new WorkerPoolExecutor({ maxWorkers: 1, idleTimeout: 10 });
  const events2 = record(pool2);
  await pool2.submit(() => 1);
  await waitFor(
    () => events2.some(([, d]) => d.reason === "idle"),
    "an idle worker retired",
  );
  await pool.shutdown();
  await pool2.shutdown();
});

Deno.test("workerexit reasons: crashed (with the error), stopped", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const events = record(pool);
  await pool.submit(T.closeSelf).catch(() => {});
  const crashed = events.find(([, d]) => d.reason === "crashed");
  assert(crashed !== undefined);
  assertInstanceOf(crashed[1].error, Error);
  const flags = gateFlags(1);
  const future = pool.submit(T.gated, flags, 0);
  await waitFor(() => hasStarted(flags, 0), "the task");
  future.cancel({ force: true });
  // The task does not end by itself: stopped once stopGrace has passed.
  await waitFor(
    () => events.some(([, d]) => d.reason === "stopped"),
    "the worker to be stopped",
  );
  const stopped = events.filter(([, d]) => d.reason === "stopped");
  assertEquals(stopped.length, 1);
  assertEquals(stopped[0][1].error, undefined);
  assertEquals(
    events.filter(([type]) => type === "workerstart").length,
    2,
  );
});

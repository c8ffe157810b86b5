// Copyright 2026 the @concurrent/futures authors. MIT license.
// currentTask(), stopGrace, progress, retries and delays on WorkerPoolExecutor
// (the cases shared with ProcessPoolExecutor are in _pool_context_cases.ts),
// and what only threads do: a loop that never yields sees its stop in
// shared memory, ends, and frees its thread.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { tasks, WorkerPoolExecutor } from "../mod.ts";
import type * as ContextTasks from "./fixtures/context_tasks.ts";
import { waitFor } from "./fixtures/pool_helpers.ts";
import { contextCases } from "./_pool_context_cases.ts";

const T = tasks<typeof ContextTasks>(
  import.meta.resolve("./fixtures/context_tasks.ts"),
);

contextCases(WorkerPoolExecutor);

for (const how of ["cancel", "timeout"] as const) {
  Deno.test(`WorkerPoolExecutor: a loop that never yields ends when its task is stopped (${how}), and keeps its worker`, async () => {
    const path = await Deno.makeTempFile({ prefix: "ctx-spin-" });
    const lines = () =>
      Deno.readTextFileSync(path).split("\n").filter((line) => line !== "");
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const reasons: string[] = [];
    pool.addEventListener("workerexit", (event) => {
      reasons.push((event as CustomEvent).detail.reason);
    });
    const name = await pool.submit(() => self.name);
    await pool.submit(T.attempt); // the module is loaded: the loop starts soon
    const future = pool.run(T.spin, [path], {
      timeout: how === "timeout" ? 1_000 : undefined,
    });
    await waitFor(() => lines().includes("started"), "the loop to start");
    if (how === "cancel") future.cancel({ force: true });
    await waitFor(() => lines().length === 2, "the loop to end");
    assertStringIncludes(
      lines()[1],
      how === "cancel" ? "CancelledError" : "TimeoutError",
    );
    // The thread is free: the same worker runs the next task.
    assertEquals(await pool.submit(() => self.name), name);
    assertEquals(reasons, []);
    assertEquals(pool.stats().workers, 1);
    await Deno.remove(path);
  });
}

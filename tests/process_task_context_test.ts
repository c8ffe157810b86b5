// Copyright 2026 the @concurrent/futures authors. MIT license.
// currentTask(), stopGrace, progress, retries and delays on
// ProcessPoolExecutor (the cases in _pool_context_cases.ts), and what only
// processes do: a child shares no memory, so the abort travels as a message,
// and a loop that never yields is killed after stopGrace.

import { assertEquals } from "@std/assert";
import { ProcessPoolExecutor, tasks } from "../mod.ts";
import type * as ContextTasks from "./fixtures/context_tasks.ts";
import { waitFor } from "./fixtures/pool_helpers.ts";
import { contextCases } from "./_pool_context_cases.ts";

const T = tasks<typeof ContextTasks>(
  import.meta.resolve("./fixtures/context_tasks.ts"),
);

contextCases(ProcessPoolExecutor);

Deno.test("ProcessPoolExecutor: a stopped loop that never yields is killed after stopGrace", async () => {
  const path = await Deno.makeTempFile({ prefix: "ctx-spin-" });
  const lines = () =>
    Deno.readTextFileSync(path).split("\n").filter((line) => line !== "");
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1, stopGrace: 50 });
  const reasons: string[] = [];
  pool.addEventListener("workerexit", (event) => {
    reasons.push((event as CustomEvent).detail.reason);
  });
  const future = pool.submit(T.spin, path);
  await waitFor(() => lines().includes("started"), "the loop to start");
  future.cancel({ force: true });
  await waitFor(() => reasons.length === 1, "the child to be stopped");
  assertEquals(reasons, ["stopped"]);
  assertEquals(lines(), ["started"]); // killed, never saw the message
  assertEquals(await pool.submit(() => 5), 5);
  await Deno.remove(path);
});

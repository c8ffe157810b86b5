// Copyright 2026 the @concurrent/futures authors. MIT license.

import { assert, assertEquals } from "@std/assert";
import { AsyncExecutor } from "../mod.ts";

Deno.test("AsyncExecutor gives the event loop turns while it drains a long backlog", async () => {
  await using executor = new AsyncExecutor();
  let ticks = 0;
  const interval = setInterval(() => ticks++, 1);
  try {
    // ~300 ms of continuous work: sync tasks of ~0.1 ms each.
    const futures = Array.from(
      { length: 3000 },
      (_, i) =>
        executor.submit((n: number) => {
          const end = performance.now() + 0.1;
          while (performance.now() < end) { /* busy */ }
          return n;
        }, i),
    );
    const results = await Promise.all(futures);
    assertEquals(results[2999], 2999);
  } finally {
    clearInterval(interval);
  }
  assert(ticks >= 3, `the 1 ms interval ticked ${ticks} times`);
});

Deno.test("AsyncExecutor gives the event loop turns during a chain of async tasks", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 4 });
  let ticks = 0;
  const interval = setInterval(() => ticks++, 1);
  try {
    const futures = Array.from(
      { length: 3000 },
      (_, i) =>
        executor.submit(async (n: number) => {
          await Promise.resolve();
          const end = performance.now() + 0.1;
          while (performance.now() < end) { /* busy */ }
          return n;
        }, i),
    );
    await Promise.all(futures);
  } finally {
    clearInterval(interval);
  }
  assert(ticks >= 3, `the 1 ms interval ticked ${ticks} times`);
});

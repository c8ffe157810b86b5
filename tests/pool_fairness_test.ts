// Copyright 2026 the @concurrent/futures authors. MIT license.
// Fairness (API.md): while a pool settles a long stream of results, timers
// and other I/O still run. Results arrive in batches, each a message (a
// macrotask), and each future's continuation does a little work here, so a
// pool that settled everything in one turn would starve the 1 ms interval.

import { assert, assertEquals } from "@std/assert";
import { tasks } from "../mod.ts";
import { POOLS } from "./fixtures/pool_helpers.ts";

const T = tasks<typeof import("./fixtures/pool_tasks.ts")>(
  import.meta.resolve("./fixtures/pool_tasks.ts"),
);

for (const Pool of POOLS) {
  Deno.test(`${Pool.name} lets timers run while it settles a long stream of results`, async () => {
    await using pool = new Pool({ maxWorkers: 2 });
    await pool.submit(T.add, 0, 0); // started before the clock
    let ticks = 0;
    let sum = 0;
    const interval = setInterval(() => ticks++, 1);
    try {
      const futures = Array.from(
        { length: 20_000 },
        (_, i) =>
          pool.submit(T.add, i, 1).then((n) => {
            // ~10 µs of host work per result: ~200 ms in all.
            const end = performance.now() + 0.01;
            while (performance.now() < end) { /* busy */ }
            sum += n;
          }),
      );
      await Promise.all(futures);
    } finally {
      clearInterval(interval);
    }
    assertEquals(sum, (20_000 * 20_001) / 2);
    assert(ticks >= 3, `the 1 ms interval ticked ${ticks} times`);
  });
}

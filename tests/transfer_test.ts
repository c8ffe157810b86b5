// Copyright 2026 the @concurrent/futures authors. MIT license.

import { assertEquals, assertThrows } from "@std/assert";
import { AsyncExecutor, tasks, transfer, WorkerPoolExecutor } from "../mod.ts";
import type * as Tasks from "./fixtures/transfer_tasks.ts";

const X = tasks<typeof Tasks>(
  import.meta.resolve("./fixtures/transfer_tasks.ts"),
);

Deno.test("transfer(): a result is moved back, not copied", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const bytes = await pool.submit(X.moved, 1 << 16, 7);
  assertEquals(bytes.byteLength, 1 << 16);
  assertEquals(bytes[100], 7);
  // The worker's view was detached by the move.
  assertEquals(await pool.submit(X.keptLength), 0);
  const copy = await pool.submit(X.copied, 16);
  assertEquals(copy.byteLength, 16);
  assertEquals(await pool.submit(X.keptLength), 16);
});

Deno.test("transfer(): map results are moved too", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const results = await Array.fromAsync(
    pool.map(X.movedItem, [1, 2, 3], { chunksize: 2 }),
  );
  assertEquals(results.map((r) => [r.n, r.bytes[0]]), [[1, 1], [2, 2], [3, 3]]);
  assertEquals(await pool.submit(X.keptLength), 0);
});

Deno.test("transfer() marks with a registered symbol and checks its input", async () => {
  const value = { a: 1 };
  assertEquals(transfer(value, []), value);
  const marks = Object.getOwnPropertySymbols(value);
  assertEquals(marks.length, 1);
  assertEquals(Symbol.keyFor(marks[0]) !== undefined, true);
  assertEquals(Object.keys(value), ["a"]);
  assertThrows(() => transfer(1, []), TypeError);
  // @ts-expect-error: the list must be an array
  assertThrows(() => transfer({}, "x"), TypeError);
  await using executor = new AsyncExecutor();
  const buffer = new ArrayBuffer(8);
  assertEquals(await executor.submit(() => transfer(buffer, [buffer])), buffer);
});

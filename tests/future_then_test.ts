// Copyright 2026 the @concurrent/futures authors. MIT license.

import { delay } from "@std/async/delay";
import { assertEquals, assertRejects } from "@std/assert";
import { AsyncExecutor, CancelledError, Future } from "../mod.ts";

Deno.test("Future.catch handles a failure and passes a value through", async () => {
  const failed = new Future<number>();
  failed.setException(new RangeError("bad"));
  const caught = failed.catch((error) => (error as Error).name);
  assertEquals(caught instanceof Promise, true);
  assertEquals(await caught, "RangeError");
  const ok = new Future<number>();
  ok.setResult(5);
  assertEquals(await ok.catch(() => 0), 5);
  const cancelled = new Future<number>();
  cancelled.cancel();
  assertEquals(
    await cancelled.catch((error) => error instanceof CancelledError),
    true,
  );
});

Deno.test("Future.catch waits for a later outcome", async () => {
  const future = new Future<number>();
  const caught = future.catch(() => -1);
  setTimeout(() => future.setException(new Error("late")), 1);
  assertEquals(await caught, -1);
});

Deno.test("Future.finally runs once the future is done and keeps the outcome", async () => {
  const calls: string[] = [];
  const ok = new Future<number>();
  const a = ok.finally(() => calls.push("ok"));
  ok.setResult(1);
  assertEquals(await a, 1);
  const failed = new Future<number>();
  const b = failed.finally(() => calls.push("failed"));
  failed.setException(new Error("x"));
  await assertRejects(() => b, Error, "x");
  const thrower = new Future<number>();
  thrower.setResult(1);
  await assertRejects(
    () =>
      thrower.finally(() => {
        throw new TypeError("from finally");
      }),
    TypeError,
    "from finally",
  );
  assertEquals(calls, ["ok", "failed"]);
});

Deno.test("a failed executor future nobody awaits is no unhandled rejection", async () => {
  await using executor = new AsyncExecutor();
  const future = executor.submit(() => {
    throw new Error("nobody looks");
  });
  await delay(5);
  assertEquals(future.state, "finished");
  // Only a handler attached now makes a promise; it sees the error.
  assertEquals(await future.catch((e) => (e as Error).message), "nobody looks");
});

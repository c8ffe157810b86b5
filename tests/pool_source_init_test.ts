// Copyright 2026 the @concurrent/futures authors. MIT license.

import {
  assertInstanceOf,
  assertMatch,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { BrokenExecutorError, WorkerPoolExecutor } from "../mod.ts";

Deno.test("an initializer that calls self.close() breaks the pool and says so", async () => {
  const pool = new WorkerPoolExecutor({
    maxWorkers: 1,
    initializer: () => self.close(),
  });
  const error = await assertRejects(
    () => pool.submit(() => 1).result(),
    BrokenExecutorError,
  );
  assertMatch(
    error.message,
    /initializer closed the worker \(self\.close\(\)\)/,
  );
  assertInstanceOf(error.cause, Error);
  assertMatch((error.cause as Error).message, /self\.close\(\)/);
  assertThrows(() => pool.submit(() => 2), BrokenExecutorError);
  await pool.shutdown();
});

Deno.test("a getter or setter cannot be sent as source: TypeError at submit", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const object = {
    get x() {
      return 1;
    },
    set y(_: number) {
      // a setter: cannot be sent either
    },
  };
  const getter = Object.getOwnPropertyDescriptor(object, "x")!.get!;
  const setter = Object.getOwnPropertyDescriptor(object, "y")!.set!;
  for (const fn of [getter, setter] as ((...args: unknown[]) => unknown)[]) {
    const error = assertThrows(() => pool.submit(fn), TypeError);
    assertMatch(error.message, /cannot send .* as source/i);
  }
  // Methods (shorthand, named get) still work.
  const methods = {
    twice(n: number) {
      return 2 * n;
    },
    get() {
      return "get";
    },
  };
  await pool.submit(methods.twice, 2);
  await pool.submit(methods.get);
});

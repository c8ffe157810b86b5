// Copyright 2026 the @concurrent/futures authors. MIT license.

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { ExecutorShutdownError, type Future, task } from "../mod.ts";
import { FIXTURE, POOLS, T } from "./fixtures/pool_helpers.ts";

for (const Pool of POOLS) {
  Deno.test(`${Pool.name} runs self-contained functions of every form`, async () => {
    await using pool = new Pool({ maxWorkers: 2 });
    const methods = {
      double(n: number) {
        return n * 2;
      },
      async triple(n: number) {
        await Promise.resolve();
        return n * 3;
      },
      *numbers(n: number) {
        yield n;
      },
      ["computed" + "Name"](n: number) {
        return n + 100;
      },
    };
    function declared(a: number, b: number): number {
      return a - b;
    }
    assertEquals(await pool.submit((a: number, b: number) => a + b, 2, 3), 5);
    assertEquals(await pool.submit((s: string) => s.toUpperCase(), "x"), "X");
    // deno-lint-ignore require-await
    assertEquals(await pool.submit(async (n: number) => n + 1, 1), 2);
    assertEquals(await pool.submit(declared, 5, 3), 2);
    assertEquals(
      await pool.submit(function (n: number) {
        return n * n;
      }, 4),
      16,
    );
    assertEquals(await pool.submit(methods.double, 21), 42);
    assertEquals(await pool.submit(methods.triple, 3), 9);
    assertEquals(
      await pool.submit(methods.computedName as (n: number) => number, 1),
      101,
    );
    // A generator object cannot be cloned back; the source still compiles.
    const generator = pool.submit(methods.numbers, 1);
    await assertRejects(() => generator.result(), DOMException);
    // Globals and dynamic import() are available.
    assertEquals(await pool.submit(() => typeof Deno.readTextFile), "function");
    assertEquals(
      await pool.submit(
        async (url: string) => (await import(url)).add(1, 2),
        FIXTURE,
      ),
      3,
    );
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name} runs module tasks made with task() and tasks()`, async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    assertEquals(await pool.submit(T.add, 20, 22), 42);
    assertEquals(
      await pool.submit(task<typeof Math.max>(FIXTURE, "add"), 1, 2),
      3,
    );
    assertEquals(await pool.submit(T.sleep, 1, "later"), "later");
    // A missing export or a non-function fails that task only.
    const missing = pool.submit(task(FIXTURE, "nope"));
    await assertRejects(() => missing.result(), TypeError, "nope");
    const notFn = pool.submit(task(FIXTURE, "notAFunction"));
    await assertRejects(() => notFn.result(), TypeError, "notAFunction");
    const badModule = pool.submit(
      task(new URL("./fixtures/absent.ts", import.meta.url)),
    );
    await assertRejects(() => badModule.result(), Error);
    assertEquals(await pool.submit(T.add, 1, 1), 2);
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name} rejects native and bound functions at submit`, async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    assertThrows(
      () => pool.submit(Math.max, 1, 2),
      TypeError,
      "native or bound",
    );
    const bound = ((a: number) => a).bind(null);
    assertThrows(() => pool.submit(bound, 1), TypeError, "native or bound");
    assertThrows(
      () => pool.submit(class X {} as unknown as () => void),
      TypeError,
      "class",
    );
    assertThrows(() => pool.submit(42 as unknown as () => void), TypeError);
    assertThrows(() => pool.run(() => 1, 5 as unknown as []), TypeError);
    assertEquals(pool.stats().queued, 0);
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: a closure fails with the worker's ReferenceError and a hint`, async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    const outer = 41;
    const future = pool.submit(() => outer + 1);
    const error = await assertRejects(() => future.result(), ReferenceError);
    assertStringIncludes(error.message, "outer is not defined");
    assertStringIncludes(error.message, "self-contained");
    // A ReferenceError the task throws itself keeps its message.
    const own = pool.submit(() => {
      throw new ReferenceError("mine");
    });
    assertEquals((await own.exception() as Error).message, "mine");
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name} names workers with the name prefix`, async () => {
    await using pool = new Pool({ maxWorkers: 1, name: "calc" });
    assertEquals(await pool.submit(T.whoami), "calc-1");
    assertEquals(await pool.submit(() => self.name), "calc-1");
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}.map yields in order, chunks, and unordered`, async () => {
    await using pool = new Pool({ maxWorkers: 2 });
    const items = Array.from({ length: 50 }, (_, i) => i);
    for (const chunksize of [1, 7, 50]) {
      const squares = await Array.fromAsync(
        pool.map((n: number) => n * n, items, { chunksize }),
      );
      assertEquals(squares, items.map((n) => n * n));
    }
    const unordered = await Array.fromAsync(
      pool.map(T.add as never, items, { ordered: false, chunksize: 4 }),
    );
    assertEquals(unordered.length, items.length);
    // Results before a failing item are yielded, then the error is thrown.
    const seen: number[] = [];
    await assertRejects(
      async () => {
        for await (
          const value of pool.map(
            (n: number) => {
              if (n === 5) throw new RangeError("five");
              return n;
            },
            items,
            { chunksize: 4 },
          )
        ) {
          seen.push(value);
        }
      },
      RangeError,
      "five",
    );
    assertEquals(seen, [0, 1, 2, 3, 4]);
    // An async function per item, over an async iterable.
    async function* source() {
      for (let i = 0; i < 5; i++) yield i;
    }
    assertEquals(
      await Array.fromAsync(
        pool.map(
          async (n: number) => {
            await Promise.resolve();
            return -n;
          },
          source(),
          { chunksize: 2 },
        ),
      ),
      [-0, -1, -2, -3, -4],
    );
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: bad options throw RangeError or TypeError`, () => {
    assertThrows(() => new Pool({ maxWorkers: 0 }), RangeError);
    assertThrows(() => new Pool({ maxWorkers: 1.5 }), RangeError);
    assertThrows(
      () => new Pool({ maxWorkers: "2" as unknown as number }),
      TypeError,
    );
    assertThrows(() => new Pool({ minWorkers: -1 }), RangeError);
    assertThrows(
      () => new Pool({ maxWorkers: 1, minWorkers: 2 }),
      RangeError,
    );
    assertThrows(() => new Pool({ idleTimeout: -1 }), RangeError);
    assertThrows(
      () => new Pool({ maxTasksPerWorker: 0 }),
      RangeError,
    );
    assertThrows(
      () => new Pool({ concurrentTasksPerWorker: 0 }),
      RangeError,
    );
    assertThrows(
      () => new Pool({ name: 3 as unknown as string }),
      TypeError,
    );
    assertThrows(
      () => new Pool({ initializer: 3 as unknown as () => void }),
      TypeError,
    );
    assertThrows(
      () => new Pool({ initializer: Math.max }),
      TypeError,
    );
    assertThrows(
      () => new Pool({ initargs: 1 as unknown as [] }),
      TypeError,
    );
    assertThrows(
      () => new Pool({ initargs: [() => 1] }),
      DOMException,
    );
    assertThrows(
      () =>
        new Pool({
          permissions: 5 as unknown as Deno.PermissionOptions,
        }),
      TypeError,
    );
    assertThrows(() => new Pool(7 as never), TypeError);
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: bad run/map options throw at the call`, async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    assertThrows(() => pool.run(() => 1, [], { timeout: -1 }), RangeError);
    assertThrows(
      () => pool.run(() => 1, [], { timeout: "1" as unknown as number }),
      TypeError,
    );
    assertThrows(
      () => pool.run(() => 1, [], { signal: {} as AbortSignal }),
      TypeError,
    );
    assertThrows(
      () => pool.run(() => 1, [], { transfer: 1 as unknown as [] }),
      TypeError,
    );
    assertThrows(
      () => pool.map((n: number) => n, [1], { chunksize: 0 }),
      RangeError,
    );
    assertThrows(
      () => pool.map((n: number) => n, [1], { buffersize: -1 }),
      RangeError,
    );
    assertThrows(() => pool.map((n: number) => n, 5 as never), TypeError);
    await assertRejects(
      () => pool.shutdown({ wait: "yes" as never }),
      TypeError,
    );
    assertEquals(pool.stats().completed + pool.stats().queued, 0);
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: submit, run and map after shutdown throw ExecutorShutdownError`, async () => {
    const pool = new Pool({ maxWorkers: 1 });
    const before = pool.submit(T.add, 1, 2);
    await pool.shutdown();
    await pool.shutdown(); // twice is fine
    assertEquals(await before, 3);
    assertThrows(() => pool.submit(T.add, 1, 2), ExecutorShutdownError);
    assertThrows(() => pool.run(T.add, [1, 2]), ExecutorShutdownError);
    assertThrows(() => pool.map(T.add as never, [1]), ExecutorShutdownError);
    assertEquals(pool.stats().workers, 0);
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: stats add up`, async () => {
    const pool = new Pool({ maxWorkers: 2 });
    const futures: Future<unknown>[] = [];
    for (let i = 0; i < 30; i++) futures.push(pool.submit(T.add, i, 1));
    for (let i = 0; i < 5; i++) futures.push(pool.submit(T.throwValue, i));
    const cancelled = pool.submit(T.add, 0, 0);
    assert(cancelled.cancel());
    const total = pool.stats();
    assertEquals(
      total.queued + total.running + total.completed + total.failed +
        total.cancelled,
      36,
    );
    await Promise.allSettled(futures);
    const stats = pool.stats();
    assertEquals(stats.completed, 30);
    assertEquals(stats.failed, 5);
    assertEquals(stats.cancelled, 1);
    assertEquals(stats.queued, 0);
    assertEquals(stats.running, 0);
    assertEquals(stats.busy, 0);
    assert(stats.workers >= 1 && stats.workers <= 2);
    await pool.shutdown();
    assertEquals(pool.stats().workers, 0);
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: Symbol.asyncDispose waits for the work`, async () => {
    let future: Future<number>;
    {
      await using pool = new Pool({ maxWorkers: 1 });
      future = pool.submit(T.sleep, 5, 7) as Future<number>;
    }
    assertEquals(future.state, "finished");
    assertEquals(await future, 7);
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: many tiny tasks, all futures settle once`, async () => {
    await using pool = new Pool({ maxWorkers: 2 });
    const futures: Future<number>[] = [];
    let callbacks = 0;
    for (let i = 0; i < 3000; i++) {
      const future = pool.submit((n: number) => n * 2, i);
      future.addDoneCallback(() => callbacks++);
      futures.push(future);
    }
    const results = await Promise.all(futures);
    assertEquals(results, Array.from({ length: 3000 }, (_, i) => i * 2));
    assertEquals(callbacks, 3000);
    assertEquals(pool.stats().completed, 3000);
  });
}

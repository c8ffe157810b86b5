// Copyright 2026 the @concurrent/futures authors. MIT license.
// Error fidelity across the worker boundary, DataCloneError both ways, and
// transfer at the call.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { WorkerPoolExecutor } from "../mod.ts";
import { POOLS, T } from "./fixtures/pool_helpers.ts";

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: a task's error keeps name, message, worker stack, class, cause and own properties`, async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    const error = await pool.submit(T.throwValidation, "bad input").exception();
    // The nearest built-in class is kept, so instanceof still works.
    assertInstanceOf(error, TypeError);
    const e = error as TypeError & { code?: string };
    assertEquals(e.name, "ValidationError");
    assertEquals(e.message, "bad input");
    assertEquals(e.code, "E_VALIDATION");
    // The stack is the worker's: it names the fixture function and file.
    assert(e.stack !== undefined);
    assertStringIncludes(e.stack, "throwValidation");
    assertStringIncludes(e.stack, "pool_tasks.ts");
    assertStringIncludes(e.stack.split("\n")[0], "bad input");
    assertInstanceOf(e.cause, RangeError);
    assertEquals((e.cause as Error).message, "root cause");
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: built-in error classes survive, sync and async`, async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    const classes = [
      [Error, "Error"],
      [TypeError, "TypeError"],
      [RangeError, "RangeError"],
      [SyntaxError, "SyntaxError"],
      [ReferenceError, "ReferenceError"],
      [EvalError, "EvalError"],
      [URIError, "URIError"],
    ] as const;
    for (const [Class, name] of classes) {
      const error = await pool.submit((n: string) => {
        throw new (globalThis as unknown as Record<string, ErrorConstructor>)[
          n
        ]("m-" + n);
      }, name).exception();
      assertInstanceOf(error, Class);
      assertEquals((error as Error).name, name);
      assertEquals((error as Error).message, "m-" + name);
    }
    const rejected = await pool.submit(T.rejectAsync, "async").exception();
    assertInstanceOf(rejected, SyntaxError);
    assertEquals((rejected as Error).message, "async");
    const aggregate = await pool.submit(T.throwAggregate).exception();
    assertInstanceOf(aggregate, AggregateError);
    assertEquals((aggregate as AggregateError).errors.length, 2);
    assertInstanceOf((aggregate as AggregateError).errors[0], TypeError);
    assertInstanceOf((aggregate as AggregateError).errors[1], RangeError);
    const denoError = await pool.submit(() =>
      Deno.readTextFileSync("/definitely/not/here")
    ).exception();
    assertInstanceOf(denoError, Deno.errors.NotFound);
    const dom = await pool.submit(() => {
      throw new DOMException("stop", "AbortError");
    }).exception();
    assertInstanceOf(dom, DOMException);
    assertEquals((dom as DOMException).name, "AbortError");
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: a non-Error thrown value arrives as itself (cloned)`, async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    for (
      const value of [42, "text", null, undefined, { code: 7, list: [1, 2] }]
    ) {
      const future = pool.submit(T.throwValue, value);
      assertEquals(await future.exception(), value);
      await assertRejects(
        async () => {
          try {
            await future;
          } catch (thrown) {
            assertEquals(thrown, value);
            throw new Error("rethrown");
          }
        },
        Error,
        "rethrown",
      );
    }
    // A thrown value that cannot be cloned becomes a DataCloneError.
    const fn = await pool.submit(() => {
      throw () => 1;
    }).exception();
    assertInstanceOf(fn, DOMException);
    assertEquals((fn as DOMException).name, "DataCloneError");
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: a cause that cannot be cloned is left out`, async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    const error = await pool.submit(T.throwUncloneableCause).exception();
    assertInstanceOf(error, Error);
    assertEquals((error as Error).message, "outer");
    assertEquals((error as Error).cause, undefined);
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: arguments that cannot be cloned reject with DataCloneError; the rest of the batch runs`, async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    const good1 = pool.submit(T.add, 1, 2);
    const bad = pool.submit((x: unknown) => typeof x, () => 1);
    const good2 = pool.submit(T.add, 3, 4);
    const badSymbol = pool.submit((x: unknown) => typeof x, Symbol("s"));
    const error = await bad.exception();
    assertInstanceOf(error, DOMException);
    assertEquals((error as DOMException).name, "DataCloneError");
    assertEquals(
      ((await badSymbol.exception()) as DOMException).name,
      "DataCloneError",
    );
    assertEquals(await good1, 3);
    assertEquals(await good2, 7);
    assertEquals(pool.stats().failed, 2);
    assertEquals(pool.stats().completed, 2);
    // A function whose only task could not be sent is sent again with its
    // next task (the worker, unharmed, is the same one).
    const worker = await pool.submit(T.whoami);
    const fresh = (x: unknown) => `got ${typeof x}`;
    const lost = pool.submit(fresh, () => 1);
    assertEquals(
      ((await lost.exception()) as DOMException).name,
      "DataCloneError",
    );
    assertEquals(await pool.submit(fresh, 1), "got number");
    assertEquals(await pool.submit(T.whoami), worker);
  });
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: a result that cannot be cloned rejects with DataCloneError, never hangs`, async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    const futures = [
      pool.submit(T.add, 1, 1),
      pool.submit(T.uncloneable),
      pool.submit(T.add, 2, 2),
      pool.submit(async () => {
        await Promise.resolve();
        return Symbol("x");
      }),
    ];
    const outcomes = await Promise.allSettled(futures);
    assertEquals(outcomes[0], { status: "fulfilled", value: 2 });
    assertEquals(outcomes[2], { status: "fulfilled", value: 4 });
    for (const i of [1, 3]) {
      const outcome = outcomes[i] as PromiseRejectedResult;
      assertEquals(outcome.status, "rejected");
      assertInstanceOf(outcome.reason, DOMException);
      assertEquals(outcome.reason.name, "DataCloneError");
    }
    // In a map chunk, the items before the uncloneable one are yielded.
    const seen: unknown[] = [];
    const error = await assertRejects(async () => {
      for await (
        const value of pool.map(
          (n: number) => n === 2 ? (() => n) : n,
          [0, 1, 2, 3],
          { chunksize: 4 },
        )
      ) {
        seen.push(value);
      }
    });
    assertEquals((error as DOMException).name, "DataCloneError");
    assertEquals(seen, [0, 1]);
  });
}

Deno.test("WorkerPoolExecutor.run: transfer detaches at the call, even while queued", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  // Keep the only worker busy so the transfer below waits in the queue.
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const busy = pool.submit(T.gated, flags, 0);
  const bytes = new Uint8Array([1, 2, 3, 4]);
  const future = pool.run(T.sumBytes, [bytes.buffer], {
    transfer: [bytes.buffer],
  });
  assertEquals(bytes.byteLength, 0);
  assertEquals(bytes.buffer.byteLength, 0);
  assertEquals(future.state === "finished", false);
  Atomics.store(flags, 0, 1);
  Atomics.notify(flags, 0);
  assertEquals(await busy, 0);
  assertEquals(await future, 10);
  // Arguments that cannot be cloned fail the future (as with Deno's
  // postMessage, the transfer list may be detached all the same).
  const kept = new Uint8Array([5]);
  const bad = pool.run(T.sumBytes, [kept.buffer, () => 1] as never, {
    transfer: [kept.buffer],
  });
  assertEquals(
    ((await bad.exception()) as DOMException).name,
    "DataCloneError",
  );
});

// Copyright 2026 the @concurrent/futures authors. MIT license.
// Executor.map, through AsyncExecutor (and, for what only a host can do, a
// minimal MapHost).

import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import {
  AsyncExecutor,
  CancelledError,
  ExecutorShutdownError,
  Future,
  tasks,
  TimeoutError,
} from "../mod.ts";
import { type MapHost, mapImpl, type Settled } from "../executors/_map.ts";
import type * as CoreMath from "./fixtures/core_math.ts";

const fixture = import.meta.resolve("./fixtures/core_math.ts");

function gate<T = void>(): PromiseWithResolvers<T> {
  return Promise.withResolvers<T>();
}

function tick(): Promise<void> {
  return delay(0);
}

/** An endless generator that counts how many items were pulled. */
function countingNaturals() {
  const source = {
    pulled: 0,
    closed: false,
    *items() {
      try {
        for (let n = 0;; n++) {
          source.pulled++;
          yield n;
        }
      } finally {
        source.closed = true;
      }
    },
  };
  return source;
}

Deno.test("map() yields results in input order", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 4 });
  // Later items finish first.
  const results = await Array.fromAsync(
    executor.map(async (n: number) => {
      for (let i = 0; i < 10 - n; i++) await tick();
      return n * 10;
    }, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
  );
  assertEquals(results, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
});

Deno.test("map({ ordered: false }) yields in completion order", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 4 });
  const gates = [gate(), gate(), gate(), gate()];
  const iterator = executor.map(
    async (n: number) => {
      await gates[n].promise;
      return n;
    },
    [0, 1, 2, 3],
    { ordered: false },
  );
  const seen: number[] = [];
  for (const n of [2, 0, 3, 1]) {
    const next = iterator.next();
    await tick();
    gates[n].resolve();
    seen.push((await next).value as number);
  }
  assertEquals(seen, [2, 0, 3, 1]);
  assertEquals(await iterator.next(), { done: true, value: undefined });
});

Deno.test("map() of an empty iterable ends at once", async () => {
  await using executor = new AsyncExecutor();
  assertEquals(await Array.fromAsync(executor.map((n: number) => n, [])), []);
  const iterator = executor.map((n: number) => n, [], { ordered: false });
  assertEquals(await iterator.next(), { done: true, value: undefined });
  assertEquals(await iterator.next(), { done: true, value: undefined });
});

Deno.test("map() takes an async iterable", async () => {
  await using executor = new AsyncExecutor();
  async function* letters() {
    for (const letter of "abc") {
      await tick();
      yield letter;
    }
  }
  const results = await Array.fromAsync(
    executor.map((s: string) => s.toUpperCase(), letters(), { chunksize: 2 }),
  );
  assertEquals(results, ["A", "B", "C"]);
});

Deno.test("map() runs a module Task", async () => {
  await using executor = new AsyncExecutor();
  const math = tasks<typeof CoreMath>(fixture);
  const results = await Array.fromAsync(
    executor.map(math.square, [1, 2, 3, 4, 5], { chunksize: 2 }),
  );
  assertEquals(results, [1, 4, 9, 16, 25]);
});

Deno.test("map({ chunksize }) runs each chunk as one task", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 8 });
  let now = 0;
  let peak = 0;
  const release = gate();
  const fn = async (n: number) => {
    now++;
    peak = Math.max(peak, now);
    await release.promise;
    now--;
    return n;
  };
  // 8 items in chunks of 4: two tasks, each calling fn on its items in turn,
  // so no more than 2 calls are in flight although 8 slots are free.
  const iterator = executor.map(fn, [0, 1, 2, 3, 4, 5, 6, 7], {
    chunksize: 4,
  });
  const consumer = Array.fromAsync(iterator);
  await tick();
  assertEquals(now, 2);
  release.resolve();
  assertEquals(await consumer, [0, 1, 2, 3, 4, 5, 6, 7]);
  assertEquals(peak, 2);
});

Deno.test("map() with chunksize 1 uses the concurrency", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 8 });
  let now = 0;
  const release = gate();
  const consumer = Array.fromAsync(
    executor.map(async (n: number) => {
      now++;
      await release.promise;
      return n;
    }, [0, 1, 2, 3, 4, 5, 6, 7]),
  );
  await tick();
  assertEquals(now, 8);
  release.resolve();
  assertEquals((await consumer).length, 8);
});

Deno.test("map() chunks with a remainder and chunksize above buffersize", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 2 });
  const items = Array.from({ length: 11 }, (_, i) => i);
  assertEquals(
    await Array.fromAsync(
      executor.map((n: number) => -n, items, { chunksize: 3 }),
    ),
    items.map((n) => -n),
  );
  // A chunk never exceeds the buffer: still every result, in order.
  assertEquals(
    await Array.fromAsync(
      executor.map((n: number) => -n, items, { chunksize: 8, buffersize: 3 }),
    ),
    items.map((n) => -n),
  );
});

Deno.test("map({ buffersize }) pulls lazily from an endless generator", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 2 });
  const source = countingNaturals();
  const iterator = executor.map((n: number) => n * n, source.items(), {
    buffersize: 4,
  });
  await tick();
  assertEquals(source.pulled, 0, "nothing is pulled before iterating");
  const results: number[] = [];
  for await (const square of iterator) {
    results.push(square);
    // Never more than `buffersize` items pulled and not yet yielded.
    assert(source.pulled - results.length <= 4, `pulled ${source.pulled}`);
    if (results.length === 5) break;
  }
  assertEquals(results, [0, 1, 4, 9, 16]);
  // Refills come in bulk once half the buffer is free, never beyond it.
  assert(source.pulled <= 4 + 5, `pulled ${source.pulled}`);
  assert(source.pulled > 5, "results taken made room for more items");
  assert(source.closed, "break closes the source");
});

Deno.test("map() default buffersize is 2 * maxConcurrency * chunksize, at least 128", async () => {
  for (
    const [maxConcurrency, chunksize] of [[3, 1], [3, 2], [40, 1], [40, 2]]
  ) {
    await using executor = new AsyncExecutor({ maxConcurrency });
    const source = countingNaturals();
    const iterator = executor.map((n: number) => n, source.items(), {
      chunksize,
    });
    const first = await iterator.next();
    assertEquals(first, { done: false, value: 0 });
    const bound = Math.max(2 * maxConcurrency * chunksize, 128);
    assert(source.pulled - 1 <= bound, `held ${source.pulled - 1} > ${bound}`);
    assert(source.pulled >= bound, `only ${source.pulled} pulled`);
    await iterator.return!();
  }
});

Deno.test("map() pulls lazily from an endless async generator", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 2 });
  let pulled = 0;
  let closed = false;
  async function* naturals() {
    try {
      for (let n = 0;; n++) {
        await tick();
        pulled++;
        yield n;
      }
    } finally {
      closed = true;
    }
  }
  const results: number[] = [];
  for await (
    const n of executor.map((n: number) => n + 1, naturals(), {
      buffersize: 3,
    })
  ) {
    results.push(n);
    assert(pulled - results.length <= 3, `pulled ${pulled}`);
    if (results.length === 6) break;
  }
  assertEquals(results, [1, 2, 3, 4, 5, 6]);
  assert(closed, "break closes the async source");
});

Deno.test("map() throws a task's error when that result is reached", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 2 });
  const called: number[] = [];
  const results: number[] = [];
  const error = await assertRejects(async () => {
    for await (
      const n of executor.map(
        (n: number) => {
          called.push(n);
          if (n === 3) throw new RangeError("three");
          return n;
        },
        Array.from({ length: 100 }, (_, i) => i),
        { buffersize: 4 },
      )
    ) {
      results.push(n);
    }
  }, RangeError);
  assertEquals(error.message, "three");
  assertEquals(results, [0, 1, 2], "results before the failure are yielded");
  await tick();
  // The failure cancelled what map() held: far from all 100 items ran.
  assert(called.length <= 3 + 1 + 4, `${called.length} items ran`);
});

Deno.test("map() stops at a failing item inside a chunk", async () => {
  await using executor = new AsyncExecutor();
  const iterator = executor.map(
    (n: number) => {
      if (n === 4) throw new Error("four");
      return n;
    },
    [0, 1, 2, 3, 4, 5, 6, 7],
    { chunksize: 3 },
  );
  const results: number[] = [];
  await assertRejects(
    async () => {
      for await (const n of iterator) results.push(n);
    },
    Error,
    "four",
  );
  assertEquals(results, [0, 1, 2, 3]);
  assertEquals(await iterator.next(), { done: true, value: undefined });
});

Deno.test("map({ ordered: false }) throws a task's error as it completes", async () => {
  await using executor = new AsyncExecutor();
  const slow = gate();
  const iterator = executor.map(
    async (n: number) => {
      if (n === 0) await slow.promise;
      if (n === 2) throw new TypeError("two");
      return n;
    },
    [0, 1, 2],
    { ordered: false },
  );
  const results: number[] = [];
  await assertRejects(async () => {
    for await (const n of iterator) results.push(n);
  }, TypeError);
  assertEquals(results, [1]);
  slow.resolve();
});

Deno.test("map() throws the source's error at its position", async () => {
  await using executor = new AsyncExecutor();
  function* failing() {
    yield 1;
    yield 2;
    throw new SyntaxError("source broke");
  }
  const results: number[] = [];
  await assertRejects(async () => {
    for await (const n of executor.map((n: number) => n * 2, failing())) {
      results.push(n);
    }
  }, SyntaxError);
  assertEquals(results, [2, 4]);
});

Deno.test("map({ timeout }) throws TimeoutError and cancels what it holds", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const hold = gate();
  const called: number[] = [];
  const iterator = executor.map(
    async (n: number) => {
      called.push(n);
      await hold.promise;
      return n;
    },
    [0, 1, 2, 3],
    { timeout: 5 },
  );
  await assertRejects(() => iterator.next(), TimeoutError);
  hold.resolve();
  await tick();
  assertEquals(called, [0], "the queued items were cancelled");
  assertEquals(await iterator.next(), { done: true, value: undefined });
});

Deno.test("map({ timeout }) is counted from the call", async () => {
  await using executor = new AsyncExecutor();
  const hold = gate();
  const iterator = executor.map(() => hold.promise, [1], { timeout: 1 });
  await delay(10);
  await assertRejects(() => iterator.next(), TimeoutError);
  hold.resolve();
});

Deno.test("map({ timeout }) met in time leaves no timer behind", async () => {
  await using executor = new AsyncExecutor();
  const results = await Array.fromAsync(
    executor.map(
      async (n: number) => {
        await tick();
        return n;
      },
      [1, 2, 3],
      { timeout: 60_000 },
    ),
  );
  assertEquals(results, [1, 2, 3]);
});

Deno.test("map({ signal }) throws the reason and cancels what it holds", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const controller = new AbortController();
  const hold = gate();
  const called: number[] = [];
  const reason = new Error("aborted by the caller");
  const iterator = executor.map(
    async (n: number) => {
      called.push(n);
      if (n === 1) await hold.promise;
      return n;
    },
    [0, 1, 2, 3, 4],
    { signal: controller.signal },
  );
  assertEquals(await iterator.next(), { done: false, value: 0 });
  const pending = iterator.next();
  await tick();
  controller.abort(reason);
  assertStrictEquals(await assertRejects(() => pending), reason);
  hold.resolve();
  await tick();
  assertEquals(called, [0, 1]);
  assertEquals(await iterator.next(), { done: true, value: undefined });
});

Deno.test("map({ signal }) aborted between next() calls throws at the next one", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const controller = new AbortController();
  const iterator = executor.map((n: number) => n, [0, 1, 2, 3], {
    signal: controller.signal,
  });
  assertEquals((await iterator.next()).value, 0);
  controller.abort(new RangeError("stop"));
  await assertRejects(() => iterator.next(), RangeError, "stop");
  assertEquals(await iterator.next(), { done: true, value: undefined });
});

Deno.test("map({ signal }) already aborted throws at the first next()", async () => {
  await using executor = new AsyncExecutor();
  let called = false;
  const iterator = executor.map(() => called = true, [1], {
    signal: AbortSignal.abort(new TypeError("pre-aborted")),
  });
  await assertRejects(() => iterator.next(), TypeError, "pre-aborted");
  await tick();
  assert(!called);
});

Deno.test("map(): breaking early cancels the work still held", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const called: number[] = [];
  const source = countingNaturals();
  for await (
    const n of executor.map(
      async (n: number) => {
        called.push(n);
        await tick();
        return n;
      },
      source.items(),
      { buffersize: 5 },
    )
  ) {
    if (n === 1) break;
  }
  await tick();
  await tick();
  // At most 5 + 2 pulled, but with one slot only 0, 1 and at most the one
  // running when the loop broke ever ran: the queued rest was cancelled.
  assert(source.pulled >= 5 && source.pulled <= 7, `pulled ${source.pulled}`);
  assert(called.length <= 3, `${called.length} ran`);
  assert(source.closed);
});

Deno.test("map(): return() ends a next() that is waiting", async () => {
  await using executor = new AsyncExecutor();
  const hold = gate();
  const iterator = executor.map(() => hold.promise, [1, 2]);
  const pending = iterator.next();
  await tick();
  assertEquals(await iterator.return!(), { done: true, value: undefined });
  assertEquals(await pending, { done: true, value: undefined });
  hold.resolve();
});

Deno.test("map() serves overlapping next() calls in order", async () => {
  await using executor = new AsyncExecutor();
  const iterator = executor.map(async (n: number) => {
    await tick();
    return n;
  }, [1, 2, 3]);
  const results = await Promise.all([
    iterator.next(),
    iterator.next(),
    iterator.next(),
    iterator.next(),
  ]);
  assertEquals(results.map((r) => r.value), [1, 2, 3, undefined]);
  assert(results[3].done);
});

Deno.test("map() validates its arguments synchronously", async () => {
  await using executor = new AsyncExecutor();
  const id = (n: number) => n;
  for (const chunksize of [0, -1, 1.5, NaN]) {
    assertThrows(() => executor.map(id, [1], { chunksize }), RangeError);
  }
  for (const buffersize of [0, -3, 2.5]) {
    assertThrows(() => executor.map(id, [1], { buffersize }), RangeError);
  }
  assertThrows(() => executor.map(id, [1], { timeout: -1 }), RangeError);
  const wrongTypes = [
    { chunksize: "2" },
    { buffersize: "2" },
    { timeout: "2" },
    { ordered: "yes" },
    { signal: "no" },
  ];
  for (const options of wrongTypes) {
    // deno-lint-ignore no-explicit-any
    assertThrows(() => executor.map(id, [1], options as any), TypeError);
  }
  // deno-lint-ignore no-explicit-any
  assertThrows(() => executor.map(id, 5 as any), TypeError);
  // deno-lint-ignore no-explicit-any
  assertThrows(() => executor.map("fn" as any, [1]), TypeError);
  // deno-lint-ignore no-explicit-any
  assertThrows(() => executor.map(id, [1], 1 as any), TypeError);
});

Deno.test("map() after shutdown throws at the call; during, at next()", async () => {
  const executor = new AsyncExecutor();
  const iterator = executor.map((n: number) => n, [1, 2]);
  await executor.shutdown();
  await assertRejects(() => iterator.next(), ExecutorShutdownError);
  assertThrows(
    () => executor.map((n: number) => n, [1]),
    ExecutorShutdownError,
  );
});

Deno.test("map() iterating while shutdown waits finishes its held work", async () => {
  const executor = new AsyncExecutor({ maxConcurrency: 2 });
  const iterator = executor.map(
    async (n: number) => {
      await tick();
      return n;
    },
    [0, 1, 2, 3, 4, 5],
    { buffersize: 2 },
  );
  assertEquals((await iterator.next()).value, 0);
  const stopping = executor.shutdown({ wait: false });
  // What was submitted before shutdown still comes out; the rest cannot be
  // submitted and fails at its position.
  const results: number[] = [];
  await assertRejects(async () => {
    for await (const n of iterator) results.push(n);
  }, ExecutorShutdownError);
  assertEquals(results, [1, 2]);
  await stopping;
});

// Through a bare MapHost: what only a host can make happen. -----------------

function fakeHost(
  submitChunk: MapHost["submitChunk"],
): MapHost {
  return { parallelism: 1, checkOpen() {}, submitChunk };
}

Deno.test("mapImpl: a failed chunk fails each of its items", async () => {
  let calls = 0;
  const host = fakeHost(<T, R>(_fn: unknown, items: T[]) => {
    const future = new Future<Settled<Awaited<R>>[]>();
    calls++;
    if (calls === 2) future.setException(new EvalError("chunk lost"));
    else {
      future.setResult(
        items.map((value) => ({ ok: true, value: value as Awaited<R> })),
      );
    }
    return future;
  });
  const results: number[] = [];
  await assertRejects(async () => {
    for await (
      const n of mapImpl(host, (n: number) => n, [1, 2, 3, 4, 5], {
        chunksize: 2,
      })
    ) results.push(n);
  }, EvalError);
  assertEquals(results, [1, 2]);
});

Deno.test("mapImpl: a cancelled chunk fails with CancelledError", async () => {
  const host = fakeHost(<T, R>(_fn: unknown, _items: T[]) => {
    const future = new Future<Settled<Awaited<R>>[]>();
    future.cancel();
    return future;
  });
  await assertRejects(
    () => mapImpl(host, (n: number) => n, [1]).next(),
    CancelledError,
  );
});

Deno.test("mapImpl: submitChunk throwing fails at that position, pulls no more", async () => {
  let calls = 0;
  const source = countingNaturals();
  const host = fakeHost(<T, R>(_fn: unknown, items: T[]) => {
    if (++calls === 3) throw new ExecutorShutdownError();
    const future = new Future<Settled<Awaited<R>>[]>();
    future.setResult(
      items.map((value) => ({ ok: true, value: value as Awaited<R> })),
    );
    return future;
  });
  const results: number[] = [];
  await assertRejects(async () => {
    for await (
      const n of mapImpl(host, (n: number) => n, source.items(), {
        buffersize: 2,
      })
    ) results.push(n);
  }, ExecutorShutdownError);
  assertEquals(results, [0, 1]);
  assert(source.closed, "the source is closed");
});

Deno.test("mapImpl: cancels the held futures on break", async () => {
  const held: Future<unknown>[] = [];
  const host = fakeHost(<T, R>(_fn: unknown, _items: T[]) => {
    const future = new Future<Settled<Awaited<R>>[]>();
    held.push(future);
    if (held.length === 1) {
      future.setRunningOrNotifyCancel();
      future.setResult([{ ok: true, value: 0 as Awaited<R> }]);
    }
    return future;
  });
  for await (const _ of mapImpl(host, (n: number) => n, [0, 1, 2, 3])) break;
  assertEquals(held.length, 4, "the default buffersize (128) holds them all");
  assertEquals(held[0].state, "finished");
  for (const future of held.slice(1)) assertEquals(future.state, "cancelled");
});

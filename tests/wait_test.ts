// Copyright 2026 the @concurrent/futures authors. MIT license.

import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { delay } from "@std/async";
import {
  ALL_COMPLETED,
  asCompleted,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  type ReturnWhen,
  TimeoutError,
  wait,
} from "../mod.ts";

function done<T>(value: T): Future<T> {
  const future = new Future<T>();
  future.setResult(value);
  return future;
}

function failed<T>(error: unknown): Future<T> {
  const future = new Future<T>();
  future.setException(error);
  return future;
}

function cancelled<T>(): Future<T> {
  const future = new Future<T>();
  future.cancel();
  return future;
}

// Futures have no own enumerable properties, so assertEquals would find any
// two of them equal: compare by identity.
function assertSameSet(actual: Set<unknown>, expected: unknown[]): void {
  assertEquals(actual.size, new Set(expected).size, "set size");
  for (const item of expected) assert(actual.has(item), "missing a future");
}

function assertSameList(actual: unknown[], expected: unknown[]): void {
  assertEquals(actual.length, expected.length, "length");
  actual.forEach((item, i) => assertStrictEquals(item, expected[i], `at ${i}`));
}

/** Runs `fn` after the current task, once the caller is waiting. */
function later(fn: () => void): void {
  setTimeout(fn, 0);
}

Deno.test("the ReturnWhen constants have their own names as values", () => {
  assertEquals(FIRST_COMPLETED, "FIRST_COMPLETED");
  assertEquals(FIRST_EXCEPTION, "FIRST_EXCEPTION");
  assertEquals(ALL_COMPLETED, "ALL_COMPLETED");
});

Deno.test("wait() of nothing returns two empty sets", async () => {
  const result = await wait([]);
  assertEquals(result.done.size, 0);
  assertEquals(result.notDone.size, 0);
});

Deno.test("wait() ALL_COMPLETED (default) waits for every future", async () => {
  const a = new Future<number>();
  const b = new Future<number>();
  const c = done(3);
  later(() => a.setResult(1));
  later(() => b.cancel());
  const { done: d, notDone } = await wait([a, b, c]);
  assertSameSet(d, [a, b, c]);
  assertEquals(notDone.size, 0);
  const again = await wait([a, b, c], { returnWhen: ALL_COMPLETED });
  assertSameSet(again.done, [a, b, c]);
  assertEquals(again.notDone.size, 0);
});

Deno.test("wait() FIRST_COMPLETED returns when one completes", async () => {
  const a = new Future<number>();
  const b = new Future<number>();
  later(() => b.setResult(2));
  const result = await wait([a, b], { returnWhen: FIRST_COMPLETED });
  assertSameSet(result.done, [b]);
  assertSameSet(result.notDone, [a]);
  // Already-done futures satisfy it at once.
  const c = done(1);
  const now = await wait([a, c], { returnWhen: FIRST_COMPLETED });
  assertSameSet(now.done, [c]);
  assertSameSet(now.notDone, [a]);
  // A cancellation counts as a completion.
  later(() => a.cancel());
  const viaCancel = await wait([a], { returnWhen: FIRST_COMPLETED });
  assertSameSet(viaCancel.done, [a]);
});

Deno.test("wait() FIRST_EXCEPTION returns on the first failure", async () => {
  const ok = new Future<number>();
  const bad = new Future<number>();
  const slow = new Future<number>();
  later(() => {
    ok.setResult(1);
    bad.setException(new Error("x"));
  });
  const result = await wait([ok, bad, slow], { returnWhen: FIRST_EXCEPTION });
  assertSameSet(result.done, [ok, bad]);
  assertSameSet(result.notDone, [slow]);
  // An already-failed future satisfies it at once.
  const now = await wait([slow, failed(new Error("y"))], {
    returnWhen: FIRST_EXCEPTION,
  });
  assertSameSet(now.notDone, [slow]);
  slow.cancel();
});

Deno.test("wait() FIRST_EXCEPTION without failures waits for all", async () => {
  const a = new Future<number>();
  const b = new Future<number>();
  later(() => a.setResult(1));
  // A cancellation is not an exception.
  later(() => setTimeout(() => b.cancel(), 0));
  const result = await wait([a, b], { returnWhen: FIRST_EXCEPTION });
  assertSameSet(result.done, [a, b]);
  assertEquals(result.notDone.size, 0);
});

Deno.test("wait() counts duplicates once", async () => {
  const a = done(1);
  const b = new Future<number>();
  later(() => b.setResult(2));
  const result = await wait([a, a, b, b, b]);
  assertEquals(result.done.size, 2);
  assertSameSet(result.done, [a, b]);
});

Deno.test("wait() accepts any iterable, e.g. a generator or a Set", async () => {
  const futures = [done(1), done(2)];
  function* gen() {
    yield* futures;
  }
  assertEquals((await wait(gen())).done.size, 2);
  assertEquals((await wait(new Set(futures))).done.size, 2);
});

Deno.test("wait() with a timeout returns the sets, never throws", async () => {
  const a = done(1);
  const b = new Future<number>();
  const result = await wait([a, b], { timeout: 5 });
  assertSameSet(result.done, [a]);
  assertSameSet(result.notDone, [b]);
  for (const returnWhen of [FIRST_COMPLETED, FIRST_EXCEPTION] as const) {
    const r = await wait([b], { timeout: 1, returnWhen });
    assertSameSet(r.notDone, [b]);
  }
  assertEquals(b.state, "pending", "a timeout does not cancel");
});

Deno.test("wait() with timeout 0 reports the current state at once", async () => {
  const a = done(1);
  const b = new Future<number>();
  const result = await wait([a, b], { timeout: 0 });
  assertSameSet(result.done, [a]);
  assertSameSet(result.notDone, [b]);
});

Deno.test("wait() completes before a long timeout (timer cleared)", async () => {
  const a = new Future<number>();
  later(() => a.setResult(1));
  const result = await wait([a], { timeout: 60_000 });
  assertSameSet(result.done, [a]);
});

Deno.test("wait() rejects with the signal's reason when aborted", async () => {
  const a = new Future<number>();
  const controller = new AbortController();
  const reason = new Error("abort");
  later(() => controller.abort(reason));
  const error = await assertRejects(() =>
    wait([a], { signal: controller.signal })
  );
  assertStrictEquals(error, reason);
  assertEquals(a.state, "pending");
  await assertRejects(
    () => wait([a], { signal: AbortSignal.abort(new RangeError("r")) }),
    RangeError,
  );
  // When already satisfied, an aborted signal does not matter.
  const b = done(1);
  const r = await wait([b], { signal: AbortSignal.abort() });
  assertSameSet(r.done, [b]);
});

Deno.test("wait() does not mutate its result after returning", async () => {
  const a = new Future<number>();
  const result = await wait([a], { timeout: 0 });
  a.setResult(1);
  assertSameSet(result.notDone, [a]);
  assertEquals(result.done.size, 0);
});

Deno.test("wait() rejects invalid options", async () => {
  const a = new Future<number>();
  await assertRejects(() => wait([a], { timeout: -1 }), RangeError);
  await assertRejects(
    () => wait([a], { returnWhen: "SOMETIME" as ReturnWhen }),
    RangeError,
  );
  // deno-lint-ignore no-explicit-any
  await assertRejects(() => wait([a], { timeout: "5" as any }), TypeError);
  // deno-lint-ignore no-explicit-any
  await assertRejects(() => wait([a], { signal: 1 as any }), TypeError);
  // deno-lint-ignore no-explicit-any
  await assertRejects(() => wait([a], "x" as any), TypeError);
});

// asCompleted ---------------------------------------------------------------

// TypeScript types a `for await` variable as the awaited element (`number`
// here) though asCompleted yields the Future objects (checked below): the
// loops below collect into `unknown[]`.

Deno.test("asCompleted() yields done futures first, then in completion order", async () => {
  const first = new Future<number>();
  const second = new Future<number>();
  const already = done(0);
  const seen: unknown[] = [];
  const iterator = asCompleted([first, second, already]);
  later(() => {
    second.setResult(2);
    setTimeout(() => first.setResult(1), 0);
  });
  for await (const future of iterator) seen.push(future);
  assertSameList(seen, [already, second, first]);
});

Deno.test("asCompleted() yields Future objects, not values", async () => {
  const a = done(5);
  const b = failed<number>(new Error("no"));
  const c = cancelled<number>();
  const seen: unknown[] = [];
  for await (const future of asCompleted([a, b, c])) seen.push(future);
  assertEquals(seen.length, 3);
  for (const item of seen) assert(item instanceof Future);
  assertSameSet(new Set(seen), [a, b, c]);
});

Deno.test("asCompleted() yields each future once, duplicates included", async () => {
  const a = done(1);
  const b = new Future<number>();
  later(() => b.setResult(2));
  const seen: unknown[] = [];
  for await (const future of asCompleted([a, b, a, b])) seen.push(future);
  assertSameList(seen, [a, b]);
});

Deno.test("asCompleted() of nothing ends at once", async () => {
  const iterator = asCompleted([]);
  assertEquals(await iterator.next(), { done: true, value: undefined });
  assertEquals(await iterator.next(), { done: true, value: undefined });
});

Deno.test("asCompleted() throws TimeoutError when futures are left", async () => {
  const a = done(1);
  const b = new Future<number>();
  const seen: unknown[] = [];
  await assertRejects(
    async () => {
      for await (const future of asCompleted([a, b], { timeout: 5 })) {
        seen.push(future);
      }
    },
    TimeoutError,
  );
  assertSameList(seen, [a]);
  assertEquals(b.state, "pending", "a timeout does not cancel");
  // Its waiter is gone: completing it later disturbs nothing.
  b.setResult(2);
});

Deno.test("asCompleted() with timeout 0 yields done ones, then throws", async () => {
  const a = done(1);
  const c = cancelled<number>();
  const b = new Future<number>();
  const iterator = asCompleted([b, a, c], { timeout: 0 });
  const first = await iterator.next();
  const second = await iterator.next();
  assertSameSet(new Set([first.value, second.value]), [a, c]);
  await assertRejects(() => iterator.next(), TimeoutError);
  assertEquals(await iterator.next(), { done: true, value: undefined });
  // All done already: timeout 0 does not throw.
  const all: unknown[] = [];
  for await (const f of asCompleted([a, c], { timeout: 0 })) all.push(f);
  assertEquals(all.length, 2);
});

Deno.test("asCompleted() timeout is counted from the call", async () => {
  const a = new Future<number>();
  const iterator = asCompleted([a], { timeout: 1 });
  // Spend more than the timeout before iterating.
  await delay(10);
  await assertRejects(() => iterator.next(), TimeoutError);
});

Deno.test("asCompleted() finishes before a long timeout (timer cleared)", async () => {
  const a = new Future<number>();
  later(() => a.setResult(1));
  const seen: unknown[] = [];
  for await (const f of asCompleted([a], { timeout: 60_000 })) seen.push(f);
  assertSameList(seen, [a]);
});

Deno.test("asCompleted() throws the signal's reason when aborted", async () => {
  const a = new Future<number>();
  const b = done(2);
  const controller = new AbortController();
  const reason = new Error("enough");
  const seen: unknown[] = [];
  const error = await assertRejects(async () => {
    for await (const f of asCompleted([a, b], { signal: controller.signal })) {
      seen.push(f);
      later(() => controller.abort(reason));
    }
  });
  assertStrictEquals(error, reason);
  assertSameList(seen, [b]);
  assertEquals(a.state, "pending");
});

Deno.test("asCompleted() with an aborted signal throws at the first next()", async () => {
  const iterator = asCompleted([done(1)], {
    signal: AbortSignal.abort(new RangeError("pre-aborted")),
  });
  await assertRejects(() => iterator.next(), RangeError);
  assertEquals(await iterator.next(), { done: true, value: undefined });
});

Deno.test("asCompleted() early return removes its waiters", async () => {
  const a = done(1);
  const b = new Future<number>();
  const c = new Future<number>();
  const seen: unknown[] = [];
  for await (const f of asCompleted([a, b, c])) {
    seen.push(f);
    break;
  }
  assertSameList(seen, [a]);
  // Completing the rest must not feed the closed iterator.
  b.setResult(2);
  c.cancel();
  assertEquals(b.state, "finished");
});

Deno.test("asCompleted() return() ends a next() that is waiting", async () => {
  const a = new Future<number>();
  const iterator = asCompleted([a], { timeout: 60_000 });
  const pending = iterator.next();
  await iterator.return!();
  assertEquals(await pending, { done: true, value: undefined });
  a.setResult(1);
});

Deno.test("asCompleted() serves overlapping next() calls in order", async () => {
  const a = new Future<number>();
  const b = new Future<number>();
  const iterator = asCompleted([a, b]);
  const calls = [iterator.next(), iterator.next(), iterator.next()];
  later(() => {
    b.setResult(2);
    a.setResult(1);
  });
  const results = await Promise.all(calls);
  assertSameList(results.map((r) => r.value), [b, a, undefined]);
  assertEquals(results[2].done, true);
});

Deno.test("asCompleted() rejects invalid options synchronously", () => {
  const a = new Future<number>();
  let threw = 0;
  for (
    const options of [
      { timeout: -1 },
      { timeout: "1" },
      { signal: "x" },
    ]
  ) {
    try {
      // deno-lint-ignore no-explicit-any
      asCompleted([a], options as any);
    } catch (error) {
      assert(error instanceof RangeError || error instanceof TypeError);
      threw++;
    }
  }
  assertEquals(threw, 3);
});

// Copyright 2026 the @concurrent/futures authors. MIT license.

import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import {
  CancelledError,
  Future,
  InvalidStateError,
  TimeoutError,
} from "../mod.ts";
import { kForceCancel } from "../executors/_internal.ts";

/** Replaces console.error for the duration of `fn`, returning what it got. */
function captureConsoleError(fn: () => void): unknown[][] {
  const original = console.error;
  const calls: unknown[][] = [];
  console.error = (...args: unknown[]) => calls.push(args);
  try {
    fn();
  } finally {
    console.error = original;
  }
  return calls;
}

Deno.test("Future starts pending", () => {
  const future = new Future<number>();
  assertEquals(future.state, "pending");
  assertFalse(future.running());
  assertFalse(future.done());
  assertFalse(future.cancelled());
});

Deno.test("Future pending -> running -> finished with a value", async () => {
  const future = new Future<number>();
  assert(future.setRunningOrNotifyCancel());
  assertEquals(future.state, "running");
  assert(future.running());
  assertFalse(future.done());
  future.setResult(5);
  assertEquals(future.state, "finished");
  assert(future.done());
  assertFalse(future.running());
  assertFalse(future.cancelled());
  assertEquals(await future.result(), 5);
  assertEquals(await future.exception(), undefined);
  assertEquals(await future, 5);
});

Deno.test("Future pending -> finished directly (no running step)", async () => {
  const future = new Future<string>();
  future.setResult("x");
  assertEquals(future.state, "finished");
  assertEquals(await future, "x");
});

Deno.test("Future running -> finished with an error", async () => {
  const future = new Future<number>();
  future.setRunningOrNotifyCancel();
  const error = new RangeError("bad");
  future.setException(error);
  assertEquals(future.state, "finished");
  assertStrictEquals(await future.exception(), error);
  const thrown = await assertRejects(() => future.result(), RangeError, "bad");
  assertStrictEquals(thrown, error);
  await assertRejects(async () => await future, RangeError);
});

Deno.test("Future keeps a non-Error thrown value, even undefined", async () => {
  const future = new Future<number>();
  future.setException(42);
  assertEquals(await future.exception(), 42);
  try {
    await future;
    throw new Error("unreachable");
  } catch (error) {
    assertEquals(error, 42);
  }
  // A task may throw `undefined`: the future failed all the same.
  const undef = new Future<number>();
  undef.setException(undefined);
  let caught = false;
  try {
    await undef.result();
  } catch (error) {
    caught = true;
    assertEquals(error, undefined);
  }
  assert(caught);
});

Deno.test("Future.cancel: pending -> cancelled, idempotent", async () => {
  const future = new Future<number>();
  assert(future.cancel());
  assertEquals(future.state, "cancelled");
  assert(future.cancelled());
  assert(future.done());
  assertFalse(future.running());
  assert(future.cancel(), "cancelling a cancelled future returns true");
  await assertRejects(() => future.result(), CancelledError);
  await assertRejects(() => future.exception(), CancelledError);
  await assertRejects(async () => await future, CancelledError);
});

Deno.test("Future.cancel on a running or finished future returns false", () => {
  const running = new Future<number>();
  running.setRunningOrNotifyCancel();
  assertFalse(running.cancel());
  assertFalse(running.cancel({ force: true }), "no way to stop it installed");
  assertEquals(running.state, "running");
  running.setResult(1);
  assertFalse(running.cancel());
  assertFalse(running.cancel({ force: true }));
  assertEquals(running.state, "finished");

  const failed = new Future<number>();
  failed.setException(new Error("x"));
  assertFalse(failed.cancel());
});

Deno.test("Future.cancel rejects options of the wrong type", () => {
  const future = new Future();
  // deno-lint-ignore no-explicit-any
  assertThrows(() => future.cancel(1 as any), TypeError);
  assertEquals(future.state, "pending");
});

Deno.test("setRunningOrNotifyCancel returns false after cancel", () => {
  const future = new Future();
  future.cancel();
  assertFalse(future.setRunningOrNotifyCancel());
  assertEquals(future.state, "cancelled");
});

Deno.test("setRunningOrNotifyCancel throws on running or finished", () => {
  const future = new Future();
  future.setRunningOrNotifyCancel();
  assertThrows(() => future.setRunningOrNotifyCancel(), InvalidStateError);
  future.setResult(1);
  assertThrows(() => future.setRunningOrNotifyCancel(), InvalidStateError);
});

Deno.test("setResult/setException on a done future throw InvalidStateError", async () => {
  const finished = new Future<number>();
  finished.setResult(1);
  assertThrows(() => finished.setResult(2), InvalidStateError);
  assertThrows(() => finished.setException(new Error()), InvalidStateError);
  assertEquals(await finished, 1, "the first outcome stays");

  const failed = new Future<number>();
  failed.setException(new Error("first"));
  assertThrows(() => failed.setResult(2), InvalidStateError);
  assertThrows(
    () => failed.setException(new Error("second")),
    InvalidStateError,
  );
  await assertRejects(() => failed.result(), Error, "first");

  const cancelled = new Future<number>();
  cancelled.cancel();
  assertThrows(() => cancelled.setResult(2), InvalidStateError);
  assertThrows(() => cancelled.setException(new Error()), InvalidStateError);
  assertEquals(cancelled.state, "cancelled");
});

Deno.test("Future is covariant: a Future<string> is a Future<unknown>", () => {
  const future: Future<unknown> = new Future<string>();
  assertEquals(future.state, "pending");
});

Deno.test("done callbacks run synchronously, once, in the order added", () => {
  const future = new Future<number>();
  const seen: string[] = [];
  future.addDoneCallback((f) => seen.push(`a:${f.state}`));
  future.addDoneCallback((f) => {
    assertStrictEquals(f, future);
    seen.push("b");
  });
  future.addDoneCallback(() => seen.push("c"));
  assertEquals(seen, []);
  future.setResult(1);
  assertEquals(seen, ["a:finished", "b", "c"], "ran inside setResult");
  assertThrows(() => future.setResult(2), InvalidStateError);
  future.cancel();
  assertEquals(seen, ["a:finished", "b", "c"], "ran exactly once");
});

Deno.test("done callbacks run on cancel and on setException", () => {
  const cancelled = new Future<number>();
  const failed = new Future<number>();
  const seen: string[] = [];
  cancelled.addDoneCallback((f) => seen.push(f.state));
  failed.addDoneCallback((f) => seen.push(f.state));
  cancelled.cancel();
  assertEquals(seen, ["cancelled"]);
  failed.setException(new Error("x"));
  assertEquals(seen, ["cancelled", "finished"]);
});

Deno.test("addDoneCallback on a done future calls it at once", () => {
  const future = new Future<number>();
  future.setResult(3);
  let calls = 0;
  future.addDoneCallback(() => calls++);
  assertEquals(calls, 1);
});

Deno.test("addDoneCallback rejects a non-function", () => {
  // deno-lint-ignore no-explicit-any
  assertThrows(() => new Future().addDoneCallback(1 as any), TypeError);
});

Deno.test("a throwing done callback is reported and does not stop the others", () => {
  const future = new Future<number>();
  const seen: number[] = [];
  const boom = new Error("callback failed");
  future.addDoneCallback(() => seen.push(1));
  future.addDoneCallback(() => {
    throw boom;
  });
  future.addDoneCallback(() => seen.push(3));
  const reports = captureConsoleError(() => future.setResult(0));
  assertEquals(seen, [1, 3]);
  assertEquals(future.state, "finished");
  assertEquals(reports.length, 1);
  assert(reports[0].includes(boom), "the error is reported");

  // Already done: the callback throws synchronously inside addDoneCallback,
  // which still must not throw.
  const late = captureConsoleError(() =>
    future.addDoneCallback(() => {
      throw boom;
    })
  );
  assertEquals(late.length, 1);
});

Deno.test("result() waits for a later setResult", async () => {
  const future = new Future<number>();
  const pending = future.result();
  const awaited = (async () => await future)();
  setTimeout(() => future.setResult(9), 0);
  assertEquals(await pending, 9);
  assertEquals(await awaited, 9);
});

Deno.test("result() rejects CancelledError when cancelled while waiting", async () => {
  const future = new Future<number>();
  const pending = future.result();
  const awaited = (async () => await future)();
  future.cancel();
  await assertRejects(() => pending, CancelledError);
  await assertRejects(() => awaited, CancelledError);
});

Deno.test("result({ timeout }) rejects TimeoutError without cancelling", async () => {
  const future = new Future<number>();
  await assertRejects(() => future.result({ timeout: 1 }), TimeoutError);
  await assertRejects(() => future.exception({ timeout: 1 }), TimeoutError);
  assertEquals(future.state, "pending", "a timeout does not cancel");
  future.setResult(2);
  assertEquals(await future.result({ timeout: 1 }), 2);
});

Deno.test("result({ timeout: 0 }) rejects at once unless done", async () => {
  const future = new Future<number>();
  await assertRejects(() => future.result({ timeout: 0 }), TimeoutError);
  future.setResult(1);
  assertEquals(await future.result({ timeout: 0 }), 1);
});

Deno.test("result() with a timeout is satisfied before it elapses", async () => {
  const future = new Future<number>();
  const pending = future.result({ timeout: 60_000 });
  future.setResult(4);
  // The 60 s timer must be cleared (the sanitizer checks it).
  assertEquals(await pending, 4);
});

Deno.test("result() rejects invalid options", async () => {
  const future = new Future<number>();
  await assertRejects(() => future.result({ timeout: -1 }), RangeError);
  await assertRejects(() => future.result({ timeout: NaN }), RangeError);
  // deno-lint-ignore no-explicit-any
  await assertRejects(() => future.result({ timeout: "1" as any }), TypeError);
  // deno-lint-ignore no-explicit-any
  await assertRejects(() => future.result({ signal: {} as any }), TypeError);
  // deno-lint-ignore no-explicit-any
  await assertRejects(() => future.result(5 as any), TypeError);
});

Deno.test("result({ signal }) rejects with the reason when aborted", async () => {
  const future = new Future<number>();
  const controller = new AbortController();
  const pending = future.result({ signal: controller.signal });
  const reason = new Error("stop waiting");
  controller.abort(reason);
  const error = await assertRejects(() => pending);
  assertStrictEquals(error, reason);
  assertEquals(future.state, "pending", "aborting the wait does not cancel");

  const aborted = AbortSignal.abort(new RangeError("already"));
  await assertRejects(() => future.exception({ signal: aborted }), RangeError);
  future.setResult(1);
  // Done beats an aborted signal: the value is there.
  assertEquals(await future.result({ signal: aborted }), 1);
});

Deno.test("result({ signal }) after completion removes its listener", async () => {
  const future = new Future<number>();
  const controller = new AbortController();
  const pending = future.result({ signal: controller.signal, timeout: 10_000 });
  future.setResult(8);
  assertEquals(await pending, 8);
  controller.abort(); // must not affect anything now
  assertEquals(await future, 8);
});

Deno.test("then() chains like a promise", async () => {
  const future = new Future<number>();
  const doubled = future.then((n) => n * 2);
  const recovered = new Future<number>().then(undefined, () => "recovered");
  future.setResult(21);
  assertEquals(await doubled, 42);

  const failing = new Future<number>();
  const caught = failing.then(() => "no", (e) => (e as Error).message);
  failing.setException(new Error("yes"));
  assertEquals(await caught, "yes");

  const cancelled = new Future<number>();
  cancelled.cancel();
  assertInstanceOf(await cancelled.then(() => null, (e) => e), CancelledError);
  // `recovered` never settles; nothing keeps the test alive for it.
  assertInstanceOf(recovered, Promise);
});

Deno.test("Promise.all and Promise.race accept futures", async () => {
  const a = new Future<number>();
  const b = new Future<number>();
  a.setResult(1);
  b.setResult(2);
  assertEquals(await Promise.all([a, b]), [1, 2]);
  assertEquals(await Promise.race([a, b]), 1);
});

Deno.test("a failed future nobody awaits causes no unhandled rejection", async () => {
  const future = new Future<number>();
  future.setException(new Error("ignored"));
  const cancelled = new Future<number>();
  cancelled.cancel();
  // Give the runtime a turn to report an unhandled rejection, if any.
  await delay(0);
});

Deno.test("cancel({ force: true }) uses the executor's stop hook", async () => {
  // Reached through the executors in practice; here through the internal
  // symbol an executor installs.
  const future = new Future<number>();
  future.setRunningOrNotifyCancel();
  let stops = 0;
  future[kForceCancel](() => {
    stops++;
    return true;
  });
  const seen: string[] = [];
  future.addDoneCallback((f) => seen.push(f.state));
  assertFalse(future.cancel(), "without force a running future stays");
  assertEquals(stops, 0);
  assert(future.cancel({ force: true }));
  assertEquals(stops, 1);
  assertEquals(future.state, "cancelled");
  assertEquals(seen, ["cancelled"]);
  await assertRejects(() => future.result(), CancelledError);

  const refused = new Future<number>();
  refused.setRunningOrNotifyCancel();
  refused[kForceCancel](() => false);
  assertFalse(refused.cancel({ force: true }));
  assertEquals(refused.state, "running");
});

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
  AsyncExecutor,
  CancelledError,
  ExecutorShutdownError,
  type Future,
  task,
  tasks,
  TimeoutError,
} from "../mod.ts";
import type * as CoreMath from "./fixtures/core_math.ts";

const fixture = import.meta.resolve("./fixtures/core_math.ts");

/** A promise opened from outside. */
function gate<T = void>(): PromiseWithResolvers<T> {
  return Promise.withResolvers<T>();
}

/** Lets queued microtasks and one macrotask turn run. */
function tick(): Promise<void> {
  return delay(0);
}

/**
 * Tracks calls in flight: `enter()` at the start of a task, `leave()` at its
 * end; `peak` is the most seen at once.
 */
function inFlightCounter() {
  const counter = {
    now: 0,
    peak: 0,
    started: 0,
    enter() {
      counter.now++;
      counter.started++;
      counter.peak = Math.max(counter.peak, counter.now);
    },
    leave() {
      counter.now--;
    },
  };
  return counter;
}

Deno.test("AsyncExecutor defaults to maxConcurrency 32", async () => {
  await using executor = new AsyncExecutor();
  assertEquals(executor.maxConcurrency, 32);
  await using other = new AsyncExecutor({});
  assertEquals(other.maxConcurrency, 32);
});

Deno.test("AsyncExecutor rejects invalid options", () => {
  for (const maxConcurrency of [0, -1, 1.5, NaN, Infinity]) {
    assertThrows(() => new AsyncExecutor({ maxConcurrency }), RangeError);
  }
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => new AsyncExecutor({ maxConcurrency: "2" as any }),
    TypeError,
  );
  // deno-lint-ignore no-explicit-any
  assertThrows(() => new AsyncExecutor(4 as any), TypeError);
});

Deno.test("submit() runs sync and async functions and closures", async () => {
  await using executor = new AsyncExecutor();
  const offset = 100; // closures are fine on the event loop
  const sync = executor.submit((a: number, b: number) => a + b + offset, 1, 2);
  const async = executor.submit(async (s: string) => {
    await tick();
    return s.toUpperCase();
  }, "hi");
  const noArgs = executor.submit(() => undefined);
  assertEquals(await sync, 103);
  assertEquals(await async, "HI");
  assertEquals(await noArgs, undefined);
  assertEquals(sync.state, "finished");
});

Deno.test("submit() never runs the function inside the call", async () => {
  await using executor = new AsyncExecutor();
  let ran = false;
  const future = executor.submit(() => {
    ran = true;
    return 1;
  });
  assertFalse(ran);
  assertEquals(future.state, "pending");
  assertEquals(await future, 1);
  assert(ran);
});

Deno.test("passes arguments by reference without transfer", async () => {
  await using executor = new AsyncExecutor();
  const object = { n: 1 };
  const same = await executor.submit((o: object) => o, object);
  assertStrictEquals(same, object);
});

Deno.test("a throwing or rejecting function fails only its own future", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const before = executor.submit(() => "before");
  const throws = executor.submit(() => {
    throw new RangeError("sync");
  });
  const rejects = executor.submit(() => Promise.reject(new TypeError("async")));
  const nonError = executor.submit(() => {
    throw "a string";
  });
  const after = executor.submit(() => "after");
  assertEquals(await before, "before");
  await assertRejects(() => throws.result(), RangeError, "sync");
  await assertRejects(() => rejects.result(), TypeError, "async");
  assertEquals(await nonError.exception(), "a string");
  assertEquals(await after, "after");
});

Deno.test("submit()/run() reject a bad callable or arguments", async () => {
  await using executor = new AsyncExecutor();
  // deno-lint-ignore no-explicit-any
  assertThrows(() => executor.submit(42 as any), TypeError);
  // deno-lint-ignore no-explicit-any
  assertThrows(() => executor.run(() => 1, "args" as any), TypeError);
  assertThrows(() => executor.run(() => 1, [], { timeout: -5 }), RangeError);
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => executor.run(() => 1, [], { timeout: "5" as any }),
    TypeError,
  );
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => executor.run(() => 1, [], { signal: {} as any }),
    TypeError,
  );
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => executor.run(() => 1, [], { transfer: {} as any }),
    TypeError,
  );
  // deno-lint-ignore no-explicit-any
  assertThrows(() => executor.run(() => 1, [], 3 as any), TypeError);
});

Deno.test("at most maxConcurrency calls are in flight", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 3 });
  const counter = inFlightCounter();
  const gates = Array.from({ length: 10 }, () => gate());
  const futures = gates.map((g, i) =>
    executor.submit(async () => {
      counter.enter();
      await g.promise;
      counter.leave();
      return i;
    })
  );
  await tick();
  assertEquals(counter.now, 3);
  assertEquals(futures.filter((f) => f.running()).length, 3);
  assertEquals(futures.filter((f) => f.state === "pending").length, 7);
  // Release them in an order other than the start order.
  for (const i of [1, 0, 2, 5, 4, 3, 9, 8, 7, 6]) {
    gates[i].resolve();
    await tick();
    assert(counter.now <= 3);
  }
  assertEquals(await Promise.all(futures), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assertEquals(counter.peak, 3);
  assertEquals(counter.started, 10);
});

Deno.test("maxConcurrency is reached when there is enough work", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 5 });
  const counter = inFlightCounter();
  const release = gate();
  const futures = Array.from({ length: 20 }, () =>
    executor.submit(async () => {
      counter.enter();
      await release.promise;
      counter.leave();
    }));
  await tick();
  assertEquals(counter.peak, 5);
  release.resolve();
  await Promise.all(futures);
  assertEquals(counter.peak, 5);
  assertEquals(counter.started, 20);
});

Deno.test("work starts in FIFO order", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 2 });
  const order: number[] = [];
  const futures = Array.from(
    { length: 8 },
    (_, i) =>
      executor.submit(async () => {
        order.push(i);
        await tick();
      }),
  );
  await Promise.all(futures);
  assertEquals(order, [0, 1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("cancel() of a queued task: it never runs and frees its place", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const hold = gate();
  const ran: string[] = [];
  const first = executor.submit(async () => {
    ran.push("first");
    await hold.promise;
  });
  const second = executor.submit(() => ran.push("second"));
  const third = executor.submit(() => ran.push("third"));
  await tick();
  assertEquals(first.state, "running");
  assert(second.cancel());
  assertEquals(second.state, "cancelled");
  await assertRejects(() => second.result(), CancelledError);
  hold.resolve();
  await third;
  assertEquals(ran, ["first", "third"]);
});

Deno.test("cancel() of a running task returns false and lets it finish", async () => {
  await using executor = new AsyncExecutor();
  const hold = gate();
  const future = executor.submit(async () => {
    await hold.promise;
    return "finished";
  });
  await tick();
  assertEquals(future.state, "running");
  assertFalse(future.cancel());
  hold.resolve();
  assertEquals(await future, "finished");
});

Deno.test("cancel({ force: true }) of a running task settles it at once", async () => {
  const executor = new AsyncExecutor({ maxConcurrency: 1 });
  const hold = gate();
  let ended = false;
  const future = executor.submit(async () => {
    await hold.promise;
    ended = true;
    return "dropped";
  });
  const next = executor.submit(() => "next");
  await tick();
  assert(future.cancel({ force: true }));
  assertEquals(future.state, "cancelled");
  await assertRejects(() => future.result(), CancelledError);
  // The function runs on and keeps its slot: the next task waits for it.
  await tick();
  assertEquals(next.state, "pending");
  let shutDown = false;
  const stopping = executor.shutdown().then(() => shutDown = true);
  await tick();
  assertFalse(shutDown, "shutdown waits for the function itself");
  hold.resolve();
  await stopping;
  assert(ended);
  assertEquals(await next, "next");
  assertEquals(future.state, "cancelled", "the late result is dropped");
});

Deno.test("run({ signal }) cancels a queued task", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const hold = gate();
  const blocker = executor.submit(() => hold.promise);
  const controller = new AbortController();
  let ran = false;
  const future = executor.run(() => ran = true, [], {
    signal: controller.signal,
  });
  await tick();
  controller.abort();
  assertEquals(future.state, "cancelled");
  hold.resolve();
  await blocker;
  await tick();
  assertFalse(ran);
});

Deno.test("run({ signal }) aborted while running settles the future", async () => {
  await using executor = new AsyncExecutor();
  const hold = gate();
  const controller = new AbortController();
  const future = executor.run(() => hold.promise, [], {
    signal: controller.signal,
  });
  await tick();
  assertEquals(future.state, "running");
  controller.abort();
  assertEquals(future.state, "cancelled");
  hold.resolve();
});

Deno.test("run({ signal }) already aborted: cancelled, never runs", async () => {
  await using executor = new AsyncExecutor();
  let ran = false;
  const future = executor.run(() => ran = true, [], {
    signal: AbortSignal.abort(),
  });
  assertEquals(future.state, "cancelled");
  await tick();
  assertFalse(ran);
});

Deno.test("run({ signal }) aborted after completion changes nothing", async () => {
  await using executor = new AsyncExecutor();
  const controller = new AbortController();
  const future = executor.run(() => 5, [], { signal: controller.signal });
  assertEquals(await future, 5);
  controller.abort();
  assertEquals(future.state, "finished");
  assertEquals(await future, 5);
});

Deno.test("run({ timeout }) fails a running task with TimeoutError", async () => {
  await using executor = new AsyncExecutor();
  const hold = gate<string>();
  const future = executor.run(() => hold.promise, [], { timeout: 1 });
  await assertRejects(() => future.result(), TimeoutError);
  assertEquals(future.state, "finished");
  hold.resolve("late");
  await tick();
  assertInstanceOf(await future.exception(), TimeoutError);
});

Deno.test("run({ timeout }) fails a queued task that never gets to start", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const hold = gate();
  const blocker = executor.submit(() => hold.promise);
  let ran = false;
  const future = executor.run(() => ran = true, [], { timeout: 1 });
  await assertRejects(() => future.result(), TimeoutError);
  hold.resolve();
  await blocker;
  await tick();
  assertFalse(ran, "a timed-out queued task does not run");
});

Deno.test("run({ timeout }) finishing in time clears its timer", async () => {
  await using executor = new AsyncExecutor();
  const controller = new AbortController();
  // A 60 s timer left behind would fail the sanitizer.
  const future = executor.run(
    async (n: number) => {
      await tick();
      return n;
    },
    [7],
    { timeout: 60_000, signal: controller.signal },
  );
  assertEquals(await future, 7);
});

Deno.test("run({ transfer }) detaches the buffers at the call", async () => {
  await using executor = new AsyncExecutor();
  const buffer = new Uint8Array([1, 2, 3]).buffer;
  const future = executor.run(
    (b: ArrayBuffer) => new Uint8Array(b).reduce((a, n) => a + n, 0),
    [buffer],
    { transfer: [buffer] },
  );
  assertEquals(buffer.byteLength, 0, "detached when run() returns");
  assertEquals(await future, 6);
});

Deno.test("run({ transfer }) with uncloneable arguments fails the future", async () => {
  await using executor = new AsyncExecutor();
  const buffer = new ArrayBuffer(8);
  const future = executor.run((_f: () => void) => 1, [() => {}], {
    transfer: [buffer],
  });
  const error = await future.exception();
  assertInstanceOf(error, DOMException);
  assertEquals(error.name, "DataCloneError");
});

Deno.test("runs a module Task, sync or async", async () => {
  await using executor = new AsyncExecutor();
  const math = tasks<typeof CoreMath>(fixture);
  assertEquals(await executor.submit(math.square, 7), 49);
  assertEquals(await executor.submit(math.addLater, 2, 3), 5);
  assertEquals(
    await executor.submit(task<(n: number) => number>(fixture), 4),
    8,
  );
  await assertRejects(
    () => executor.submit(math.fail, "from a task").result(),
    RangeError,
    "from a task",
  );
});

Deno.test("a Task naming no function fails its future with TypeError", async () => {
  await using executor = new AsyncExecutor();
  const notAFunction = task(fixture, "answer");
  await assertRejects(
    () => executor.submit(notAFunction).result(),
    TypeError,
    "not a function",
  );
  const missing = task(fixture, "nope");
  await assertRejects(() => executor.submit(missing).result(), TypeError);
});

Deno.test("done callbacks see the final state", async () => {
  await using executor = new AsyncExecutor();
  const states: string[] = [];
  const future = executor.submit(() => 1);
  future.addDoneCallback((f) => states.push(f.state));
  await future;
  assertEquals(states, ["finished"]);
});

Deno.test("shutdown() waits for queued and running work", async () => {
  const executor = new AsyncExecutor({ maxConcurrency: 2 });
  const finished: number[] = [];
  const futures = Array.from(
    { length: 6 },
    (_, i) =>
      executor.submit(async () => {
        await tick();
        finished.push(i);
      }),
  );
  await executor.shutdown();
  assertEquals(finished.length, 6);
  for (const future of futures) assertEquals(future.state, "finished");
});

Deno.test("shutdown({ wait: false }) returns at once; queued work still runs", async () => {
  const executor = new AsyncExecutor({ maxConcurrency: 1 });
  const hold = gate();
  const first = executor.submit(() => hold.promise);
  const second = executor.submit(() => "second");
  await executor.shutdown({ wait: false });
  assertEquals(second.state, "pending");
  assertThrows(() => executor.submit(() => 1), ExecutorShutdownError);
  hold.resolve();
  await first;
  assertEquals(await second, "second");
  await executor.shutdown(); // and again, waiting: already idle
});

Deno.test("shutdown({ cancelFutures: true }) cancels what has not started", async () => {
  const executor = new AsyncExecutor({ maxConcurrency: 1 });
  const hold = gate();
  const started = gate();
  const running = executor.submit(async () => {
    started.resolve();
    await hold.promise;
    return "ran";
  });
  const queued = [executor.submit(() => 1), executor.submit(() => 2)];
  await started.promise;
  const stopping = executor.shutdown({ cancelFutures: true });
  for (const future of queued) assertEquals(future.state, "cancelled");
  assertEquals(running.state, "running");
  hold.resolve();
  await stopping;
  assertEquals(await running, "ran");
});

Deno.test("shutdown({ wait: false, cancelFutures: true })", async () => {
  const executor = new AsyncExecutor({ maxConcurrency: 1 });
  const hold = gate();
  const started = gate();
  const running = executor.submit(async () => {
    started.resolve();
    await hold.promise;
  });
  const queued = executor.submit(() => 1);
  await started.promise;
  await executor.shutdown({ wait: false, cancelFutures: true });
  assertEquals(queued.state, "cancelled");
  assertEquals(running.state, "running");
  hold.resolve();
  await running;
});

Deno.test("shutdown() twice is fine, concurrently too", async () => {
  const executor = new AsyncExecutor();
  const hold = gate();
  const future = executor.submit(() => hold.promise);
  const a = executor.shutdown();
  const b = executor.shutdown();
  hold.resolve();
  await Promise.all([a, b]);
  assertEquals(future.state, "finished");
  await executor.shutdown();
  await executor.shutdown({ wait: false });
});

Deno.test("shutdown() rejects options of the wrong type", async () => {
  const executor = new AsyncExecutor();
  // deno-lint-ignore no-explicit-any
  await assertRejects(() => executor.shutdown({ wait: 1 as any }), TypeError);
  await assertRejects(
    // deno-lint-ignore no-explicit-any
    () => executor.shutdown({ cancelFutures: "yes" as any }),
    TypeError,
  );
  // Still open: the bad call changed nothing.
  assertEquals(await executor.submit(() => 2), 2);
  await executor.shutdown();
});

Deno.test("submit/run/map after shutdown throw ExecutorShutdownError", async () => {
  const executor = new AsyncExecutor();
  await executor.shutdown();
  assertThrows(() => executor.submit(() => 1), ExecutorShutdownError);
  assertThrows(() => executor.run(() => 1, []), ExecutorShutdownError);
  assertThrows(
    () => executor.map((n: number) => n, [1]),
    ExecutorShutdownError,
  );
});

Deno.test("await using shuts down and waits", async () => {
  let future: Future<string> | undefined;
  let executorRef: AsyncExecutor | undefined;
  {
    await using executor = new AsyncExecutor();
    executorRef = executor;
    future = executor.submit(async () => {
      await tick();
      return "done";
    });
  }
  assertEquals(future.state, "finished");
  assertThrows(() => executorRef!.submit(() => 1), ExecutorShutdownError);
});

Deno.test("Symbol.asyncDispose is shutdown({ wait: true })", async () => {
  const executor = new AsyncExecutor({ maxConcurrency: 1 });
  const futures = [1, 2, 3].map((n) =>
    executor.submit(async () => {
      await tick();
      return n;
    })
  );
  await executor[Symbol.asyncDispose]();
  for (const future of futures) assertEquals(future.state, "finished");
});

Deno.test("a returned thenable is adopted; a throwing then getter fails the future", async () => {
  await using executor = new AsyncExecutor();
  const thenable = {
    then(resolve: (value: string) => void) {
      resolve("from a thenable");
    },
  };
  assertEquals(await executor.submit(() => thenable), "from a thenable");
  const hostile = {
    get then(): never {
      throw new URIError("then getter");
    },
  };
  await assertRejects(
    () => executor.submit(() => hostile).result(),
    URIError,
    "then getter",
  );
});

Deno.test("a sync function's slot is free for the next at once", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const futures = Array.from(
    { length: 100 },
    (_, i) => executor.submit(() => i),
  );
  assertEquals(await Promise.all(futures), futures.map((_, i) => i));
});

// Copyright 2026 the @concurrent/futures authors. MIT license.
// Retries and delays on AsyncExecutor: the API contract's "Retries and
// delays", statement by statement. Timings are asserted as lower bounds only
// (a timer never fires early), never as upper bounds.

import {
  assert,
  assertEquals,
  assertFalse,
  assertGreaterOrEqual,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import {
  AsyncExecutor,
  CancelledError,
  currentTask,
  QueueFullError,
  type RetryOptions,
  TimeoutError,
} from "../mod.ts";

/** No jitter, so that the waits are known lower bounds. */
const quick: RetryOptions = { attempts: 3, delay: 1, jitter: false };

/** A task failing its first `failures` runs. */
function flaky(failures: number) {
  const attempts: number[] = [];
  const fn = () => {
    attempts.push(currentTask()!.attempt);
    if (attempts.length <= failures) {
      throw new Error(`failure ${attempts.length}`);
    }
    return `ok after ${attempts.length}`;
  };
  return { fn, attempts };
}

Deno.test("retry: runs again after errors until one succeeds", async () => {
  await using executor = new AsyncExecutor();
  const { fn, attempts } = flaky(2);
  assertEquals(await executor.run(fn, [], { retry: quick }), "ok after 3");
  assertEquals(attempts, [1, 2, 3]);
  const stats = executor.stats();
  assertEquals([stats.completed, stats.failed], [1, 0]);
  assertEquals(stats.runTime.count, 3, "each run is timed");
});

Deno.test("retry: an async task's rejection is retried too", async () => {
  await using executor = new AsyncExecutor();
  let runs = 0;
  const result = await executor.run(
    async () => {
      await delay(0);
      if (++runs < 2) throw new Error("rejected");
      return runs;
    },
    [],
    { retry: quick },
  );
  assertEquals(result, 2);
});

Deno.test("retry: after `attempts` runs the future fails with the last error", async () => {
  await using executor = new AsyncExecutor();
  const { fn, attempts } = flaky(10);
  const error = await executor.run(fn, [], { retry: quick }).exception();
  assertEquals((error as Error).message, "failure 3");
  assertEquals(attempts, [1, 2, 3]);
  assertEquals(executor.stats().failed, 1);
});

Deno.test("retry: attempts 1 means a single run", async () => {
  await using executor = new AsyncExecutor();
  const { fn, attempts } = flaky(1);
  await assertRejects(
    () => executor.run(fn, [], { retry: { attempts: 1 } }).result(),
    Error,
    "failure 1",
  );
  assertEquals(attempts, [1]);
});

Deno.test("retry: waits the delays, doubling with exponential backoff", async () => {
  await using executor = new AsyncExecutor();
  const times: number[] = [];
  await executor.run(
    () => {
      times.push(performance.now());
      if (times.length < 4) throw new Error("again");
    },
    [],
    {
      retry: { attempts: 4, delay: 10, backoff: "exponential", jitter: false },
    },
  );
  // A timer never fires early (1 ms for clock granularity).
  assertGreaterOrEqual(times[1] - times[0], 10 - 1);
  assertGreaterOrEqual(times[2] - times[1], 20 - 1);
  assertGreaterOrEqual(times[3] - times[2], 40 - 1);
});

Deno.test("retry: fixed backoff, capped by maxDelay, jitter within [d/2, d]", async () => {
  await using executor = new AsyncExecutor();
  const times: number[] = [];
  await executor.run(
    () => {
      times.push(performance.now());
      if (times.length < 3) throw new Error("again");
    },
    [],
    {
      retry: { attempts: 3, delay: 30, maxDelay: 15, backoff: "fixed" },
    },
  );
  // Jitter draws each wait from [7.5, 15]: at least 7.5 ms.
  assertGreaterOrEqual(times[1] - times[0], 7.5 - 1);
  assertGreaterOrEqual(times[2] - times[1], 7.5 - 1);
});

Deno.test("retry: the future stays running through the waits; cancel() is false", async () => {
  await using executor = new AsyncExecutor();
  const failed = Promise.withResolvers<void>();
  let runs = 0;
  const future = executor.run(
    () => {
      runs++;
      if (runs === 1) {
        queueMicrotask(failed.resolve);
        throw new Error("first");
      }
      return "second";
    },
    [],
    { retry: { attempts: 2, delay: 30, jitter: false } },
  );
  await failed.promise;
  await delay(0);
  assertEquals(future.state, "running");
  assertFalse(future.cancel());
  const stats = executor.stats();
  assertEquals([stats.queued, stats.running], [0, 0], "a wait holds no slot");
  assertEquals(await future, "second");
});

Deno.test("retry: cancel({ force: true }) during the wait stops it for good", async () => {
  await using executor = new AsyncExecutor();
  let runs = 0;
  const future = executor.run(
    () => {
      runs++;
      throw new Error("fails");
    },
    [],
    { retry: { attempts: 5, delay: 20, jitter: false } },
  );
  await delay(5);
  assertEquals(future.state, "running");
  assert(future.cancel({ force: true }));
  assert(future.cancelled());
  await delay(40);
  assertEquals(runs, 1, "never ran again");
  assertEquals(executor.stats().cancelled, 1);
});

Deno.test("retry: the run's signal aborting during the wait cancels it", async () => {
  await using executor = new AsyncExecutor();
  const controller = new AbortController();
  let runs = 0;
  const future = executor.run(
    () => {
      runs++;
      throw new Error("fails");
    },
    [],
    {
      signal: controller.signal,
      retry: { attempts: 5, delay: 20, jitter: false },
    },
  );
  await delay(5);
  controller.abort();
  assert(future.cancelled());
  await delay(30);
  assertEquals(runs, 1);
});

Deno.test("retry: never after a stop (a force-cancelled run that then throws)", async () => {
  await using executor = new AsyncExecutor();
  const started = Promise.withResolvers<void>();
  const release = Promise.withResolvers<void>();
  let runs = 0;
  const future = executor.run(
    async () => {
      runs++;
      started.resolve();
      await release.promise;
      throw new Error("after the stop");
    },
    [],
    { retry: quick },
  );
  await started.promise;
  future.cancel({ force: true });
  release.resolve();
  await delay(20);
  assertEquals(runs, 1);
  assert(future.cancelled());
});

Deno.test("retry: never after a timeout; timeout spans every attempt", async () => {
  await using executor = new AsyncExecutor();
  let runs = 0;
  const future = executor.run(
    () => {
      runs++;
      throw new Error("fails");
    },
    [],
    {
      timeout: 60,
      retry: { attempts: 1_000, delay: 20, backoff: "fixed", jitter: false },
    },
  );
  assertInstanceOf(await future.exception(), TimeoutError);
  const after = runs;
  assert(after >= 1 && after <= 4, `ran ${after} times in 60 ms`);
  await delay(40);
  assertEquals(runs, after, "no run after the timeout");
});

Deno.test("retry: a timeout during a retried run aborts that run's signal", async () => {
  await using executor = new AsyncExecutor();
  const signals: AbortSignal[] = [];
  const release = Promise.withResolvers<void>();
  const future = executor.run(
    async () => {
      signals.push(currentTask()!.signal);
      if (signals.length === 1) throw new Error("first");
      await release.promise;
    },
    [],
    { timeout: 30, retry: quick },
  );
  const error = await future.exception();
  assertInstanceOf(error, TimeoutError);
  assertEquals(signals.length, 2);
  assertFalse(signals[0].aborted, "the first run had ended");
  assertStrictEquals(signals[1].reason, error);
  release.resolve();
});

Deno.test("retry: a retry re-enters the queue behind its priority's waiting tasks", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const order: string[] = [];
  const release = Promise.withResolvers<void>();
  let aRuns = 0;
  const a = executor.run(
    () => {
      order.push(`a${++aRuns}`);
      if (aRuns === 1) throw new Error("again");
    },
    [],
    { retry: { attempts: 2, delay: 1, jitter: false } },
  );
  const blocker = executor.submit(async () => {
    order.push("blocker");
    await release.promise;
  });
  const low = executor.run(() => order.push("low"), [], { priority: 1 });
  const same = executor.submit(() => order.push("same"));
  await delay(20); // the retry's 1 ms timer fired: it waits in the queue
  assertEquals(executor.stats().queued, 3);
  release.resolve();
  await Promise.all([a, blocker, low, same]);
  assertEquals(order, ["a1", "blocker", "same", "a2", "low"]);
});

Deno.test("retry: shutdown({ wait }) waits for the retries; cancelFutures leaves them", async () => {
  const executor = new AsyncExecutor();
  const { fn, attempts } = flaky(2);
  const future = executor.run(fn, [], {
    retry: { attempts: 3, delay: 10, jitter: false },
  });
  await delay(0);
  await executor.shutdown({ cancelFutures: true });
  assertEquals(attempts, [1, 2, 3]);
  assertEquals(await future, "ok after 3");
});

Deno.test("retry: shutdown({ cancelFutures }) keeps a retry already queued", async () => {
  const executor = new AsyncExecutor({ maxConcurrency: 1 });
  const release = Promise.withResolvers<void>();
  const { fn, attempts } = flaky(1);
  const retried = executor.run(fn, [], {
    retry: { attempts: 2, delay: 1, jitter: false },
  });
  const blocker = executor.submit(() => release.promise);
  const pending = executor.submit(() => "never");
  await delay(20); // the retry waits in the queue behind `pending`
  assertEquals(executor.stats().queued, 2);
  const stopped = executor.shutdown({ cancelFutures: true });
  assert(pending.cancelled());
  assertEquals(retried.state, "running");
  release.resolve();
  await stopped;
  await blocker;
  assertEquals(await retried, "ok after 2");
  assertEquals(attempts, [1, 2]);
});

Deno.test("retry: 'idle' only after the last attempt", async () => {
  await using executor = new AsyncExecutor();
  const events: string[] = [];
  executor.addEventListener("idle", () => events.push("idle"));
  const { fn } = flaky(1);
  const future = executor.run(fn, [], {
    retry: { attempts: 2, delay: 10, jitter: false },
  });
  future.addDoneCallback(() => events.push("done"));
  await future;
  await delay(0);
  assertEquals(events, ["done", "idle"]);
});

Deno.test("map: retry runs a failing chunk again as a whole", async () => {
  await using executor = new AsyncExecutor();
  const calls: number[] = [];
  let failed = false;
  const results = await Array.fromAsync(
    executor.map(
      (n: number) => {
        calls.push(n);
        if (n === 2 && !failed) {
          failed = true;
          throw new Error("once");
        }
        return n * 10;
      },
      [1, 2, 3, 4],
      { chunksize: 2, retry: quick },
    ),
  );
  assertEquals(results, [10, 20, 30, 40]);
  // Item 1 ran twice: its chunk [1, 2] was retried whole.
  assertEquals(calls.filter((n) => n === 1).length, 2);
  assertEquals(calls.filter((n) => n === 3).length, 1);
});

Deno.test("map: retries exhausted, the item's error comes at its position", async () => {
  await using executor = new AsyncExecutor();
  const seen: number[] = [];
  let runsOfTwo = 0;
  await assertRejects(
    async () => {
      for await (
        const value of executor.map(
          (n: number) => {
            if (n === 2) {
              runsOfTwo++;
              throw new Error("always");
            }
            return n;
          },
          [1, 2, 3],
          { chunksize: 3, retry: quick },
        )
      ) {
        seen.push(value);
      }
    },
    Error,
    "always",
  );
  assertEquals(seen, [1]);
  assertEquals(runsOfTwo, 3);
});

Deno.test("map: retry in each chunk's context", async () => {
  await using executor = new AsyncExecutor();
  const attempts: number[] = [];
  let failures = 0;
  const results = await Array.fromAsync(
    executor.map(
      async (n: number) => {
        await delay(0);
        attempts.push(currentTask()!.attempt);
        if (failures++ < 1) throw new Error("once");
        return n;
      },
      [7],
      { retry: quick },
    ),
  );
  assertEquals(results, [7]);
  assertEquals(attempts, [1, 2]);
});

Deno.test("map: stopping early ends the retries of the chunks it held", async () => {
  const executor = new AsyncExecutor();
  let runs = 0;
  const results = executor.map(
    (n: number) => {
      if (n === 2) {
        runs++;
        throw new Error("always");
      }
      return n;
    },
    [1, 2],
    { retry: { attempts: 100, delay: 10_000, jitter: false } },
  );
  for await (const value of results) {
    assertEquals(value, 1);
    break; // the chunk [2] waits 10 s for its second attempt
  }
  // shutdown waits for work still running: nothing is left.
  await executor.shutdown();
  assertEquals(runs, 1);
});

Deno.test("retry: invalid values throw at the call", () => {
  const executor = new AsyncExecutor();
  const run = (retry: unknown) => () =>
    executor.run(() => 1, [], { retry: retry as RetryOptions });
  assertThrows(run("3"), TypeError, "'retry' must be an object");
  assertThrows(run({}), TypeError, "'retry.attempts' is required");
  assertThrows(run({ attempts: 0 }), RangeError, "'retry.attempts'");
  assertThrows(run({ attempts: 1.5 }), RangeError, "'retry.attempts'");
  assertThrows(run({ attempts: 2, delay: -1 }), RangeError, "'retry.delay'");
  assertThrows(
    run({ attempts: 2, delay: Infinity }),
    RangeError,
    "'retry.delay'",
  );
  assertThrows(run({ attempts: 2, delay: "1" }), TypeError, "'retry.delay'");
  assertThrows(
    run({ attempts: 2, backoff: "linear" }),
    TypeError,
    "'retry.backoff'",
  );
  assertThrows(run({ attempts: 2, jitter: 1 }), TypeError, "'retry.jitter'");
  assertThrows(
    run({ attempts: 2, maxDelay: -5 }),
    RangeError,
    "'retry.maxDelay'",
  );
  assertThrows(
    () => executor.map((n: number) => n, [1], { retry: { attempts: 0 } }),
    RangeError,
    "'retry.attempts'",
  );
  assertEquals(executor.stats().queued, 0, "nothing was queued");
  return executor.shutdown();
});

// delay

Deno.test("delay: the future waits pending, then the task starts", async () => {
  await using executor = new AsyncExecutor();
  const submitted = performance.now();
  let started = 0;
  const future = executor.run(
    () => {
      started = performance.now();
      return "ran";
    },
    [],
    { delay: 20 },
  );
  await delay(0);
  assertEquals(future.state, "pending");
  assertEquals(executor.stats().queued, 1, "a delayed task counts as queued");
  assertEquals(await future, "ran");
  assertGreaterOrEqual(started - submitted, 20 - 1);
});

Deno.test("delay: cancel() cancels it; it never runs and leaves no timer", async () => {
  await using executor = new AsyncExecutor();
  let ran = false;
  const future = executor.run(() => ran = true, [], { delay: 10_000 });
  assert(future.cancel());
  await assertRejects(() => future.result(), CancelledError);
  assertFalse(ran);
  const stats = executor.stats();
  assertEquals([stats.queued, stats.cancelled], [0, 1]);
  // The test sanitizer fails this test if the 10 s timer were left.
});

Deno.test("delay: the run's signal and timeout stop a delayed task", async () => {
  await using executor = new AsyncExecutor();
  const controller = new AbortController();
  const bySignal = executor.run(() => 1, [], {
    delay: 10_000,
    signal: controller.signal,
  });
  const byTimeout = executor.run(() => 1, [], { delay: 10_000, timeout: 5 });
  controller.abort();
  assert(bySignal.cancelled());
  assertInstanceOf(await byTimeout.exception(), TimeoutError);
  assertEquals(executor.stats().queued, 0);
});

Deno.test("delay: once passed, priority orders it among the waiting tasks", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const order: string[] = [];
  const release = Promise.withResolvers<void>();
  const blocker = executor.submit(async () => {
    order.push("blocker");
    await release.promise;
  });
  const plain = executor.submit(() => order.push("plain"));
  const late = executor.run(() => order.push("late"), [], { priority: 1 });
  const urgent = executor.run(() => order.push("urgent"), [], {
    delay: 5,
    priority: -1,
  });
  await delay(30);
  assertEquals(order, ["blocker"]);
  release.resolve();
  await Promise.all([blocker, plain, late, urgent]);
  assertEquals(order, ["blocker", "urgent", "plain", "late"]);
});

Deno.test("delay: counts against maxQueue", async () => {
  await using executor = new AsyncExecutor({ maxQueue: 1 });
  const first = executor.run(() => 1, [], { delay: 10_000 });
  assertThrows(
    () => executor.run(() => 2, [], { delay: 10_000 }),
    QueueFullError,
  );
  first.cancel();
  executor.run(() => 3, [], { delay: 1 });
});

Deno.test("delay: shutdown waits for delayed tasks; cancelFutures cancels them", async () => {
  const executor = new AsyncExecutor();
  const ran = executor.run(() => "ran", [], { delay: 10 });
  await executor.shutdown();
  assertEquals(await ran, "ran");

  const other = new AsyncExecutor();
  const cancelled = other.run(() => "never", [], { delay: 10_000 });
  await other.shutdown({ cancelFutures: true });
  assert(cancelled.cancelled());
});

Deno.test("delay: invalid values throw at the call", () => {
  const executor = new AsyncExecutor();
  const run = (value: unknown) => () =>
    executor.run(() => 1, [], { delay: value as number });
  assertThrows(run(-1), RangeError, "'delay' must be a number >= 0");
  assertThrows(run(Infinity), RangeError, "'delay'");
  assertThrows(run(NaN), RangeError, "'delay'");
  assertThrows(run("5"), TypeError, "'delay' must be a number");
  return executor.shutdown();
});

Deno.test("delay: a pending delayed task keeps the program alive", async () => {
  const module = import.meta.resolve("../mod.ts");
  const script = `
    import { AsyncExecutor } from ${JSON.stringify(module)};
    const executor = new AsyncExecutor();
    executor.run(() => console.log("ran"), [], { delay: 50 });
  `;
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", script],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assertEquals(code, 0);
  assertEquals(new TextDecoder().decode(stdout).trim(), "ran");
});

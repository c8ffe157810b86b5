// Copyright 2026 the @concurrent/futures authors. MIT license.
// progress() and onProgress on AsyncExecutor: ordered, coalesced, never after
// settlement, the last value always delivered.

import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { delay } from "@std/async";
import { AsyncExecutor, currentTask, task } from "../mod.ts";
import type * as ContextTasks from "./fixtures/async_context_tasks.ts";

const fixture = import.meta.resolve("./fixtures/async_context_tasks.ts");

Deno.test("onProgress: values arrive in order, each turn's last one", async () => {
  await using executor = new AsyncExecutor();
  const values: unknown[] = [];
  const result = await executor.run(
    async () => {
      for (let i = 1; i <= 5; i++) {
        currentTask()!.progress(i);
        await delay(0);
      }
      return "done";
    },
    [],
    { onProgress: (value) => values.push(value) },
  );
  assertEquals(result, "done");
  assertEquals(values, [1, 2, 3, 4, 5]);
});

Deno.test("onProgress: a tight loop's reports coalesce to the last value", async () => {
  await using executor = new AsyncExecutor();
  const values: unknown[] = [];
  await executor.run(
    () => {
      const context = currentTask()!;
      for (let i = 0; i < 10_000; i++) context.progress(i);
    },
    [],
    { onProgress: (value) => values.push(value) },
  );
  assertEquals(values, [9_999]);
});

Deno.test("onProgress: within one synchronous stretch, one delivery", async () => {
  await using executor = new AsyncExecutor();
  const values: unknown[] = [];
  await executor.run(
    async () => {
      const context = currentTask()!;
      context.progress("a");
      context.progress("b");
      await delay(0);
      context.progress("c");
      await delay(0);
    },
    [],
    { onProgress: (value) => values.push(value) },
  );
  assertEquals(values, ["b", "c"]);
});

Deno.test("onProgress: the last value arrives before the future settles", async () => {
  await using executor = new AsyncExecutor();
  const values: unknown[] = [];
  let seenAtSettle: unknown[] = [];
  const future = executor.run(
    async () => {
      await delay(0);
      currentTask()!.progress("last");
      return 1; // settles before the microtask that would deliver "last"
    },
    [],
    { onProgress: (value) => values.push(value) },
  );
  future.addDoneCallback(() => seenAtSettle = [...values]);
  await future;
  assertEquals(seenAtSettle, ["last"]);
  assertEquals(values, ["last"]);
});

Deno.test("onProgress: the last value also arrives when the task fails", async () => {
  await using executor = new AsyncExecutor();
  const values: unknown[] = [];
  const future = executor.run(
    () => {
      currentTask()!.progress(99);
      throw new Error("failed");
    },
    [],
    { onProgress: (value) => values.push(value) },
  );
  await future.exception();
  assertEquals(values, [99]);
});

Deno.test("onProgress: never after the future settled (cancel, timeout)", async () => {
  await using executor = new AsyncExecutor();
  const values: unknown[] = [];
  const release = Promise.withResolvers<void>();
  const started = Promise.withResolvers<void>();
  const cancelled = executor.run(
    async () => {
      const context = currentTask()!;
      context.progress("before");
      started.resolve();
      await release.promise;
      context.progress("after the stop");
    },
    [],
    { onProgress: (value) => values.push(value) },
  );
  await started.promise;
  cancelled.cancel({ force: true });
  release.resolve();
  await delay(5);
  assertEquals(values, ["before"]);

  const timedOut: unknown[] = [];
  const slow = Promise.withResolvers<void>();
  const future = executor.run(
    async () => {
      await slow.promise;
      currentTask()!.progress("too late");
    },
    [],
    { timeout: 5, onProgress: (value) => timedOut.push(value) },
  );
  await future.exception();
  slow.resolve();
  await delay(5);
  assertEquals(timedOut, []);
});

Deno.test("onProgress: a value held when the task is stopped is dropped", async () => {
  await using executor = new AsyncExecutor();
  const values: unknown[] = [];
  const release = Promise.withResolvers<void>();
  const future = executor.run(
    async () => {
      currentTask()!.progress("dropped");
      await release.promise;
    },
    [],
    { onProgress: (value) => values.push(value) },
  );
  // The task starts in the microtask queued by run(); this one comes next,
  // before the one that would deliver the value the task reported.
  await new Promise<void>((resolve) =>
    queueMicrotask(() => {
      assertEquals(future.state, "running");
      future.cancel({ force: true });
      resolve();
    })
  );
  await delay(0);
  assertEquals(values, []);
  release.resolve();
});

Deno.test("onProgress: a retried task reports from each attempt; a stale run is dropped", async () => {
  await using executor = new AsyncExecutor();
  const values: unknown[] = [];
  let firstRun: ReturnType<typeof currentTask>;
  await executor.run(
    () => {
      const context = currentTask()!;
      context.progress(`attempt ${context.attempt}`);
      if (context.attempt === 1) {
        firstRun = context;
        throw new Error("again");
      }
      firstRun!.progress("from the ended first run");
    },
    [],
    {
      retry: { attempts: 2, delay: 1, jitter: false },
      onProgress: (value) => values.push(value),
    },
  );
  assertEquals(values, ["attempt 1", "attempt 2"]);
});

Deno.test("onProgress: runs outside the task's async context", async () => {
  await using executor = new AsyncExecutor();
  const seen: unknown[] = [];
  await executor.run(
    async () => {
      currentTask()!.progress(1);
      await delay(0);
      currentTask()!.progress(2);
    },
    [],
    { onProgress: () => seen.push(currentTask()) },
  );
  assertEquals(seen, [undefined, undefined]);
});

Deno.test("onProgress: values are passed by reference, as results are", async () => {
  await using executor = new AsyncExecutor();
  const sent = { step: 1 };
  let received: unknown;
  await executor.run(() => currentTask()!.progress(sent), [], {
    onProgress: (value) => received = value,
  });
  assertStrictEquals(received, sent);
});

Deno.test("onProgress: a throwing callback is reported and fails nothing", async () => {
  await using executor = new AsyncExecutor();
  const logged: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  try {
    const result = await executor.run(
      () => {
        currentTask()!.progress(1);
        return "fine";
      },
      [],
      {
        onProgress: () => {
          throw new Error("bad callback");
        },
      },
    );
    assertEquals(result, "fine");
  } finally {
    console.error = original;
  }
  assertEquals(logged.length, 1);
});

Deno.test("onProgress: from a module Task", async () => {
  await using executor = new AsyncExecutor();
  const values: unknown[] = [];
  const report = task<typeof ContextTasks.report>(fixture, "report");
  assertEquals(
    await executor.run(report, [3], { onProgress: (v) => values.push(v) }),
    3,
  );
  assertEquals(values, [1, 2, 3]);
});

Deno.test("onProgress: without one, progress() is a no-op", async () => {
  await using executor = new AsyncExecutor();
  let queued = 0;
  const original = globalThis.queueMicrotask;
  const result = await executor.run(
    () => {
      globalThis.queueMicrotask = (fn) => {
        queued++;
        original(fn);
      };
      try {
        for (let i = 0; i < 100; i++) currentTask()!.progress(i);
      } finally {
        globalThis.queueMicrotask = original;
      }
      return "ok";
    },
    [],
    { timeout: 10_000 },
  );
  assertEquals(result, "ok");
  assertEquals(queued, 0, "nothing was scheduled");
});

Deno.test("onProgress: not a function is a TypeError at the call", () => {
  const executor = new AsyncExecutor();
  let threw = false;
  try {
    executor.run(() => 1, [], {
      onProgress: "no" as unknown as (value: unknown) => void,
    });
  } catch (error) {
    threw = error instanceof TypeError &&
      error.message.includes("'onProgress' must be a function");
  }
  assert(threw);
  return executor.shutdown();
});

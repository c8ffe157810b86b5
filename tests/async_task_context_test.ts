// Copyright 2026 the @concurrent/futures authors. MIT license.
// currentTask() on AsyncExecutor: the API contract's "Inside a task:
// currentTask()" (signal, attempt) statement by statement. progress() is in
// async_progress_test.ts.

import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertNotStrictEquals,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { delay } from "@std/async";
import {
  AsyncExecutor,
  CancelledError,
  currentTask,
  type RunOptions,
  task,
  type TaskContext,
  TimeoutError,
} from "../mod.ts";
import { kFirstAttempt } from "../executors/_internal.ts";
import type * as ContextTasks from "./fixtures/async_context_tasks.ts";

const fixture = import.meta.resolve("./fixtures/async_context_tasks.ts");

Deno.test("currentTask() is undefined outside a task, before and after", async () => {
  assertEquals(currentTask(), undefined);
  await using executor = new AsyncExecutor();
  await executor.submit(() => currentTask());
  assertEquals(currentTask(), undefined);
});

Deno.test("currentTask() in a sync task: attempt 1, a live signal, progress()", async () => {
  await using executor = new AsyncExecutor();
  const [attempt, aborted, progressType] = await executor.submit(() => {
    const context = currentTask()!;
    context.progress("no onProgress: dropped"); // must not throw
    return [context.attempt, context.signal.aborted, typeof context.progress];
  });
  assertEquals([attempt, aborted, progressType], [1, false, "function"]);
});

Deno.test("currentTask() after awaits, with many tasks in flight", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 64 });
  const gates = Array.from({ length: 64 }, () => Promise.withResolvers<void>());
  const seen = new Map<number, TaskContext[]>();
  const futures = gates.map((gate, i) =>
    executor.submit(async (n: number) => {
      const contexts = [currentTask()!];
      await gate.promise;
      contexts.push(currentTask()!);
      await delay(0);
      contexts.push(currentTask()!);
      seen.set(n, contexts);
      return n;
    }, i)
  );
  // Open the gates in reverse: the tasks resume interleaved.
  for (let i = gates.length - 1; i >= 0; i--) gates[i].resolve();
  assertEquals(await Promise.all(futures), gates.map((_, i) => i));
  const firsts = new Set<TaskContext>();
  for (const [, contexts] of seen) {
    assert(contexts[0] !== undefined);
    assertStrictEquals(contexts[1], contexts[0]);
    assertStrictEquals(contexts[2], contexts[0]);
    firsts.add(contexts[0]);
  }
  assertEquals(firsts.size, 64, "each task has a context of its own");
});

Deno.test("currentTask() in code a task schedules: kept from its sync part", async () => {
  await using executor = new AsyncExecutor();
  // Not an `async` function: the context is there while it runs; the task
  // keeps it for its callback, as the docs say.
  const attempt = await executor.run(
    () => {
      const context = currentTask()!;
      return new Promise<number>((resolve) =>
        setTimeout(() => resolve(context.attempt), 1)
      );
    },
    [],
    { [kFirstAttempt]: 2 } as RunOptions,
  );
  assertEquals(attempt, 2);
});

Deno.test("currentTask() in a module Task importing another copy of the module", async () => {
  await using executor = new AsyncExecutor();
  const attemptAfterAwait = task<typeof ContextTasks.attemptAfterAwait>(
    fixture,
    "attemptAfterAwait",
  );
  assertEquals(await executor.submit(attemptAfterAwait), [1, false]);
});

Deno.test("signal: aborted by cancel({ force: true }) with a CancelledError", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  const started = Promise.withResolvers<TaskContext>();
  const release = Promise.withResolvers<void>();
  const heard: unknown[] = [];
  const future = executor.submit(async () => {
    const context = currentTask()!;
    context.signal.addEventListener("abort", () => {
      heard.push(context.signal.reason);
    });
    started.resolve(context);
    await release.promise; // runs on: a function cannot be interrupted
    return "dropped";
  });
  const context = await started.promise;
  assertFalse(context.signal.aborted);
  assert(future.cancel({ force: true }));
  assert(context.signal.aborted);
  assertInstanceOf(context.signal.reason, CancelledError);
  assertEquals(heard.length, 1, "the abort listener ran at the stop");
  await assertRejects(() => future.result(), CancelledError);
  // The function still holds its slot until it ends.
  assertEquals(executor.stats().running, 1);
  release.resolve();
  await delay(0);
  assertEquals(executor.stats().running, 0);
  assertEquals(executor.stats().cancelled, 1);
});

Deno.test("signal: aborted when the run's signal aborts, reason a CancelledError", async () => {
  await using executor = new AsyncExecutor();
  const controller = new AbortController();
  const started = Promise.withResolvers<TaskContext>();
  const release = Promise.withResolvers<void>();
  const future = executor.run(
    async () => {
      started.resolve(currentTask()!);
      await release.promise;
    },
    [],
    { signal: controller.signal },
  );
  const context = await started.promise;
  controller.abort(new Error("the caller's own reason"));
  assert(future.cancelled());
  assert(context.signal.aborted);
  assertInstanceOf(context.signal.reason, CancelledError);
  release.resolve();
});

Deno.test("signal: aborted when the timeout passes, reason the future's TimeoutError", async () => {
  await using executor = new AsyncExecutor();
  const release = Promise.withResolvers<void>();
  let context: TaskContext | undefined;
  const future = executor.run(
    async () => {
      context = currentTask();
      await release.promise;
    },
    [],
    { timeout: 5 },
  );
  const error = await future.exception();
  assertInstanceOf(error, TimeoutError);
  assert(context!.signal.aborted);
  assertStrictEquals(context!.signal.reason, error);
  release.resolve();
});

Deno.test("signal: read only after the stop, it is aborted already", async () => {
  await using executor = new AsyncExecutor();
  const release = Promise.withResolvers<void>();
  const started = Promise.withResolvers<void>();
  const observed = Promise.withResolvers<[boolean, unknown]>();
  const future = executor.submit(async () => {
    const context = currentTask()!; // the signal is not read yet
    started.resolve();
    await release.promise;
    observed.resolve([context.signal.aborted, context.signal.reason]);
  });
  await started.promise;
  future.cancel({ force: true });
  release.resolve();
  const [aborted, reason] = await observed.promise;
  assert(aborted);
  assertInstanceOf(reason, CancelledError);
});

Deno.test("signal: a run that ends normally is never aborted", async () => {
  await using executor = new AsyncExecutor();
  const context = await executor.run(
    async () => {
      await delay(1);
      return currentTask()!;
    },
    [],
    { timeout: 10_000 },
  );
  assertFalse(context.signal.aborted);
});

Deno.test("signal: a task that checks it ends by itself and frees its slot", async () => {
  await using executor = new AsyncExecutor({ maxConcurrency: 1 });
  let rounds = 0;
  const looping = executor.submit(async () => {
    const { signal } = currentTask()!;
    while (!signal.aborted) {
      rounds++;
      await delay(1);
    }
    return "stopped";
  });
  const next = executor.submit(() => "next");
  await delay(5);
  assert(looping.cancel({ force: true }));
  assertEquals(await next, "next");
  assert(rounds > 0);
  assertEquals(executor.stats().running, 0);
});

Deno.test("shutdown({ cancelFutures }) cancels only tasks that never ran: no context", async () => {
  const executor = new AsyncExecutor({ maxConcurrency: 1 });
  const release = Promise.withResolvers<void>();
  const contexts: TaskContext[] = [];
  const running = executor.submit(async () => {
    contexts.push(currentTask()!);
    await release.promise;
    return "ran";
  });
  const waiting = executor.submit(() => contexts.push(currentTask()!));
  await delay(0);
  const stopped = executor.shutdown({ cancelFutures: true });
  assert(waiting.cancelled());
  assertFalse(contexts[0].signal.aborted, "a running task runs on");
  release.resolve();
  await stopped;
  assertEquals(await running, "ran");
  assertEquals(contexts.length, 1);
});

Deno.test("kFirstAttempt: the first run's attempt number", async () => {
  await using executor = new AsyncExecutor();
  const attempts: number[] = [];
  const result = await executor.run(
    () => {
      attempts.push(currentTask()!.attempt);
      if (attempts.length < 2) throw new Error("again");
      return "ok";
    },
    [],
    {
      [kFirstAttempt]: 3,
      retry: { attempts: 5, delay: 1, jitter: false },
    } as RunOptions,
  );
  assertEquals(result, "ok");
  assertEquals(attempts, [3, 4]);
});

Deno.test("kFirstAttempt: attempts count runs in all, earlier ones included", async () => {
  await using executor = new AsyncExecutor();
  let runs = 0;
  const future = executor.run(
    () => {
      runs++;
      throw new Error(`run ${currentTask()!.attempt}`);
    },
    [],
    { [kFirstAttempt]: 2, retry: { attempts: 3, delay: 1 } } as RunOptions,
  );
  assertEquals((await future.exception() as Error).message, "run 3");
  assertEquals(runs, 2);
});

Deno.test("contexts of runs in flight together are distinct objects", async () => {
  await using executor = new AsyncExecutor();
  const gate = Promise.withResolvers<void>();
  const task = async () => {
    const context = currentTask()!;
    await gate.promise;
    return context;
  };
  const a = executor.submit(task);
  const b = executor.submit(task);
  gate.resolve();
  assertNotStrictEquals(await a, await b);
});

Deno.test("a context whose signal was read is never reused", async () => {
  await using executor = new AsyncExecutor();
  const first = await executor.submit(() => {
    const context = currentTask()!;
    void context.signal;
    return context;
  });
  const second = await executor.submit(() => currentTask());
  assertNotStrictEquals(first, second);
  assertFalse(first.signal.aborted);
});

Deno.test("currentTask() in map's function, sync or async, chunked or not", async () => {
  await using executor = new AsyncExecutor();
  const sync = (n: number) => [n, currentTask()?.attempt];
  const later = async (n: number) => {
    await delay(0);
    return [n, currentTask()?.attempt];
  };
  for (const chunksize of [1, 3]) {
    assertEquals(
      await Array.fromAsync(executor.map(sync, [1, 2, 3], { chunksize })),
      [[1, 1], [2, 1], [3, 1]],
    );
    assertEquals(
      await Array.fromAsync(executor.map(later, [1, 2, 3], { chunksize })),
      [[1, 1], [2, 1], [3, 1]],
    );
  }
});

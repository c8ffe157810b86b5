// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * What `currentTask()` costs on AsyncExecutor: 20 000 tiny tasks, sync and
 * async, each without and with reading `currentTask()` (and its `attempt`)
 * in every task; and what `onProgress` costs when every task reports.
 *
 *   deno bench -A --config bench/deno.json bench/task_context_bench.ts
 *
 * The target: reading `currentTask()` in every task costs at most 10%.
 *
 * @module
 */

import { AsyncExecutor, currentTask } from "@concurrent/futures";

const TASKS = 20_000;

async function drain(
  fn: (n: number) => unknown,
  options?: { onProgress?: (value: unknown) => void },
): Promise<void> {
  const executor = new AsyncExecutor();
  let last;
  for (let i = 0; i < TASKS; i++) {
    last = options === undefined
      ? executor.submit(fn, i)
      : executor.run(fn, [i], options);
  }
  await last;
  await executor.shutdown();
}

let sink = 0;

for (const kind of ["sync", "async"] as const) {
  const group = `async-context-${kind}`;
  const plain = kind === "sync"
    ? (n: number) => n + 1
    : (n: number) => Promise.resolve(n + 1);
  const reading = kind === "sync"
    ? (n: number) => n + currentTask()!.attempt
    : (n: number) => Promise.resolve(n + currentTask()!.attempt);
  const asyncReading = async (n: number) => {
    await null;
    return n + currentTask()!.attempt;
  };
  const asyncPlain = async (n: number) => {
    await null;
    return n + 1;
  };
  // Warm up both (JIT and heap), so that the first case measured pays no
  // more than the second.
  for (let i = 0; i < 5; i++) {
    await drain(plain);
    await drain(reading);
  }
  Deno.bench({
    name: `${TASKS} ${kind} tasks`,
    group,
    baseline: true,
    async fn() {
      await drain(plain);
    },
  });
  Deno.bench({
    name: `${TASKS} ${kind} tasks reading currentTask()`,
    group,
    async fn() {
      await drain(reading);
    },
  });
  if (kind === "async") {
    Deno.bench({
      name: `${TASKS} async functions (await inside)`,
      group: "async-context-await",
      baseline: true,
      async fn() {
        await drain(asyncPlain);
      },
    });
    Deno.bench({
      name: `${TASKS} async functions reading currentTask() after an await`,
      group: "async-context-await",
      async fn() {
        await drain(asyncReading);
      },
    });
  }
}

Deno.bench({
  name: `${TASKS} sync tasks with onProgress, none reporting`,
  group: "async-progress",
  baseline: true,
  async fn() {
    await drain((n: number) => n + 1, { onProgress: () => sink++ });
  },
});

Deno.bench({
  name: `${TASKS} sync tasks with onProgress, each reporting 10 values`,
  group: "async-progress",
  async fn() {
    await drain((n: number) => {
      const task = currentTask()!;
      for (let i = 0; i < 10; i++) task.progress(i);
      return n;
    }, { onProgress: () => sink++ });
  },
});

// Copyright 2026 the @concurrent/futures authors. MIT license.
// The contract sections "Inside a task: currentTask()" and "Retries and
// delays", checked on a pool (threads or child processes: the same pool
// logic over two transports). Side effects of runs go to a temp file, which
// both kinds of worker can write.

import {
  assert,
  assertEquals,
  assertGreaterOrEqual,
  assertInstanceOf,
  assertLess,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  CancelledError,
  tasks,
  TimeoutError,
  WorkerCrashedError,
  type WorkerPoolExecutor,
  type WorkerPoolExecutorOptions,
} from "../mod.ts";
import { kFirstAttempt } from "../executors/_internal.ts";
import type * as ContextTasks from "./fixtures/context_tasks.ts";
import { deno, waitFor } from "./fixtures/pool_helpers.ts";
import { delay } from "@std/async";
import { toFileUrl } from "@std/path";

const T = tasks<typeof ContextTasks>(
  import.meta.resolve("./fixtures/context_tasks.ts"),
);

type Pool = new (options?: WorkerPoolExecutorOptions) => WorkerPoolExecutor;

/** A temp file for a run's log; its lines. */
async function logFile(): Promise<{ path: string; lines(): string[] }> {
  const path = await Deno.makeTempFile({ prefix: "ctx-test-" });
  return {
    path,
    lines: () =>
      Deno.readTextFileSync(path).split("\n").filter((line) => line !== ""),
  };
}

/** Records the pool's workerexit reasons. */
function exits(pool: WorkerPoolExecutor): string[] {
  const reasons: string[] = [];
  pool.addEventListener("workerexit", (event) => {
    reasons.push((event as CustomEvent).detail.reason);
  });
  return reasons;
}

/** Registers the shared tests for `Pool`. */
export function contextCases(Pool: Pool): void {
  const name = Pool.name;
  const test = (title: string, fn: () => void | Promise<void>) =>
    Deno.test({ name: `${name}: ${title}`, fn });

  test("currentTask() gives attempt 1 and a live signal, after awaits; undefined outside", async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    assertEquals(await pool.submit(T.info, 1), {
      tag: 1,
      attempt: 1,
      aborted: false,
    });
    // A function sent as source reads it from the global registry too.
    assertEquals(
      await pool.submit(() => {
        const scope = (globalThis as Record<symbol, unknown>)[
          Symbol.for("@concurrent/futures/taskScope")
        ] as { current?: { attempt: number } } | undefined;
        return scope?.current?.attempt;
      }),
      1,
    );
  });

  test("each of several tasks in flight on one worker sees its own context", async () => {
    await using pool = new Pool({ maxWorkers: 1, concurrentTasksPerWorker: 4 });
    const seen = new Map<number, unknown[]>();
    const futures = [1, 2, 3, 4].map((tag) =>
      pool.run(T.tagged, [tag, 10 + 5 * (4 - tag)], {
        onProgress: (value) => {
          seen.set(tag, [...(seen.get(tag) ?? []), value]);
        },
      })
    );
    assertEquals(await Promise.all(futures), [1, 2, 3, 4]);
    for (const tag of [1, 2, 3, 4]) {
      assertEquals(seen.get(tag), [tag, tag * 10]);
    }
  });

  test("a task module may import currentTask from another copy of the module", async () => {
    const dir = await Deno.makeTempDir({ prefix: "ctx-copy-" });
    try {
      const source = new URL("../executors/", import.meta.url);
      await Deno.mkdir(`${dir}/executors`);
      for await (const entry of Deno.readDir(source)) {
        if (!entry.name.endsWith(".ts")) continue;
        await Deno.copyFile(
          new URL(entry.name, source),
          `${dir}/executors/${entry.name}`,
        );
      }
      await Deno.writeTextFile(
        `${dir}/task.ts`,
        `import { currentTask } from "./executors/mod.ts";\n` +
          `export async function read() {\n` +
          `  await Promise.resolve();\n` +
          `  const c = currentTask();\n` +
          `  return [c?.attempt, c?.signal.aborted];\n}\n`,
      );
      await using pool = new Pool({ maxWorkers: 1 });
      const read = tasks<{ read(): Promise<unknown[]> }>(
        toFileUrl(`${dir}/task.ts`),
      ).read;
      assertEquals(await pool.run(read, [], { [kFirstAttempt]: 3 } as object), [
        3,
        false,
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  test("a stopped task's signal aborts with the future's error, its abort event runs, and a task that ends in time keeps its worker", async () => {
    const log = await logFile();
    await using pool = new Pool({ maxWorkers: 1, stopGrace: 5_000 });
    const reasons = exits(pool);
    const before = await pool.submit(() => self.name);
    const future = pool.submit(T.untilAborted, log.path);
    await waitFor(() => log.lines().includes("started"), "the task to start");
    assert(future.cancel({ force: true }));
    assertEquals(future.state, "cancelled"); // settled at once
    await waitFor(() => log.lines().length === 2, "the abort event");
    assertEquals(
      log.lines()[1],
      "abort CancelledError: The future was cancelled",
    );
    // The same worker takes the next task: no respawn.
    assertEquals(await pool.submit(() => self.name), before);
    assertEquals(reasons, []);
    assertEquals(pool.stats().cancelled, 1);
    await Deno.remove(log.path);
  });

  test("a timed out task's signal reason is a TimeoutError", async () => {
    const log = await logFile();
    await using pool = new Pool({ maxWorkers: 1, stopGrace: 5_000 });
    const reasons = exits(pool);
    await pool.submit(T.attempt); // a worker is up, the module loaded
    const future = pool.run(T.untilAborted, [log.path], { timeout: 1_000 });
    const error = await assertRejects(() => future.result(), TimeoutError);
    await waitFor(() => log.lines().length === 2, "the abort event");
    assertEquals(log.lines()[1], `abort TimeoutError: ${error.message}`);
    assertEquals(await pool.submit(() => 1), 1);
    assertEquals(reasons, []);
    await Deno.remove(log.path);
  });

  test("the run's signal aborting stops the task: its signal's reason is the CancelledError", async () => {
    const log = await logFile();
    await using pool = new Pool({ maxWorkers: 1, stopGrace: 5_000 });
    const controller = new AbortController();
    const future = pool.run(T.untilAborted, [log.path], {
      signal: controller.signal,
    });
    await waitFor(() => log.lines().includes("started"), "the task to start");
    controller.abort();
    await assertRejects(() => future.result(), CancelledError);
    await waitFor(() => log.lines().length === 2, "the abort event");
    assertEquals(
      log.lines()[1],
      "abort CancelledError: The future was cancelled",
    );
    await Deno.remove(log.path);
  });

  test("a stopped task that does not end within stopGrace loses its worker", async () => {
    const log = await logFile();
    await using pool = new Pool({ maxWorkers: 1, stopGrace: 20 });
    const reasons = exits(pool);
    const future = pool.submit(T.stubborn, log.path, 1_500);
    await waitFor(() => log.lines().includes("started"), "the task to start");
    future.cancel({ force: true });
    await waitFor(() => reasons.length > 0, "the worker to be stopped");
    assertEquals(reasons, ["stopped"]);
    assertEquals(await pool.submit(() => 2), 2);
    await Deno.remove(log.path);
  });

  test("stopGrace 0 stops the worker at once", async () => {
    const log = await logFile();
    await using pool = new Pool({ maxWorkers: 1, stopGrace: 0 });
    const reasons = exits(pool);
    const future = pool.submit(T.untilAborted, log.path);
    await waitFor(() => log.lines().includes("started"), "the task to start");
    future.cancel({ force: true });
    assertEquals(reasons, ["stopped"]);
    await Deno.remove(log.path);
  });

  test("stopGrace is checked", () => {
    assertThrows(() => new Pool({ stopGrace: -1 }), RangeError, "stopGrace");
    assertThrows(() => new Pool({ stopGrace: 1.5 }), RangeError, "stopGrace");
    assertThrows(
      () => new Pool({ stopGrace: "1" as unknown as number }),
      TypeError,
      "stopGrace",
    );
  });

  test("progress: in order, to the caller, the last value always before the result", async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    for (let round = 0; round < 3; round++) {
      const seen: number[] = [];
      const future = pool.run(T.count, [20_000], {
        onProgress: (value) => seen.push(value as number),
      });
      future.addDoneCallback(() => seen.push(-1));
      assertEquals(await future, "done");
      // Values may be dropped when they come fast, never reordered.
      assertEquals(seen.at(-1), -1);
      assertEquals(seen.at(-2), 20_000);
      // Reported faster than one per ms: coalesced, the latest wins.
      assertLess(seen.length, 20_001);
      for (let i = 1; i < seen.length - 1; i++) {
        assertLess(seen[i - 1], seen[i]);
      }
    }
    // Without onProgress, progress() is a no-op.
    assertEquals(await pool.submit(T.count, 1_000), "done");
  });

  test("progress values are cloned; one that cannot be cloned is dropped", async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    const seen: unknown[] = [];
    assertEquals(
      await pool.run(T.badProgress, [], { onProgress: (v) => seen.push(v) }),
      1,
    );
    assertEquals(seen, [{ ok: new Map([[1, "one"]]) }]);
  });

  test("progress never arrives after the future settled", async () => {
    const log = await logFile();
    await using pool = new Pool({ maxWorkers: 1, stopGrace: 5_000 });
    let after = 0;
    const future = pool.run(T.reportUntilStopped, [log.path], {
      onProgress: () => {
        if (future.done()) after++;
      },
    });
    await waitFor(() => log.lines().includes("started"), "the task to start");
    await delay(20);
    future.cancel({ force: true });
    await waitFor(() => log.lines().length === 2, "the task to end");
    assertEquals(await pool.submit(() => 0), 0);
    assertEquals(after, 0);
    await Deno.remove(log.path);
  });

  test("a failing task is retried with its attempt number; the future settles with the last run", async () => {
    const log = await logFile();
    await using pool = new Pool({ maxWorkers: 1 });
    const retry = { attempts: 3, delay: 1, jitter: false };
    assertEquals(await pool.run(T.flaky, [log.path, 3], { retry }), 3);
    assertEquals(log.lines(), ["run 1", "run 2", "run 3"]);
    await Deno.writeTextFile(log.path, "");
    const error = await assertRejects(
      () => pool.run(T.flaky, [log.path, 9], { retry }).result(),
      RangeError,
    );
    assertEquals(error.message, "attempt 3 failed");
    assertEquals(log.lines().length, 3);
    assertEquals(pool.stats().failed, 1);
    assertEquals(pool.stats().completed, 1);
    await Deno.remove(log.path);
  });

  test("retry waits: exponential backoff doubles the delay, fixed keeps it", async () => {
    const log = await logFile();
    await using pool = new Pool({ maxWorkers: 1 });
    await pool.submit(T.attempt); // a worker is up, the module loaded
    for (const [backoff, least] of [["exponential", 300], ["fixed", 200]]) {
      await Deno.writeTextFile(log.path, "");
      const start = performance.now();
      const retry = {
        attempts: 3,
        delay: 100,
        backoff: backoff as "fixed" | "exponential",
        jitter: false,
      };
      assertEquals(await pool.run(T.flaky, [log.path, 3], { retry }), 3);
      // 100 + 200 ms, or 100 + 100 ms, at least.
      assertGreaterOrEqual(performance.now() - start, (least as number) - 1);
    }
    await Deno.remove(log.path);
  });

  test("a run whose worker dies is retried (WorkerCrashedError)", async () => {
    const log = await logFile();
    await using pool = new Pool({ maxWorkers: 1 });
    const retry = { attempts: 2, delay: 1 };
    assertEquals(await pool.run(T.crashy, [log.path, 2], { retry }), 2);
    assertEquals(log.lines(), ["run 1", "run 2"]);
    await Deno.writeTextFile(log.path, "");
    await assertRejects(
      () => pool.run(T.crashy, [log.path, 5], { retry }).result(),
      WorkerCrashedError,
    );
    assertEquals(log.lines(), ["run 1", "run 2"]);
    await Deno.remove(log.path);
  });

  test("retry: running through the waits, cancel() false, cancel({ force }) stops the wait; never retried after a stop", async () => {
    const log = await logFile();
    await using pool = new Pool({ maxWorkers: 1, stopGrace: 5_000 });
    const retry = { attempts: 5, delay: 10_000 };
    const future = pool.run(T.flaky, [log.path, 9], { retry });
    await waitFor(() => log.lines().length === 1, "the first run");
    await waitFor(() => pool.stats().running === 1 && future.running(), "");
    assertEquals(future.state, "running");
    assertEquals(future.cancel(), false);
    assert(future.cancel({ force: true }));
    await assertRejects(() => future.result(), CancelledError);
    assertEquals(pool.stats().running, 0);
    // Stopped while it ran: no retry.
    await Deno.writeTextFile(log.path, "");
    const stopped = pool.run(T.untilAborted, [log.path], {
      retry: { attempts: 3, delay: 1 },
    });
    await waitFor(() => log.lines().includes("started"), "the task to start");
    stopped.cancel({ force: true });
    await waitFor(() => log.lines().length === 2, "the abort");
    assertEquals(await pool.submit(() => 3), 3);
    await delay(50);
    assertEquals(log.lines().filter((l) => l === "started").length, 1);
    await Deno.remove(log.path);
  });

  test("timeout counts from the call across every attempt", async () => {
    const log = await logFile();
    await using pool = new Pool({ maxWorkers: 1 });
    await pool.submit(T.attempt); // a worker is up, the module loaded
    const start = performance.now();
    const future = pool.run(T.slowFail, [log.path, 30], {
      retry: { attempts: 50, delay: 30, backoff: "fixed", jitter: false },
      timeout: 400,
    });
    // One timeout for all runs: 50 runs of ~60 ms each would each fit in it.
    await assertRejects(() => future.result(), TimeoutError);
    assertGreaterOrEqual(performance.now() - start, 390);
    const runs = log.lines().length;
    assert(runs < 50, `${runs} runs`);
    await delay(100);
    assertEquals(log.lines().length, runs); // and none after it
    await Deno.remove(log.path);
  });

  test("map retries a failed chunk as a whole", async () => {
    const log = await logFile();
    await using pool = new Pool({ maxWorkers: 1 });
    const items = [1, 2, 3].map((n) => [log.path, n] as [string, number]);
    const results = await Array.fromAsync(
      pool.map(T.mapped, items, {
        chunksize: 3,
        retry: { attempts: 2, delay: 1 },
      }),
    );
    assertEquals(results, [10, 20, 30]);
    assertEquals(log.lines(), ["1@1", "2@1", "1@2", "2@2", "3@2"]);
    await Deno.remove(log.path);
  });

  test("delay: pending meanwhile and cancellable, then ordered by priority", async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    await pool.submit(() => 0); // a worker is up
    const start = performance.now();
    const delayed = pool.run(() => performance.now(), [], { delay: 100 });
    const cancelled = pool.run(() => 1, [], { delay: 50 });
    assertEquals(delayed.state, "pending");
    assertEquals(pool.stats().queued, 2);
    assert(cancelled.cancel());
    await assertRejects(() => cancelled.result(), CancelledError);
    await delayed;
    assertGreaterOrEqual(performance.now() - start, 99);
    // Once the delays pass, the lower priority number starts first.
    const order: number[] = [];
    // The worker holds two tasks (one running, one sent ahead): the
    // delayed ones wait in the pool's queue, where priority orders them.
    const busy = (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) { /* keeps the worker busy */ }
    };
    const gate = Promise.all([pool.submit(busy, 300), pool.submit(busy, 1)]);
    const a = pool.run(() => "late", [], { delay: 20, priority: 5 });
    const b = pool.run(() => "early", [], { delay: 40, priority: -5 });
    a.then((v) => order.push(v === "late" ? 2 : 0));
    b.then((v) => order.push(v === "early" ? 1 : 0));
    await Promise.all([gate, a, b]);
    assertEquals(order, [1, 2]);
  });

  test("a pending delayed task keeps the program alive, as a timer does", async () => {
    const mod = new URL("../mod.ts", import.meta.url).href;
    const { code, stdout } = await deno([
      "eval",
      `import { ${name} } from "${mod}";
` +
      `const pool = new ${name}({ maxWorkers: 1 });
` +
      `pool.run(() => "ran", [], { delay: 300 }).then((v) => {
` +
      `  console.log(v); return pool.shutdown();
});
`,
    ]);
    assertEquals(code, 0);
    assertEquals(stdout.trim(), "ran");
  });

  test("the first attempt's number can be given (kFirstAttempt)", async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    assertEquals(
      await pool.run(T.attempt, [], { [kFirstAttempt]: 4 } as object),
      4,
    );
  });

  test("run options are checked at the call", async () => {
    await using pool = new Pool({ maxWorkers: 1 });
    const bad: [object, typeof RangeError | typeof TypeError][] = [
      [{ retry: { attempts: 0 } }, RangeError],
      [{ retry: { attempts: 2, backoff: "linear" } }, TypeError],
      [{ retry: 3 }, TypeError],
      [{ delay: -1 }, RangeError],
      [{ onProgress: 1 }, TypeError],
      [{ timeout: "1" }, TypeError],
      [{ priority: NaN }, RangeError],
    ];
    for (const [options, ErrorClass] of bad) {
      assertThrows(() => pool.run(() => 1, [], options), ErrorClass);
    }
    assertThrows(
      () => pool.map((n: number) => n, [1], { retry: { attempts: -1 } }),
      RangeError,
    );
    assertInstanceOf(pool.run(() => 1, [], {}), Object);
    await pool.shutdown();
  });
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// The worker command's pools (--pool threads|processes|inline) against a
// real redis-server: where jobs run, what a force-stop does on each, the
// processes pool's --max-memory, and currentTask() inside jobs.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertNotEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  CancelledError,
  tasks,
  WorkerCrashedError,
  WorkerPoolExecutor,
} from "../mod.ts";
import { QueueExecutor, serveQueue } from "../distributed/mod.ts";
import { startRedis, startWorker, until } from "./_redis.ts";

const fixtures = new URL("./fixtures/", import.meta.url);
const C = tasks<typeof import("./fixtures/dist_context_tasks.ts")>(
  new URL("dist_context_tasks.ts", fixtures),
);

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // A zombie (state Z) has ended.
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/**
 * Whether this checkout's WorkerPoolExecutor sets currentTask() in its
 * workers (the `pool` branch's work): the threads/processes context tests
 * run once it does.
 */
async function poolsHaveContext(): Promise<boolean> {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  return (await pool.submit(C.context)) !== null;
}
const POOLS_HAVE_CONTEXT = await poolsHaveContext();

Deno.test("worker --pool inline: jobs run on the worker's own event loop, with currentTask()", async () => {
  await using redis = await startRedis();
  const tmp = await Deno.makeTempDir({ prefix: "cf_pool_" });
  await using worker = await startWorker([
    "--redis",
    redis.url,
    "--allow",
    fixtures.href,
    "--pool",
    "inline",
    "--concurrency",
    "4",
  ], {
    flags: ["--allow-net", "--allow-env", "--allow-read", "--allow-write"],
  });
  assertStringIncludes(worker.output(), "pool inline");
  await using executor = new QueueExecutor({ connection: redis.url });
  // Four jobs in flight at once on one process: no thread, no child.
  const pids = await Promise.all(
    Array.from({ length: 4 }, () => executor.submit(C.pid)),
  );
  assertEquals(pids, Array(4).fill(worker.child.pid));
  assertEquals(await executor.submit(C.context), {
    attempt: 1,
    signal: true,
    pid: worker.child.pid,
  });
  // A force-stop aborts the job's signal (reason CancelledError) and the
  // future settles at once; the task sees it and ends.
  const log = `${tmp}/abort.log`;
  const future = executor.submit(C.awaitAbort, log);
  await until(() => future.running());
  assert(future.cancel({ force: true }));
  await assertRejects(() => future.result(), CancelledError);
  await until(async () => {
    try {
      return (await Deno.readTextFile(log)).includes("CancelledError");
    } catch {
      return false;
    }
  });
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("worker --pool processes: a force-stopped `while (true) {}` job's child is killed; --max-memory is enforced", async () => {
  await using redis = await startRedis();
  const tmp = await Deno.makeTempDir({ prefix: "cf_pool_" });
  await using worker = await startWorker([
    "--redis",
    redis.url,
    "--allow",
    fixtures.href,
    "--pool",
    "processes",
    "--workers",
    "1",
    "--max-memory",
    "64",
  ], { flags: ["-A"] });
  assertStringIncludes(worker.output(), "pool processes");
  await using executor = new QueueExecutor({ connection: redis.url });
  const child = await executor.submit(C.pid);
  assertNotEquals(child, worker.child.pid);

  const pidFile = `${tmp}/spin.pid`;
  const spinning = executor.submit(C.spinForever, pidFile);
  await until(async () => {
    try {
      return (await Deno.readTextFile(pidFile)).length > 0;
    } catch {
      return false;
    }
  });
  const spinner = Number(await Deno.readTextFile(pidFile));
  assertEquals(spinner, child);
  assert(alive(spinner));
  await until(() => spinning.running());
  assert(spinning.cancel({ force: true }));
  await assertRejects(() => spinning.result(), CancelledError);
  await until(() => !alive(spinner), 10_000);
  // The pool goes on with a new child.
  const next = await executor.submit(C.pid);
  assertNotEquals(next, spinner);
  assert(alive(next));

  // 64 MiB of heap per child: a job keeping 400 MiB kills its child.
  const error = await assertRejects(
    () => executor.submit(C.allocate, 400).result(),
    WorkerCrashedError,
  );
  assertInstanceOf(error, WorkerCrashedError);
  // One within the limit runs.
  assertEquals(await executor.submit(C.allocate, 8), 8);
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("worker --pool threads (the default): jobs run on worker threads of the worker process", async () => {
  await using redis = await startRedis();
  await using worker = await startWorker([
    "--redis",
    redis.url,
    "--allow",
    fixtures.href,
    "--workers",
    "1",
    "--max-tasks-per-worker",
    "2",
  ]);
  assertStringIncludes(worker.output(), "pool threads");
  await using executor = new QueueExecutor({ connection: redis.url });
  // Same process (threads share the pid), the jobs keep running across
  // the recycled worker (--max-tasks-per-worker 2).
  for (let i = 0; i < 5; i++) {
    assertEquals(await executor.submit(C.pid), worker.child.pid);
  }
});

Deno.test({
  name:
    "currentTask() in jobs on the threads and processes pools (needs the pools' task context)",
  ignore: !POOLS_HAVE_CONTEXT,
  async fn() {
    await using redis = await startRedis();
    for (const pool of ["threads", "processes"]) {
      const queue = `ctx-${pool}`;
      await using _worker = await startWorker([
        "--redis",
        redis.url,
        "--queue",
        queue,
        "--allow",
        fixtures.href,
        "--pool",
        pool,
        "--workers",
        "1",
      ], { flags: ["-A"] });
      await using executor = new QueueExecutor({
        connection: redis.url,
        queue,
      });
      const seen = await executor.submit(C.context);
      assertEquals(seen?.attempt, 1);
      assertEquals(seen?.signal, true);
      // Progress travels from the worker thread or child to the caller.
      const values: unknown[] = [];
      assertEquals(
        await executor.run(C.count, [3, 5], {
          onProgress: (v) => values.push(v),
        }),
        3,
      );
      assertEquals(values, [1, 2, 3]);
    }
  },
});

Deno.test("serveQueue: pool options are checked", () => {
  const base = {
    connection: "redis://127.0.0.1:1",
    allow: [fixtures.href],
  };
  assertThrows(
    () => serveQueue({ ...base, pool: "fork" as "inline" }),
    TypeError,
  );
  assertThrows(
    () => serveQueue({ ...base, pool: "threads", maxMemory: 64 }),
    TypeError,
  );
  assertThrows(
    () => serveQueue({ ...base, pool: "inline", maxTasksPerWorker: 2 }),
    TypeError,
  );
  assertThrows(
    () => serveQueue({ ...base, pool: "processes", maxMemory: 0 }),
    RangeError,
  );
  assertThrows(
    () => serveQueue({ ...base, limiter: { max: 0, duration: 1000 } }),
    RangeError,
  );
  assertThrows(
    () => serveQueue({ ...base, limiter: 5 as never }),
    TypeError,
  );
});

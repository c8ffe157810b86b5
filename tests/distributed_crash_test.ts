// Copyright 2026 the @concurrent/futures authors. MIT license.
// A worker process killed with SIGKILL mid-job loses no work: the job runs
// again on another process (at-least-once), up to maxAttempts runs, then
// its future fails with WorkerCrashedError. Short lock durations keep this
// quick: a dead process's job runs again after ~1.4x --lock-duration.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import { tasks, WorkerCrashedError } from "../mod.ts";
import { QueueExecutor } from "../distributed/mod.ts";
import {
  lines,
  startRedis,
  startWorker,
  until,
  type WorkerProcess,
} from "./_redis.ts";

const fixtures = new URL("./fixtures/", import.meta.url);
const T = tasks<typeof import("./fixtures/dist_tasks.ts")>(
  new URL("dist_tasks.ts", fixtures),
);

Deno.test("QueueExecutor: a worker process killed mid-job loses no job", async () => {
  await using redis = await startRedis();
  const tmp = await Deno.makeTempDir({ prefix: "cf_crash_" });
  const flags = [
    "--allow-net",
    "--allow-env",
    "--allow-read",
    `--allow-write=${tmp}`,
  ];
  const args = [
    "--redis",
    redis.url,
    "--allow",
    fixtures.href,
    "--workers",
    "1",
    "--lock-duration",
    "1000",
  ];
  const workers: WorkerProcess[] = [];
  try {
    workers.push(
      await startWorker(args, { flags }),
      await startWorker(args, { flags }),
    );
    await using executor = new QueueExecutor({ connection: redis.url });
    const log = `${tmp}/runs.log`;
    const futures = Array.from(
      { length: 4 },
      (_, i) => executor.submit(T.logRun, log, `job${i}`, 1500),
    );
    // Both processes hold a job: kill the one that ran job0.
    await until(async () => (await lines(log)).length >= 2, 15_000);
    const first = (await lines(log)).find((l) => l.startsWith("job0 "));
    assert(first !== undefined);
    const pid = Number(first.split(" ")[1]);
    const victim = workers.find((w) => w.child.pid === pid)!;
    await victim.kill("SIGKILL");
    const started = Date.now();
    assertEquals(await Promise.all(futures), ["job0", "job1", "job2", "job3"]);
    // job0 ran again, on the surviving process, within the contract's 15 s.
    const runs = (await lines(log)).filter((l) => l.startsWith("job0 "));
    assertEquals(runs.length, 2);
    assert(
      runs[1].endsWith(` ${workers.find((w) => w !== victim)!.child.pid}`),
    );
    assert(Date.now() - started < 15_000);
  } finally {
    await Promise.all(workers.map((w) => w.kill("SIGKILL")));
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("QueueExecutor: after maxAttempts runs whose process died, WorkerCrashedError", async () => {
  await using redis = await startRedis();
  const flags = ["--allow-net", "--allow-env", "--allow-read", "--allow-run"];
  const args = [
    "--redis",
    redis.url,
    "--allow",
    fixtures.href,
    "--workers",
    "1",
    "--lock-duration",
    "1000",
  ];
  const workers: WorkerProcess[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      workers.push(await startWorker(args, { flags }));
    }
    await using executor = new QueueExecutor({
      connection: redis.url,
      maxAttempts: 2,
    });
    // Each run kills the process running it: two runs, then the third
    // process fails the job instead of running it.
    const error = await executor.submit(T.killOwnProcess).exception();
    assertInstanceOf(error, WorkerCrashedError);
    await until(
      () => workers.filter((w) => w.exited()).length === 2,
      15_000,
    );
    // The survivor still serves.
    assertEquals(await executor.submit(T.add, 1, 2), 3);
  } finally {
    await Promise.all(workers.map((w) => w.kill("SIGKILL")));
  }
});

Deno.test("QueueExecutor: currentTask().attempt counts crash reruns and retries together", async () => {
  await using redis = await startRedis();
  const tmp = await Deno.makeTempDir({ prefix: "cf_crash_" });
  const C = tasks<typeof import("./fixtures/dist_context_tasks.ts")>(
    new URL("dist_context_tasks.ts", fixtures),
  );
  const flags = [
    "--allow-net",
    "--allow-env",
    "--allow-read",
    `--allow-write=${tmp}`,
  ];
  const args = [
    "--redis",
    redis.url,
    "--allow",
    fixtures.href,
    "--pool",
    "inline",
    "--lock-duration",
    "1000",
  ];
  const workers: WorkerProcess[] = [];
  try {
    // Each first run kills the process running it: 3 processes for 2 jobs.
    workers.push(
      await startWorker(args, { flags }),
      await startWorker(args, { flags }),
      await startWorker(args, { flags }),
    );
    await using executor = new QueueExecutor({ connection: redis.url });
    const log = `${tmp}/attempts.log`;
    // Run 1 kills its process, run 2 throws and is retried, run 3 returns.
    const seen = await executor.run(C.crashThenFail, [log], {
      retry: { attempts: 3, delay: 50 },
    });
    assertEquals(seen, ["1", "2", "3"]);
    assertEquals(workers.filter((w) => w.exited()).length, 1);
    // The crashed run counts among `attempts`: with 2, run 2's error is the
    // outcome.
    const log2 = `${tmp}/attempts2.log`;
    await assertRejects(
      () =>
        executor.run(C.crashThenFail, [log2], {
          retry: { attempts: 2, delay: 50 },
        }).result(),
      Error,
      "second run fails",
    );
    assertEquals(await lines(log2), ["1", "2"]);
    assertEquals(workers.filter((w) => w.exited()).length, 2);
  } finally {
    await Promise.all(workers.map((w) => w.kill("SIGKILL")));
    await Deno.remove(tmp, { recursive: true });
  }
});

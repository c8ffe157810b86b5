// Copyright 2026 the @concurrent/futures authors. MIT license.
// QueueExecutor's run options over BullMQ, against a real redis-server and
// worker processes (the distributed/worker.ts command, --pool inline so that
// currentTask() is there today): delay, retry with backoff, progress, key,
// priority, and the rate limiter across two processes.

import { delay } from "@std/async/delay";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
// deno-lint-ignore no-import-prefix
import { Queue } from "npm:bullmq@5.81.5";
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import { tasks } from "../mod.ts";
import { QueueExecutor } from "../distributed/mod.ts";
import { lines, startRedis, startWorker, until } from "./_redis.ts";

const fixtures = new URL("./fixtures/", import.meta.url);
const C = tasks<typeof import("./fixtures/dist_context_tasks.ts")>(
  new URL("dist_context_tasks.ts", fixtures),
);
const FLAGS = ["--allow-net", "--allow-env", "--allow-read", "--allow-write"];

Deno.test("QueueExecutor run options with a worker process", async (t) => {
  await using redis = await startRedis();
  const tmp = await Deno.makeTempDir({ prefix: "cf_opts_" });
  await using _worker = await startWorker([
    "--redis",
    redis.url,
    "--allow",
    fixtures.href,
    "--pool",
    "inline",
    "--concurrency",
    "1",
  ], { flags: FLAGS });
  await using executor = new QueueExecutor({ connection: redis.url });
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue("concurrent-futures", { connection: client });

  await t.step(
    "delay: the job waits in Redis, its future pending",
    async () => {
      const started = Date.now();
      const future = executor.run(C.stamp, [`${tmp}/delay.log`, "d"], {
        delay: 1200,
      });
      await delay(400);
      assertEquals(future.state, "pending");
      const delayed = await queue.getJobs(["delayed"]);
      assertEquals(delayed.length, 1);
      assertEquals(delayed[0].data.x, "stamp");
      assertEquals(await future, "d");
      const [line] = await lines(`${tmp}/delay.log`);
      const at = Number(line.split(" ")[1]);
      assert(at - started >= 1150, `started after ${at - started} ms`);
      // A delayed job can be cancelled while it waits: it never runs.
      const cancelled = executor.run(C.stamp, [`${tmp}/delay.log`, "x"], {
        delay: 300,
      });
      await delay(50);
      assert(cancelled.cancel());
      await delay(800);
      assertEquals((await lines(`${tmp}/delay.log`)).length, 1);
    },
  );

  await t.step(
    "retry: BullMQ attempts with exponential backoff; currentTask().attempt counts runs",
    async () => {
      const log = `${tmp}/retry.log`;
      const future = executor.run(C.flaky, [log, "r", 2], {
        retry: { attempts: 3, delay: 300, jitter: false },
      });
      assertEquals(await future, { runs: 3, attempt: 3 });
      const runs = (await lines(log)).map((l) => l.split(" "));
      assertEquals(runs.map((r) => r[1]), ["1", "2", "3"]);
      const times = runs.map((r) => Number(r[2]));
      // 300 ms, then 600 ms (exponential), from when each run failed.
      assert(times[1] - times[0] >= 290, `${times[1] - times[0]} ms`);
      assert(times[2] - times[1] >= 590, `${times[2] - times[1]} ms`);
      // Running (not pending) through the waits between attempts.
      const slow = executor.run(C.flaky, [log, "s", 1], {
        retry: { attempts: 2, delay: 800, jitter: false },
      });
      await until(() => (runsOf(log, "s")).then((n) => n === 1));
      await delay(200);
      assertEquals(slow.state, "running");
      assertEquals((await slow).attempt, 2);
      // A force-stop during the wait between attempts removes the waiting
      // (delayed) job from Redis: no run follows.
      const stopped = executor.run(C.flaky, [log, "w", 5], {
        retry: { attempts: 3, delay: 30_000, jitter: false },
      });
      await until(() => (runsOf(log, "w")).then((n) => n === 1));
      await until(async () => (await queue.getJobs(["delayed"])).length === 1);
      assert(stopped.running());
      assertEquals(stopped.cancel(), false);
      assert(stopped.cancel({ force: true }));
      await until(
        async () => (await queue.getJobs(["delayed"])).length === 0,
        2000,
      );
      assertEquals(await runsOf(log, "w"), 1);
    },
  );

  await t.step(
    "retry: jitter draws each delay from [delay / 2, delay]; exhausted, the last error",
    async () => {
      const log = `${tmp}/jitter.log`;
      const error = await assertRejects(
        () =>
          executor.run(C.flaky, [log, "j", 10], {
            retry: { attempts: 4, delay: 400, backoff: "fixed" },
          }).result(),
        RangeError,
      );
      assertEquals((error as Error).message, "flaky run 4");
      const times = (await lines(log)).map((l) => Number(l.split(" ")[2]));
      assertEquals(times.length, 4);
      for (let i = 1; i < times.length; i++) {
        const gap = times[i] - times[i - 1];
        assert(gap >= 190 && gap < 2000, `gap ${gap} ms`);
      }
      // Never retried: without `retry`, one run.
      await assertRejects(
        () => executor.submit(C.flaky, log, "once", 5).result(),
        RangeError,
      );
      assertEquals(await runsOf(log, "once"), 1);
    },
  );

  await t.step("map: retry reruns a failed chunk as a whole", async () => {
    const path = `${tmp}/map.log`;
    const items = [
      { path, tag: "a", failures: 1 },
      { path, tag: "b", failures: 0 },
    ];
    assertEquals(
      await Array.fromAsync(
        executor.map(C.flakyItem, items, {
          chunksize: 2,
          retry: { attempts: 2, delay: 50 },
        }),
      ),
      [{ runs: 2, attempt: 2 }, { runs: 1, attempt: 2 }],
    );
  });

  await t.step(
    "onProgress: the task's progress() values arrive in order, none after the result",
    async () => {
      const values: unknown[] = [];
      const future = executor.run(C.count, [6, 20], {
        onProgress: (value) => values.push(value),
      });
      let atSettle = -1;
      future.addDoneCallback(() => atSettle = values.length);
      assertEquals(await future, 6);
      assertEquals(values, [1, 2, 3, 4, 5, 6]);
      assertEquals(atSettle, 6);
      await delay(200);
      assertEquals(values.length, 6);
      // Reported faster than sent: some may be dropped, never the last.
      const fast: number[] = [];
      assertEquals(
        await executor.run(C.count, [200, 0], {
          onProgress: (value) => fast.push(value as number),
        }),
        200,
      );
      assertEquals(fast.at(-1), 200);
      assertEquals(fast, fast.toSorted((a, b) => a - b));
    },
  );

  await t.step(
    "key: while a job with that key exists, runs share its outcome",
    async () => {
      const log = `${tmp}/key.log`;
      const first = executor.run(C.flaky, [log, "k", 0], {
        key: "report-42",
      });
      const again = executor.run(C.flaky, [log, "k", 0], {
        key: "report-42",
      });
      assertStrictEquals(again, first);
      // Another client, while it runs or after: the same job's outcome.
      await using other = new QueueExecutor({ connection: redis.url });
      const elsewhere = other.run(C.flaky, [log, "k", 0], {
        key: "report-42",
      });
      assertEquals(await first, { runs: 1, attempt: 1 });
      assertEquals(await elsewhere, { runs: 1, attempt: 1 });
      const later = await other.run(C.flaky, [log, "k", 0], {
        key: "report-42",
      });
      assertEquals(later, { runs: 1, attempt: 1 });
      assertEquals(await runsOf(log, "k"), 1);
      // A different key is a different job.
      await executor.run(C.flaky, [log, "k", 0], { key: "report-43" });
      assertEquals(await runsOf(log, "k"), 2);
      assertThrows(() => executor.run(C.pid, [], { key: "" }), TypeError);
      assertThrows(() => executor.run(C.pid, [], { key: "a:b" }), TypeError);
      assertThrows(() => executor.run(C.pid, [], { key: "42" }), TypeError);
    },
  );

  await t.step(
    "priority: among waiting jobs, lower first, negative before the default",
    async () => {
      const log = `${tmp}/priority.log`;
      // The only slot is busy: the others wait, then start one by one.
      const busy = executor.run(C.flaky, [log, "busy", 0], {});
      const gate = executor.run(C.count, [1, 600], {});
      await until(() => gate.running());
      const jobs = [
        executor.run(C.stamp, [log, "p5"], { priority: 5 }),
        executor.run(C.stamp, [log, "p0"], {}),
        executor.run(C.stamp, [log, "m3"], { priority: -3 }),
        executor.run(C.stamp, [log, "m9"], { priority: -9 }),
      ];
      await Promise.all([busy, gate, ...jobs]);
      const order = (await lines(log)).map((l) => l.split(" ")[0])
        .filter((tag) => tag !== "busy");
      assertEquals(order, ["m9", "m3", "p0", "p5"]);
    },
  );

  await t.step("bad run options throw at the call", () => {
    assertThrows(
      () => executor.run(C.pid, [], { delay: -1 }),
      RangeError,
    );
    assertThrows(
      () => executor.run(C.pid, [], { retry: { attempts: 0 } }),
      RangeError,
    );
    assertThrows(
      () => executor.run(C.pid, [], { retry: 3 as never }),
      TypeError,
    );
    assertThrows(
      () => executor.run(C.pid, [], { onProgress: 1 as never }),
      TypeError,
    );
  });

  await queue.close();
  client.disconnect();
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("QueueExecutor: --rate holds across two worker processes", async () => {
  await using redis = await startRedis();
  const tmp = await Deno.makeTempDir({ prefix: "cf_rate_" });
  const args = [
    "--redis",
    redis.url,
    "--allow",
    fixtures.href,
    "--pool",
    "inline",
    "--concurrency",
    "8",
    "--rate",
    "5/1000",
  ];
  await using a = await startWorker(args, { flags: FLAGS });
  await using b = await startWorker(args, { flags: FLAGS });
  await using executor = new QueueExecutor({ connection: redis.url });
  const log = `${tmp}/rate.log`;
  const jobs = Array.from(
    { length: 15 },
    (_, i) => executor.submit(C.stamp, log, `j${i}`),
  );
  await Promise.all(jobs);
  const starts = (await lines(log)).map((l) => l.split(" "));
  assertEquals(starts.length, 15);
  const times = starts.map((s) => Number(s[1])).toSorted((x, y) => x - y);
  const pids = new Set(starts.map((s) => Number(s[2])));
  // Both processes took jobs, yet together no more than 5 a second: 15
  // jobs span 3 windows of 1 s (unlimited, they take a few ms).
  assert(pids.has(a.child.pid) && pids.has(b.child.pid), [...pids].join());
  assert(times[14] - times[0] >= 1900, `span ${times[14] - times[0]} ms`);
  for (let i = 0; i + 5 < times.length; i++) {
    // BullMQ counts per fixed window: any 6 starts span most of a window.
    assert(times[i + 5] - times[i] >= 500, `starts ${times.join()}`);
  }
  await Deno.remove(tmp, { recursive: true });
});

async function runsOf(path: string, tag: string): Promise<number> {
  return (await lines(path)).filter((l) => l.startsWith(`${tag} `)).length;
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// QueueExecutor against a real redis-server and a real worker process (the
// distributed/worker.ts command): round trips, states, errors, cloning,
// security, cancellation, timeouts, map, stats and shutdown.

import { delay } from "@std/async/delay";
import { toFileUrl } from "@std/path/to-file-url";
import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
// deno-lint-ignore no-import-prefix
import { Queue } from "npm:bullmq@5.81.5";
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import {
  CancelledError,
  ExecutorShutdownError,
  task,
  tasks,
  TimeoutError,
} from "../mod.ts";
import { QueueExecutor, serveQueue } from "../distributed/mod.ts";
import { freePort, lines, startRedis, startWorker, until } from "./_redis.ts";

const fixtures = new URL("./fixtures/", import.meta.url);
const T = tasks<typeof import("./fixtures/dist_tasks.ts")>(
  new URL("dist_tasks.ts", fixtures),
);

Deno.test("QueueExecutor with a worker process", async (t) => {
  await using redis = await startRedis();
  const tmp = await Deno.makeTempDir({ prefix: "cf_dist_" });
  const evil = toFileUrl(`${tmp}/evil.ts`).href;
  await Deno.writeTextFile(
    `${tmp}/evil.ts`,
    `await Deno.writeTextFile(new URL("./imported", import.meta.url), "x");\n` +
      `export function f() { return 1; }\n`,
  );
  await using worker = await startWorker([
    "--redis",
    redis.url,
    "--allow",
    fixtures.href,
    "--workers",
    "2",
  ], {
    flags: [
      "--allow-net",
      "--allow-env",
      "--allow-read",
      `--allow-write=${tmp}`,
    ],
  });
  assertStringIncludes(worker.output(), "ready");

  await t.step(
    "submit: pending in Redis, running once taken, finished",
    async () => {
      await using executor = new QueueExecutor({ connection: redis.url });
      const future = executor.submit(T.sleep, 300);
      assertEquals(future.state, "pending");
      await until(() => future.state === "running");
      assertEquals(await future, 300);
      assertEquals(future.state, "finished");
      assertEquals(await executor.submit(T.add, 2, 3), 5);
    },
  );

  await t.step(
    "arguments and results round-trip as with structuredClone",
    async () => {
      await using executor = new QueueExecutor({ connection: redis.url });
      const value = {
        bytes: new Uint8Array([1, 2, 3]),
        map: new Map<unknown, unknown>([[1n, new Set(["a"])]]),
        date: new Date(1234),
        none: undefined,
        nested: [{ deep: [-0, NaN, Infinity, 2n ** 70n] }],
        text: "plain",
      };
      assertEquals(await executor.submit(T.echo, value), value);
      assertEquals(
        await executor.submit(T.echo, [1, "two", null, { a: [true] }]),
        [
          1,
          "two",
          null,
          { a: [true] },
        ],
      );
    },
  );

  await t.step(
    "a task's error keeps name, message, worker stack and class",
    async () => {
      await using executor = new QueueExecutor({ connection: redis.url });
      const typeError = await executor.submit(T.fail, "type").exception();
      assertInstanceOf(typeError, TypeError);
      assertEquals((typeError as Error).message, "bad type");
      assertStringIncludes((typeError as Error).stack!, "dist_tasks.ts");
      const custom = await executor.submit(T.fail, "custom").exception() as
        & Error
        & { code: string };
      assertEquals(custom.name, "MyError");
      assertEquals(custom.message, "mine");
      assertEquals(custom.code, "E_MINE");
      assertStringIncludes(custom.stack!, "fail");
      assertEquals(
        await executor.submit(T.fail, "string").exception(),
        "a string",
      );
      const range = await executor.submit(T.square, -1).exception();
      assertInstanceOf(range, RangeError);
    },
  );

  await t.step("run's transfer list is moved at the call", async () => {
    await using executor = new QueueExecutor({ connection: redis.url });
    const bytes = new Uint8Array([7, 8, 9]);
    const future = executor.run(T.echo, [bytes], { transfer: [bytes.buffer] });
    assertEquals(bytes.byteLength, 0);
    assertEquals(await future, new Uint8Array([7, 8, 9]));
    let idle = 0;
    executor.addEventListener("idle", () => idle++);
    await executor.submit(T.add, 1, 1);
    assertEquals(idle, 1);
  });

  await t.step("what cannot be cloned fails with DataCloneError", async () => {
    await using executor = new QueueExecutor({ connection: redis.url });
    const argument = await executor.submit(T.echo, () => 1).exception();
    assertInstanceOf(argument, DOMException);
    assertEquals((argument as DOMException).name, "DataCloneError");
    const result = await executor.submit(T.unclonable).exception();
    assertEquals((result as DOMException).name, "DataCloneError");
  });

  await t.step(
    "only module tasks: a function throws TypeError at submit",
    async () => {
      await using executor = new QueueExecutor({ connection: redis.url });
      assertThrows(
        () => executor.submit((n: number) => n * 2, 1),
        TypeError,
        "module tasks",
      );
      assertThrows(() => executor.map((n: number) => n, [1]), TypeError);
      assertThrows(() => task("./relative.ts"), TypeError, "absolute");
    },
  );

  await t.step(
    "a module outside --allow fails naming its URL, and is not imported",
    async () => {
      await using executor = new QueueExecutor({ connection: redis.url });
      const error = await executor.submit(task<() => number>(evil, "f"))
        .exception();
      assertInstanceOf(error, Error);
      assertStringIncludes((error as Error).message, evil);
      // A prefix is matched on the normalised URL: no way out with "..".
      const sneaky = `${fixtures.href}../../../${tmp}/evil.ts`;
      const error2 = await executor.submit(task<() => number>(sneaky, "f"))
        .exception();
      assertStringIncludes((error2 as Error).message, "not allowed");
      assertEquals(await lines(`${tmp}/imported`), []);
    },
  );

  await t.step("cancel() removes a waiting job; it never runs", async () => {
    await using executor = new QueueExecutor({ connection: redis.url });
    const log = `${tmp}/cancel.log`;
    const busy = [1, 2].map((i) =>
      executor.submit(T.logRun, log, `busy${i}`, 800)
    );
    await until(() => busy.every((f) => f.running()));
    const waiting = executor.submit(T.logRun, log, "waiting", 0);
    await delay(100);
    assertEquals(waiting.state, "pending");
    assert(waiting.cancel());
    assert(waiting.cancelled());
    await assertRejects(() => waiting.result(), CancelledError);
    await Promise.all(busy);
    // A later job runs after where the cancelled one would have.
    await executor.submit(T.logRun, log, "after", 0);
    const tags = (await lines(log)).map((l) => l.split(" ")[0]);
    assertFalse(tags.includes("waiting"));
    assert(tags.includes("after"));
    assertFalse(busy[0].cancel());
  });

  await t.step(
    "cancel({ force: true }) stops a running job on its process; not retried",
    async () => {
      await using executor = new QueueExecutor({ connection: redis.url });
      const log = `${tmp}/force.log`;
      const future = executor.submit(T.spin, 60_000);
      await until(() => future.running());
      assertFalse(future.cancel());
      assert(future.cancel({ force: true }));
      assertEquals(future.state, "cancelled");
      // Both local workers are free again: two jobs run at once.
      const [a, b] = await Promise.all([
        executor.submit(T.logRun, log, "a", 300),
        executor.submit(T.logRun, log, "b", 300),
      ]);
      assertEquals([a, b], ["a", "b"]);
      // The job failed for good in Redis (UnrecoverableError), no retry.
      const client = new Redis(redis.url, { maxRetriesPerRequest: null });
      const queue = new Queue("concurrent-futures", { connection: client });
      try {
        const spins = async () =>
          (await queue.getJobs(["active", "wait", "failed", "completed"]))
            .filter((job) => job.data.x === "spin");
        const state = async () => {
          const [job] = await spins();
          return job === undefined ? "gone" : await job.getState();
        };
        await until(async () => (await state()) === "failed", 15_000).catch(
          async (error) => {
            throw new Error(`spin job is ${await state()}`, { cause: error });
          },
        );
        const [job] = await spins();
        assertStringIncludes(job.failedReason, "cancelled");
        assertEquals(job.attemptsMade, 1);
      } finally {
        await queue.close();
        client.disconnect();
      }
    },
  );

  await t.step("timeout and signal stop a job wherever it is", async () => {
    await using executor = new QueueExecutor({ connection: redis.url });
    const timed = executor.run(T.spin, [60_000], { timeout: 300 });
    await assertRejects(() => timed.result(), TimeoutError);
    const controller = new AbortController();
    const aborted = executor.run(T.spin, [60_000], {
      signal: controller.signal,
    });
    await until(() => aborted.running());
    controller.abort();
    await assertRejects(() => aborted.result(), CancelledError);
    const pre = executor.run(T.add, [1, 1], { signal: AbortSignal.abort() });
    assert(pre.cancelled());
    // The two spinning tasks were stopped: both local workers answer.
    assertEquals(
      await Promise.all([
        executor.submit(T.sleep, 10),
        executor.submit(T.sleep, 20),
      ]),
      [10, 20],
    );
    assertThrows(
      () => executor.run(T.add, [1, 1], { timeout: -1 }),
      RangeError,
    );
    assertThrows(
      () => executor.run(T.add, [1, 1], { priority: NaN }),
      RangeError,
    );
  });

  await t.step(
    "map: chunks, order, errors, buffer bound, early stop",
    async () => {
      await using executor = new QueueExecutor({ connection: redis.url });
      const items = Array.from({ length: 250 }, (_, i) => i);
      const squares = await Array.fromAsync(
        executor.map(T.square, items, { chunksize: 30 }),
      );
      assertEquals(squares, items.map((i) => i * i));
      const unordered = await Array.fromAsync(
        executor.map(T.sleep, [200, 0, 100], { ordered: false }),
      );
      assertEquals(unordered.toSorted((a, b) => a - b), [0, 100, 200]);
      const seen: number[] = [];
      await assertRejects(async () => {
        for await (
          const v of executor.map(T.square, [1, 2, -3, 4], { chunksize: 2 })
        ) {
          seen.push(v);
        }
      }, RangeError);
      assertEquals(seen, [1, 4]);
      // An endless source: never more than buffersize pulled ahead.
      let pulled = 0;
      function* endless() {
        for (let i = 0;; i++) {
          pulled++;
          yield i;
        }
      }
      let taken = 0;
      for await (
        const _ of executor.map(T.square, endless(), {
          chunksize: 5,
          buffersize: 20,
        })
      ) {
        taken++;
        assert(pulled - taken <= 20, `${pulled} pulled, ${taken} taken`);
        if (taken === 60) break;
      }
      await assertRejects(
        () => Array.fromAsync(executor.map(T.sleep, [1500], { timeout: 200 })),
        TimeoutError,
      );
    },
  );

  await t.step(
    "priority: among waiting jobs, a lower positive number starts first",
    async () => {
      await using executor = new QueueExecutor({ connection: redis.url });
      const log = `${tmp}/priority.log`;
      // One slot frees long before the other: the waiting jobs then run
      // one after the other on it, so the log shows their start order.
      const busy = [600, 1500].map((ms) =>
        executor.submit(T.logRun, log, `busy${ms}`, ms)
      );
      await until(() => busy.every((f) => f.running()));
      const low = executor.run(T.logRun, [log, "p9", 0], { priority: 9 });
      const high = executor.run(T.logRun, [log, "p1", 0], { priority: 1 });
      await Promise.all([...busy, low, high]);
      const tags = (await lines(log)).map((l) => l.split(" ")[0]);
      assert(tags.indexOf("p1") < tags.indexOf("p9"), tags.join());
    },
  );

  await t.step("stats() and shutdown()", async () => {
    const executor = new QueueExecutor({ connection: redis.url });
    await executor.submit(T.add, 1, 1);
    await executor.submit(T.fail, "type").exception();
    const busy = [1, 2].map(() => executor.submit(T.sleep, 500));
    await until(() => busy.every((f) => f.running()));
    const waiting = executor.submit(T.sleep, 500);
    let stats = await executor.stats();
    assertEquals(stats.workers, 1);
    assertEquals(stats.running, 2);
    assertEquals(stats.waiting, 1);
    assertEquals(stats.completed, 1);
    assertEquals(stats.failed, 1);
    await executor.shutdown({ cancelFutures: true });
    assert(waiting.cancelled());
    assertEquals(await Promise.all(busy), [500, 500]);
    stats = await executor.stats();
    assertEquals(stats.cancelled, 1);
    assertEquals(stats.completed, 3);
    assertThrows(() => executor.submit(T.add, 1, 1), ExecutorShutdownError);
    await executor.shutdown();
    const other = new QueueExecutor({ connection: redis.url });
    const pending = other.submit(T.sleep, 200);
    await other.shutdown({ wait: true });
    assert(pending.done());
  });

  await t.step("bad options", () => {
    assertThrows(
      () => new QueueExecutor({ connection: "http://x" }),
      TypeError,
    );
    assertThrows(
      () => new QueueExecutor({ connection: redis.url, maxAttempts: 0 }),
      RangeError,
    );
    assertThrows(
      () => serveQueue({ connection: redis.url, allow: [] }),
      TypeError,
    );
    assertThrows(
      () => serveQueue({ connection: redis.url, allow: ["relative/"] }),
      TypeError,
    );
  });

  await t.step("serveQueue in this process; close() lets it exit", async () => {
    await using served = serveQueue({
      connection: redis.url,
      queue: "in-process",
      allow: [fixtures],
      maxWorkers: 1,
    });
    await served.ready;
    await using executor = new QueueExecutor({
      connection: redis.url,
      queue: "in-process",
    });
    assertEquals(await executor.submit(T.whoami), Deno.pid);
    await served.close();
    await served.closed;
  });

  await t.step(
    "the command: SIGTERM lets the running job finish, exits 0",
    async () => {
      await using second = await startWorker([
        "--redis",
        redis.url,
        "--queue",
        "term",
        "--allow",
        fixtures.href,
      ]);
      await using executor = new QueueExecutor({
        connection: redis.url,
        queue: "term",
      });
      const future = executor.submit(T.sleep, 700);
      await until(() => future.running());
      second.child.kill("SIGTERM");
      assertEquals(await future, 700);
      assertEquals((await second.status).code, 0);
    },
  );

  await Deno.remove(tmp, { recursive: true });
});

Deno.test("worker command: --help, and bad arguments exit 2", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-env",
        "--allow-read",
        new URL("../distributed/worker.ts", import.meta.url).href,
        ...args,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  const help = await run(["--help"]);
  assertEquals(help.code, 0);
  assertStringIncludes(new TextDecoder().decode(help.stdout), "--allow");
  const missing = await run(["--allow", "https://example.com/"]);
  assertEquals(missing.code, 2);
  assertStringIncludes(new TextDecoder().decode(missing.stderr), "--redis");
  const unknown = await run([
    "--redis",
    "redis://127.0.0.1:1",
    "--allow",
    "https://e.com/",
    "--bogus",
  ]);
  assertEquals(unknown.code, 2);
});

Deno.test("worker command: Redis unreachable, it warns naming the address; SIGTERM still exits 0", async () => {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      new URL("../distributed/worker.ts", import.meta.url).href,
      "--redis",
      `redis://127.0.0.1:${port}`,
      "--allow",
      fixtures.href,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  let stderr = "";
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  while (!stderr.includes(`127.0.0.1:${port}`)) {
    const { value, done } = await reader.read();
    if (done) break;
    stderr += value;
  }
  child.kill("SIGTERM");
  const [status] = await Promise.all([
    child.status,
    reader.cancel(),
    child.stdout.cancel(),
  ]);
  clearTimeout(killer);
  assertStringIncludes(stderr, `127.0.0.1:${port}`);
  assertEquals(status.code, 0);
});

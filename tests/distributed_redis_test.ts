// Copyright 2026 the @concurrent/futures authors. MIT license.
// What Redis itself may do: be killed and restarted (AOF: no job or result
// lost), be unreachable (futures fail naming the address, no hang), trim
// the events stream (results found by polling), and a program using the
// executor exits once it shut down.

import { delay } from "@std/async/delay";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import { tasks } from "../mod.ts";
import { QueueExecutor } from "../distributed/mod.ts";
import { freePort, startRedis, startWorker } from "./_redis.ts";

const fixtures = new URL("./fixtures/", import.meta.url);
const T = tasks<typeof import("./fixtures/dist_tasks.ts")>(
  new URL("dist_tasks.ts", fixtures),
);

Deno.test("QueueExecutor: Redis killed with SIGKILL and restarted loses no job or result", async () => {
  await using redis = await startRedis({ durable: true });
  await using _worker = await startWorker([
    "--redis",
    redis.url,
    "--allow",
    fixtures.href,
    "--workers",
    "2",
    "--concurrency",
    "4",
  ]);
  await using executor = new QueueExecutor({ connection: redis.url });
  const futures = Array.from(
    { length: 200 },
    (_, i) => executor.submit(T.sleep, 10 + (i % 5)),
  );
  while (futures.filter((f) => f.done()).length < 40) {
    await delay(10);
  }
  await redis.kill("SIGKILL");
  // Submitted while Redis is down: sent once it is back.
  const late = Array.from(
    { length: 20 },
    (_, i) => executor.submit(T.add, i, 1),
  );
  await delay(700);
  await redis.restart();
  assertEquals(
    await Promise.all(futures),
    Array.from({ length: 200 }, (_, i) => 10 + (i % 5)),
  );
  assertEquals(
    await Promise.all(late),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
});

Deno.test("QueueExecutor: an unreachable Redis fails the futures naming the address", async () => {
  const port = freePort();
  const executor = new QueueExecutor({
    connection: `redis://user:secret@127.0.0.1:${port}`,
  });
  const started = Date.now();
  const error = await executor.submit(T.add, 1, 2).exception() as Error;
  assert(error instanceof Error);
  assertStringIncludes(error.message, `127.0.0.1:${port}`);
  assert(!error.message.includes("secret"), "no credentials in the message");
  assert(Date.now() - started < 10_000, `${Date.now() - started} ms`);
  await executor.shutdown();
});

Deno.test("QueueExecutor: results survive a trimmed events stream (polled)", async () => {
  await using redis = await startRedis();
  await using _worker = await startWorker([
    "--redis",
    redis.url,
    "--allow",
    fixtures.href,
    "--workers",
    "1",
    "--concurrency",
    "8",
  ]);
  await using executor = new QueueExecutor({ connection: redis.url });
  const trimmer = new Redis(redis.url, { maxRetriesPerRequest: null });
  let trimming = true;
  const trim = (async () => {
    while (trimming) {
      await trimmer.xtrim("bull:concurrent-futures:events", "MAXLEN", 0);
      await delay(2);
    }
  })();
  try {
    const futures = Array.from(
      { length: 300 },
      (_, i) => executor.submit(T.add, i, i),
    );
    assertEquals(
      await Promise.all(futures),
      Array.from({ length: 300 }, (_, i) => 2 * i),
    );
  } finally {
    trimming = false;
    await trim;
    trimmer.disconnect();
  }
});

Deno.test("QueueExecutor: a program exits once it shut down (connections closed)", async () => {
  await using redis = await startRedis();
  const script = `
    import { QueueExecutor, serveQueue } from ${
    JSON.stringify(new URL("../distributed/mod.ts", import.meta.url).href)
  };
    import { task } from ${
    JSON.stringify(new URL("../mod.ts", import.meta.url).href)
  };
    const add = task(${
    JSON.stringify(new URL("dist_tasks.ts", fixtures).href)
  }, "add");
    const worker = serveQueue({ connection: "${redis.url}", allow: [${
    JSON.stringify(fixtures.href)
  }], maxWorkers: 1 });
    await worker.ready;
    const executor = new QueueExecutor({ connection: "${redis.url}" });
    console.log(await executor.submit(add, 20, 22));
    await executor.shutdown();
    await worker.close();
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      script,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const out = await child.output();
  clearTimeout(timer);
  assertEquals(
    new TextDecoder().decode(out.stdout).trim(),
    "42",
    new TextDecoder().decode(out.stderr),
  );
  assertEquals(out.code, 0);
});

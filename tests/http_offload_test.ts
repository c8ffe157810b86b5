// Copyright 2026 the @concurrent/futures authors. MIT license.
// examples/http_offload.ts: it serves the work done on the pool, sheds load
// with 503 + Retry-After when the pool's queue is full, and exits cleanly
// on SIGINT.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { WorkerPoolExecutor } from "../mod.ts";
import { createHandler } from "../examples/http_offload.ts";
import { stretch } from "../examples/http_offload_work.mjs";

const EXAMPLE = new URL("../examples/http_offload.ts", import.meta.url);

Deno.test("http_offload answers with the hash computed on the pool", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, maxQueue: 4 });
  const handler = createHandler(pool, { rounds: 100 });
  const response = await handler(
    new Request("http://localhost/hash?key=hello"),
  );
  assertEquals(response.status, 200);
  assertEquals(await response.json(), {
    key: "hello",
    hash: stretch("hello", 100),
  });
  const missing = await handler(new Request("http://localhost/other"));
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("http_offload sheds load with 503 + Retry-After when the queue is full", async () => {
  // One worker, one task may wait: of four requests arriving at once, the
  // first runs, the second waits, the other two are refused at once.
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, maxQueue: 1 });
  const handler = createHandler(pool, { rounds: 20_000, retryAfter: 2 });
  const responses = await Promise.all(
    ["a", "b", "c", "d"].map((key) =>
      handler(new Request(`http://localhost/hash?key=${key}`))
    ),
  );
  assertEquals(responses.map((r) => r.status), [200, 200, 503, 503]);
  assertEquals(responses[2].headers.get("retry-after"), "2");
  assertEquals((await responses[1].json()).hash, stretch("b", 20_000));
  for (const response of responses) {
    if (!response.bodyUsed) await response.body?.cancel();
  }
  // Room again once the queue drained: nothing stays refused.
  const later = await handler(new Request("http://localhost/hash?key=e"));
  assertEquals(later.status, 200);
  await later.body?.cancel();
  assertEquals(pool.stats().queued, 0);
});

Deno.test("http_offload serves over HTTP and exits cleanly on SIGINT", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      EXAMPLE.href,
      "--port",
      "0",
      "--workers",
      "1",
      "--rounds",
      "1000",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let output = "";
  let url: string | undefined;
  while (url === undefined) {
    const { value, done } = await lines.read();
    if (done) break;
    output += value;
    url = output.match(/Listening on (http:\/\/\S+)/)?.[1];
  }
  assert(url !== undefined, `the server did not start: ${output}`);
  const response = await fetch(`${url}hash?key=abc`);
  assertEquals(response.status, 200);
  assertEquals((await response.json()).hash, stretch("abc", 1000));

  child.kill("SIGINT");
  while (true) {
    const { value, done } = await lines.read();
    if (done) break;
    output += value;
  }
  const status = await child.status;
  assertEquals(status.code, 0, output);
  assertMatch(output, /Shut down cleanly/);
});

// Copyright 2026 the @concurrent/futures authors. MIT license.
// The dashboard of a queue on Redis: a QueueExecutor handed to
// serveDashboard (its stats() is async), and the dashboard/main.ts command,
// which shows the queue as Redis sees it and the processes serving it.

import {
  assertEquals,
  assertGreaterOrEqual,
  assertStringIncludes,
} from "@std/assert";
import { tasks } from "../mod.ts";
import { serveDashboard } from "../dashboard/mod.ts";
import { QueueExecutor, serveQueue } from "../distributed/mod.ts";
import { startRedis } from "./_redis.ts";

const fixtures = new URL("./fixtures/", import.meta.url);
const T = tasks<typeof import("./fixtures/dist_tasks.ts")>(
  new URL("dist_tasks.ts", fixtures),
);
const MAIN = new URL("../dashboard/main.ts", import.meta.url);
/** Parsed JSON of the feed. */
// deno-lint-ignore no-explicit-any
type Json = any;

/** The feed's frames, parsed, as they come. */
async function* frames(
  url: URL,
  signal: AbortSignal,
): AsyncGenerator<{ event: string; data: Json }> {
  const response = await fetch(new URL("events", url), { signal });
  let buffer = "";
  for await (
    const chunk of response.body!.pipeThrough(new TextDecoderStream())
  ) {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = frame.match(/^event: (.*)$/m)?.[1];
      const data = frame.match(/^data: (.*)$/m)?.[1];
      if (event && data) yield { event, data: JSON.parse(data) };
    }
  }
}

/** The first sample whose stats satisfy `check`. */
async function sampleWhere(
  url: URL,
  check: (stats: Json) => boolean,
): Promise<Json> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  try {
    for await (const { event, data } of frames(url, controller.signal)) {
      if (event !== "sample") continue;
      const stats = data.executors[0].sample.stats;
      if (check(stats)) return stats;
    }
    throw new Error("the feed ended");
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

Deno.test("dashboard of a queue: a QueueExecutor in serveDashboard, and the dashboard/main.ts command", async (t) => {
  await using redis = await startRedis();
  await using served = serveQueue({
    connection: redis.url,
    queue: "watched",
    allow: [fixtures],
    maxWorkers: 1,
  });

  await t.step(
    "serveDashboard reads a QueueExecutor's async stats()",
    async () => {
      await using executor = new QueueExecutor({
        connection: redis.url,
        queue: "watched",
      });
      await using dashboard = serveDashboard({
        executors: { queue: executor },
      });
      assertEquals(await executor.submit(T.add, 2, 3), 5);
      const stats = await sampleWhere(
        dashboard.url,
        (s) => s.completed === 1 && s.workers >= 1,
      );
      assertEquals(stats.waiting, 0);
    },
  );

  await t.step("the command: bad arguments exit 2, --help 0", async () => {
    for (
      const [args, code, text] of [
        [["--help"], 0, "Usage"],
        [[], 2, "--redis is required"],
        [["--redis", "http://x"], 2, "redis://"],
        [["--redis", redis.url, "--hostname", "0.0.0.0"], 2, "--token"],
        [["--redis", redis.url, "--port", "x"], 2, "--port"],
      ] as const
    ) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN.href, ...args],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const decoder = new TextDecoder();
      assertEquals(out.code, code, args.join(" "));
      assertStringIncludes(
        decoder.decode(out.stdout) + decoder.decode(out.stderr),
        text,
      );
    }
  });

  await t.step(
    "the command shows the queue's jobs and processes; SIGTERM exits 0",
    async () => {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          "--allow-env",
          "--allow-read",
          MAIN.href,
          "--redis",
          redis.url,
          "--queue",
          "watched",
        ],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const output = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let out = "";
      try {
        while (!/http:\S+\n/.test(out)) {
          const { value, done } = await output.read();
          if (done) break;
          out += value;
        }
        const url = new URL(out.match(/(http:\S+)\n/)![1]);
        await sampleWhere(
          url,
          (s) => s.workers >= 1 && s.processes.length >= 1,
        );
        await using executor = new QueueExecutor({
          connection: redis.url,
          queue: "watched",
        });
        // Jobs finished after the command started count, by the queue's events.
        const results = await Promise.all(
          Array.from({ length: 5 }, (_, i) => executor.submit(T.add, i, 1)),
        );
        assertEquals(results, [1, 2, 3, 4, 5]);
        const stats = await sampleWhere(url, (s) => s.completed >= 5);
        assertEquals(stats.running, 0);
        assertGreaterOrEqual(stats.processes.length, 1);
        child.kill("SIGTERM");
        const status = await child.status;
        for (;;) {
          const { done } = await output.read();
          if (done) break;
        }
        const stderr = await new Response(child.stderr).text();
        assertEquals(status.code, 0, stderr);
      } finally {
        clearTimeout(killer);
      }
    },
  );

  await served.close();
  await served.closed;
});

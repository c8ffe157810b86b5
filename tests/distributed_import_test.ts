// Copyright 2026 the @concurrent/futures authors. MIT license.
// distributed/ loads by dynamic import() as by a static one, on an empty
// module cache (DENO_DIR), from a program in a folder with no deno.json: the
// pinned BullMQ takes its Redis client as a plain dependency, so Deno makes
// no peer copy of it that a dynamic import would not install. And with this
// repository's config, loading it prints no warning (msgpackr's optional
// native extractor, whose build script Deno would not run, is denied).

import { assert, assertEquals, assertFalse } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { startRedis } from "./_redis.ts";

const ROOT = new URL("../", import.meta.url);

/** A user program: imports distributed/ dynamically and runs one job. */
function program(redisUrl: string): string {
  const dist = new URL("distributed/mod.ts", ROOT).href;
  const core = new URL("mod.ts", ROOT).href;
  const fixtures = new URL("tests/fixtures/", ROOT).href;
  // The core statically, the optional part lazily, as users load it.
  return `
import { task } from ${JSON.stringify(core)};
const { QueueExecutor, serveQueue } = await import(${JSON.stringify(dist)});
const add = task(${JSON.stringify(fixtures + "dist_tasks.ts")}, "add");
await using worker = serveQueue({
  connection: ${JSON.stringify(redisUrl)},
  queue: "dyn",
  allow: [${JSON.stringify(fixtures)}],
  maxWorkers: 1,
});
await worker.ready;
await using executor = new QueueExecutor({ connection: ${
    JSON.stringify(redisUrl)
  }, queue: "dyn" });
console.log("result", await executor.submit(add, 40, 2));
`;
}

async function runFresh(
  source: string,
  cwd: string,
  extra: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const denoDir = await Deno.makeTempDir({ prefix: "cf_denodir_" });
  try {
    await Deno.writeTextFile(`${cwd}/main.ts`, source);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...extra, `${cwd}/main.ts`],
      cwd,
      env: { DENO_DIR: denoDir, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "null",
    }).output();
    const decoder = new TextDecoder();
    return {
      code,
      stdout: decoder.decode(stdout),
      stderr: decoder.decode(stderr),
    };
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
}

Deno.test("distributed: dynamic import() on an empty DENO_DIR, no config, runs a job", async () => {
  await using redis = await startRedis();
  const dir = await Deno.makeTempDir({ prefix: "cf_dyn_" });
  try {
    const { code, stdout, stderr } = await runFresh(program(redis.url), dir, [
      "--no-lock",
    ]);
    assertEquals(code, 0, stderr);
    assert(stdout.includes("result 42"), stdout + stderr);
    assertFalse(/Cannot find module/.test(stderr), stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("distributed: with the repository's config, loading prints no warning", async () => {
  await using redis = await startRedis();
  const dir = await Deno.makeTempDir({ prefix: "cf_dyn_" });
  try {
    const { code, stdout, stderr } = await runFresh(program(redis.url), dir, [
      "--config",
      fromFileUrl(new URL("deno.json", ROOT)),
      "--lock",
      fromFileUrl(new URL("deno.lock", ROOT)),
      "--frozen",
    ]);
    assertEquals(code, 0, stderr);
    assert(stdout.includes("result 42"), stdout + stderr);
    const noise = stderr.split("\n").filter((line) =>
      line.trim() !== "" && !/^Download /.test(line)
    );
    assertEquals(noise, [], stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

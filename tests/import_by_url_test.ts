// Copyright 2026 the @concurrent/futures authors. MIT license.
// The pool works the way users import it: by file URL from a program in
// another directory, and over HTTP. The worker script is found from
// import.meta.url, never from the working directory.

import { assertEquals } from "@std/assert";
import { fromFileUrl, join, relative } from "@std/path";
import { deno, outsideConfig } from "./fixtures/pool_helpers.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));

/** A program run from a fresh directory that imports the library from `base`. */
function user(base: string, pool = "WorkerPoolExecutor", extra = ""): string {
  return `
import { tasks, ${pool} } from "${base}mod.ts";
const fixture = "${base}tests/fixtures/pool_tasks.ts";
const T = tasks<{ add(a: number, b: number): number }>(fixture);
await using pool = new ${pool}({ maxWorkers: 2, name: "user"${extra} });
const results = await Promise.all([
  pool.submit((a: number, b: number) => a * b, 6, 7),
  pool.submit(T.add, 1, 2),
  pool.submit(() => self.name),
  Array.fromAsync(pool.map((n: number) => n + 1, [1, 2, 3], { chunksize: 2 })),
]);
console.log(JSON.stringify(results));
`;
}

async function runUser(
  base: string,
  permissions: string[],
  program = user(base),
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "pool_user_" });
  try {
    await Deno.writeTextFile(join(dir, "deno.json"), outsideConfig());
    await Deno.writeTextFile(join(dir, "main.ts"), program);
    // A cache of its own: modules fetched from the test server (a new port
    // each run) stay out of the shared one.
    return await deno(["run", ...permissions, "main.ts"], {
      cwd: dir,
      env: { DENO_DIR: join(dir, "cache") },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const EXPECTED = JSON.stringify([42, 3, "user-1", [2, 3, 4]]);

/**
 * The output of a process pool's run: which child runs the name task
 * depends on which one answers first (a child without a claims file is
 * sent no more than it can start).
 */
function processOutput(stdout: string): string {
  return stdout.trim().replace('"user-2"', '"user-1"');
}

Deno.test("WorkerPoolExecutor works imported by file URL from another directory", async () => {
  const base = new URL("../", import.meta.url).href;
  const { code, stdout, stderr } = await runUser(base, [
    `--allow-read=${ROOT}`,
  ]);
  assertEquals(code, 0, stderr);
  assertEquals(stdout.trim(), EXPECTED);
});

Deno.test("WorkerPoolExecutor works imported over HTTP", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const path = decodeURIComponent(new URL(request.url).pathname);
      const file = join(ROOT, path);
      if (relative(ROOT, file).startsWith("..")) {
        return new Response("forbidden", { status: 403 });
      }
      try {
        const body = await Deno.readFile(file);
        return new Response(body, {
          headers: { "content-type": "application/typescript; charset=utf-8" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    const { code, stdout, stderr } = await runUser(`http://${host}/`, [
      `--allow-import=${host}`,
    ]);
    assertEquals(code, 0, stderr);
    assertEquals(stdout.trim(), EXPECTED);
    // Its children load the same runtime over HTTP (granted that host).
    const base = `http://${host}/`;
    const processes = await runUser(base, [
      `--allow-import=${host}`,
      "--allow-run",
    ], user(base, "ProcessPoolExecutor"));
    assertEquals(processes.code, 0, processes.stderr);
    assertEquals(processOutput(processes.stdout), EXPECTED);
  } finally {
    await server.shutdown();
  }
});

Deno.test("ProcessPoolExecutor works imported by file URL from another directory", async () => {
  const base = new URL("../", import.meta.url).href;
  // A grant limited to some paths cannot be read back to be inherited: the
  // program passes it on to its children explicitly.
  const program = user(
    base,
    "ProcessPoolExecutor",
    `, permissions: { read: [${JSON.stringify(ROOT)}] }`,
  );
  const { code, stdout, stderr } = await runUser(base, [
    `--allow-read=${ROOT}`,
    "--allow-run",
  ], program);
  assertEquals(code, 0, stderr);
  assertEquals(processOutput(stdout), EXPECTED);
});

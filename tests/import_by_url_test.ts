// Copyright 2026 the @concurrent/futures authors. MIT license.
// The module works the way users meet it: imported by file URL or over HTTP
// from a program in a folder with no deno.json (so no import map, no links,
// no lock), with a fresh module cache, no registry reachable, and only the
// permissions the README's table names. The worker script is found from
// import.meta.url, never from the working directory.

import { assertEquals } from "@std/assert";
import { fromFileUrl, join, relative, toFileUrl } from "@std/path";
import { deno } from "./fixtures/pool_helpers.ts";

const ROOT = fromFileUrl(new URL("../", import.meta.url));

/** A program that imports the library from `base` and uses both halves. */
function user(
  base: string,
  dataFile: string,
  pool = "WorkerPoolExecutor",
  extra = "",
): string {
  return `
import { aioOpen, aioRead, aioReturn, aioSuspend, tasks, ${pool} } from "${base}mod.ts";
const fixture = "${base}tests/fixtures/pool_tasks.ts";
const T = tasks<{ add(a: number, b: number): number }>(fixture);
await using pool = new ${pool}({ maxWorkers: 2, name: "user"${extra} });
const results = await Promise.all([
  pool.submit((a: number, b: number) => a * b, 6, 7),
  pool.submit(T.add, 1, 2),
  pool.submit(() => self.name),
  Array.fromAsync(pool.map((n: number) => n + 1, [1, 2, 3], { chunksize: 2 })),
]);
await using file = await aioOpen(${JSON.stringify(dataFile)}, { read: true });
const cb = { file, offset: 7, buffer: new Uint8Array(3) };
aioRead(cb);
await aioSuspend([cb]);
results.push(aioReturn(cb), new TextDecoder().decode(cb.buffer));
console.log(JSON.stringify(results));
`;
}

const EXPECTED = JSON.stringify([42, 3, "user-1", [2, 3, 4], 3, "aio"]);

/**
 * The output of a process pool's run: which child runs the name task
 * depends on which one answers first (a child without a claims file is
 * sent no more than it can start).
 */
function processOutput(stdout: string): string {
  return stdout.trim().replace('"user-2"', '"user-1"');
}

/**
 * Runs the user program from a fresh folder with exactly `permissions`.
 * Registries point at a closed port, so a `jsr:` or `npm:` import anywhere in
 * the graph fails fast instead of resolving.
 */
async function runUser(
  base: (dataFile: string) => string,
  permissions: (dataFile: string) => string[],
  program: (base: string, dataFile: string) => string = user,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "pool_user_" });
  try {
    const dataFile = join(dir, "data.txt");
    await Deno.writeTextFile(dataFile, "hello, aio!");
    await Deno.writeTextFile(
      join(dir, "main.ts"),
      program(base(dataFile), dataFile),
    );
    return await deno(
      ["run", "--no-config", ...permissions(dataFile), "main.ts"],
      {
        cwd: dir,
        env: {
          // A cache of its own: nothing comes from the shared one, and modules
          // fetched from the test server (a new port each run) stay out of it.
          DENO_DIR: join(dir, "cache"),
          JSR_URL: "http://127.0.0.1:9/",
          NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
        },
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the module works imported by file URL from a folder with no deno.json", async () => {
  const base = toFileUrl(ROOT).href;
  const { code, stdout, stderr } = await runUser(() => base, (dataFile) => [
    // The README's flags: the workers load the module's executors/ folder
    // (functions sent as source too), a module task its own file, and aio
    // the file it opens.
    `--allow-read=${join(ROOT, "executors")},${
      join(ROOT, "tests", "fixtures", "pool_tasks.ts")
    },${dataFile}`,
  ]);
  assertEquals(code, 0, stderr);
  assertEquals(stdout.trim(), EXPECTED);
});

Deno.test("functions sent as source need --allow-read for the module's worker script", async () => {
  const base = toFileUrl(ROOT).href;
  const { code, stderr } = await runUser(() => base, (dataFile) => [
    `--allow-read=${
      join(ROOT, "tests", "fixtures", "pool_tasks.ts")
    },${dataFile}`,
  ]);
  assertEquals(code, 1);
  const needs = `Requires read access to "${join(ROOT, "executors")}`;
  assertEquals(stderr.includes(needs), true, stderr);
});

Deno.test("the module works imported over HTTP from a folder with no deno.json", async () => {
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
    const { code, stdout, stderr } = await runUser(
      () => `http://${host}/`,
      (dataFile) => [`--allow-import=${host}`, `--allow-read=${dataFile}`],
    );
    assertEquals(code, 0, stderr);
    assertEquals(stdout.trim(), EXPECTED);
    // A process pool's children load the same runtime over HTTP (granted
    // that host).
    const processes = await runUser(
      () => `http://${host}/`,
      (dataFile) => [
        `--allow-import=${host}`,
        `--allow-read=${dataFile}`,
        "--allow-run",
      ],
      (base, dataFile) => user(base, dataFile, "ProcessPoolExecutor"),
    );
    assertEquals(processes.code, 0, processes.stderr);
    assertEquals(processOutput(processes.stdout), EXPECTED);
  } finally {
    await server.shutdown();
  }
});

Deno.test("ProcessPoolExecutor works imported by file URL from a folder with no deno.json", async () => {
  const base = toFileUrl(ROOT).href;
  const reads = [
    join(ROOT, "executors"),
    join(ROOT, "tests", "fixtures", "pool_tasks.ts"),
  ];
  // A grant limited to some paths cannot be read back to be inherited: the
  // program passes it on to its children explicitly.
  const { code, stdout, stderr } = await runUser(
    () => base,
    (dataFile) => [`--allow-read=${[...reads, dataFile]}`, "--allow-run"],
    (base, dataFile) =>
      user(
        base,
        dataFile,
        "ProcessPoolExecutor",
        `, permissions: { read: ${JSON.stringify(reads)} }`,
      ),
  );
  assertEquals(code, 0, stderr);
  assertEquals(processOutput(stdout), EXPECTED);
});

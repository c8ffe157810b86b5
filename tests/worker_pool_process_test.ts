// Copyright 2026 the @concurrent/futures authors. MIT license.
// Whole programs in a subprocess: a program that forgets shutdown() exits on
// its own, and worker permissions.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { deno, FIXTURE, outsideConfig } from "./fixtures/pool_helpers.ts";

const MOD = import.meta.resolve("../mod.ts");

/** Writes a program (and a deno.json resolving JSR offline) to a temp dir. */
async function program(source: string): Promise<{ dir: string; file: string }> {
  const dir = await Deno.makeTempDir({ prefix: "pool_process_" });
  await Deno.writeTextFile(`${dir}/deno.json`, outsideConfig());
  await Deno.writeTextFile(`${dir}/main.ts`, source);
  return { dir, file: `${dir}/main.ts` };
}

const FORGETFUL = `
import { tasks, WorkerPoolExecutor } from "${MOD}";
const T = tasks<typeof import("${FIXTURE}")>("${FIXTURE}");
const options = JSON.parse(Deno.args[0] ?? "{}");
if (options.idleTimeout === null) options.idleTimeout = Infinity;
const pool = new WorkerPoolExecutor({ maxWorkers: 2, ...options });
const results = await Promise.all(
  Array.from({ length: 20 }, (_, i) => pool.submit(T.add, i, 1)),
);
console.log(results.reduce((a, b) => a + b, 0), pool.stats().completed);
// No shutdown(): idle workers must not keep the process alive.
`;

Deno.test("WorkerPoolExecutor: a program that never calls shutdown() exits on its own", async () => {
  const { dir, file } = await program(FORGETFUL);
  try {
    const runs = await Promise.all(
      [
        "{}",
        '{"idleTimeout": 50}',
        // Kept workers and no idle timeout: still no reason to stay alive.
        '{"minWorkers": 2, "idleTimeout": null}',
      ].map((options) =>
        deno(["run", "--allow-read", file, options], { cwd: dir })
      ),
    );
    for (const { code, stdout, stderr } of runs) {
      assertEquals(code, 0, stderr);
      assertEquals(stdout.trim(), "210 20");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const PERMISSIONS = `
import { WorkerPoolExecutor } from "${MOD}";
const path = new URL("${FIXTURE}").pathname;
// Self-contained: a module task would itself need read access to be imported.
const read = (path: string) => Deno.readTextFileSync(path);
const out: string[] = [];
for (const permissions of ["none", { read: false }, "inherit"] as const) {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, permissions });
  try {
    const text = await pool.submit(read, path);
    out.push(text.includes("Task fixtures") ? "read" : "wrong");
  } catch (error) {
    const denied = error instanceof Deno.errors.NotCapable ||
      error instanceof Deno.errors.PermissionDenied;
    out.push(denied ? "denied:" + (error as Error).name : "other:" + error);
  }
}
console.log(out.join(" "));
`;

Deno.test("WorkerPoolExecutor: permissions restrict what tasks may do", async () => {
  const { dir, file } = await program(PERMISSIONS);
  try {
    const { code, stdout, stderr } = await deno(
      ["run", "--unstable-worker-options", "--allow-read", file],
      { cwd: dir },
    );
    assertEquals(code, 0, stderr);
    assertEquals(
      stdout.trim(),
      "denied:NotCapable denied:NotCapable read",
    );
    // Without the flag Deno ends the process itself (no way to catch or
    // detect it beforehand); its message names the flag. Documented.
    const without = await deno(["run", "--allow-read", file], { cwd: dir });
    assertEquals(without.code, 70);
    assertStringIncludes(without.stderr, "--unstable-worker-options");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

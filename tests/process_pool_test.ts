// Copyright 2026 the @concurrent/futures authors. MIT license.
// What ProcessPoolExecutor adds to the pool it shares with
// WorkerPoolExecutor (whose tests run on both): memory limits, sandboxing
// by flags, truthful cancel of tasks sent ahead without shared memory, and
// children that never outlive their parent.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { ProcessPoolExecutor, WorkerCrashedError } from "../mod.ts";
import { FIXTURE, T, waitFor } from "./fixtures/pool_helpers.ts";

Deno.test("ProcessPoolExecutor: a task past maxMemory fails with WorkerCrashedError saying so; the pool goes on", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1, maxMemory: 64 });
  const hog = pool.submit(() => {
    const hold: number[][] = [];
    while (true) hold.push(new Array(1 << 16).fill(1.5));
  });
  const error = await assertRejects(() => hog.result(), WorkerCrashedError);
  assertInstanceOf(error.cause, Error);
  assertStringIncludes((error.cause as Error).message, "maxMemory (64 MiB");
  assertEquals(await pool.submit((n: number) => n + 1, 1), 2);
  assertEquals(pool.stats().failed, 1);
});

Deno.test("ProcessPoolExecutor: permissions become the child's flags", async () => {
  const path = new URL(FIXTURE).pathname;
  const read = (path: string) => Deno.readTextFileSync(path).length > 0;
  const cases: [Deno.PermissionOptions, string | boolean][] = [
    ["none", "NotCapable"],
    [{ read: false }, "NotCapable"],
    [{ read: [path] }, true],
    ["inherit", true],
  ];
  for (const [permissions, expected] of cases) {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 1, permissions });
    const outcome = await pool.submit(read, path).then(
      (value) => value,
      (error) => (error as Error).name,
    );
    assertEquals(outcome, expected, JSON.stringify(permissions));
  }
  // The claims file the pool shares with a sandboxed child is not the
  // task's to touch: its permission is given up before any task runs.
  {
    await using pool = new ProcessPoolExecutor({
      maxWorkers: 1,
      permissions: "none",
    });
    const claims = pool.submit(() => {
      const path = Deno.args[1];
      try {
        Deno.openSync(path, { read: true, write: true }).close();
        return "opened";
      } catch (error) {
        return (error as Error).name;
      }
    });
    assertEquals(await claims, "NotCapable");
  }
  // Sandboxed children still run module tasks they may read.
  await using pool = new ProcessPoolExecutor({
    maxWorkers: 1,
    permissions: { read: [new URL(".", FIXTURE)], env: false },
  });
  assertEquals(await pool.submit(T.add, 2, 3), 5);
  const env = pool.submit(() => Deno.env.get("HOME"));
  assertEquals((await env.exception() as Error).name, "NotCapable");
});

Deno.test("ProcessPoolExecutor: cancel() of a task sent ahead is true to its word", async () => {
  const log = await Deno.makeTempFile({ prefix: "process_pool_cancel_" });
  try {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
    // Appends `i` to the log, after a busy wait of `ms`.
    const step = (log: string, i: number, ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) { /* busy */ }
      Deno.writeTextFileSync(log, `${i}\n`, { append: true });
      return i;
    };
    // Learnt as cheap, so many are sent ahead behind a slow one.
    for (let i = 0; i < 20; i++) await pool.submit(step, "/dev/null", i, 0);
    const slow = pool.submit(step, log, -1, 300);
    const futures = Array.from(
      { length: 40 },
      (_, i) => pool.submit(step, log, i, 0),
    );
    await waitFor(() => pool.stats().queued < 40, "tasks sent ahead");
    let cancelled = 0;
    for (let i = 0; i < futures.length; i += 2) {
      const pending = futures[i].state === "pending";
      const result = futures[i].cancel();
      assertEquals(result, pending, `task ${i}`);
      if (result) cancelled++;
    }
    assert(cancelled > 0, "some tasks were still pending");
    await slow;
    await Promise.allSettled(futures);
    const ran = new Set(
      (await Deno.readTextFile(log)).trim().split("\n").map(Number),
    );
    for (let i = 0; i < futures.length; i++) {
      assertEquals(ran.has(i), !futures[i].cancelled(), `task ${i}`);
    }
    assertEquals(pool.stats().cancelled, cancelled);
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("ProcessPoolExecutor: what a task prints goes to stderr, not into the frames", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  const chatty = () => {
    console.log("stdout is the pool's");
    Deno.stdout.writeSync(new TextEncoder().encode("raw\n"));
    return "fine";
  };
  assertEquals(await pool.submit(chatty), "fine");
  assertMatch(
    await pool.submit(() => self.name),
    /^ProcessPoolExecutor-\d+-1$/,
  );
});

Deno.test("ProcessPoolExecutor: a SharedArrayBuffer argument fails with DataCloneError", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  const future = pool.submit(
    (b: SharedArrayBuffer) => b.byteLength,
    new SharedArrayBuffer(8),
  );
  const error = await assertRejects(() => future.result(), DOMException);
  assertEquals(error.name, "DataCloneError");
  assertEquals(await pool.submit(T.add, 1, 1), 2);
});

Deno.test("ProcessPoolExecutor: a child that exits or is killed gives the cause", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  const exit = pool.submit(() => Deno.exit(7));
  const error = await assertRejects(() => exit.result(), WorkerCrashedError);
  assertMatch(
    String((error.cause as Error).message),
    /exited with code 7 \(Deno\.exit\(\)\)/,
  );
  const killed = pool.submit(() => Deno.kill(Deno.pid, "SIGKILL"));
  const killError = await assertRejects(
    () => killed.result(),
    WorkerCrashedError,
  );
  assertMatch(String((killError.cause as Error).message), /killed by SIGKILL/);
  assertEquals(await pool.submit(T.add, 2, 2), 4);
});

const MOD = import.meta.resolve("../executors/mod.ts");

const ORPHANS = `
import { ProcessPoolExecutor } from "${MOD}";
const pool = new ProcessPoolExecutor({ maxWorkers: 2 });
// One child busy for good, one idle.
pool.submit(() => { while (true) { /* spin */ } });
await pool.submit((n: number) => n, 1);
while (pool.stats().workers < 2) await new Promise((r) => setTimeout(r, 5));
const out = new Deno.Command("ps", { args: ["-o", "pid=,comm=", "--ppid", String(Deno.pid)] }).outputSync();
const pids = new TextDecoder().decode(out.stdout).split("\\n").map((s) => s.trim().split(/\\s+/))
  .filter(([, comm]) => comm === "deno").map(([pid]) => pid);
console.log(pids.join(" "));
await new Promise(() => {}); // wait to be killed
`;

Deno.test("ProcessPoolExecutor: a parent killed with SIGKILL leaves no child behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "process_pool_orphans_" });
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, ORPHANS);
    const parent = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${dir}/main.ts`],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const timer = setTimeout(() => parent.kill("SIGKILL"), 30_000);
    const reader = parent.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let line = "";
    while (!line.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      line += value;
    }
    const pids = line.trim().split(" ").filter((pid) => pid !== "");
    assertEquals(pids.length, 2, line);
    parent.kill("SIGKILL");
    await parent.status;
    clearTimeout(timer);
    await reader.cancel();
    const alive = () =>
      pids.filter((pid) => {
        try {
          // A zombie has been killed already: only a live child counts.
          const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
          return !/^\d+ \(.*\) Z /.test(stat);
        } catch {
          return false;
        }
      });
    await waitFor(() => alive().length === 0, "the children to exit", 5_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const FORGETFUL = `
import { ProcessPoolExecutor } from "${MOD}";
const pool = new ProcessPoolExecutor({ maxWorkers: 2, ...JSON.parse(Deno.args[0]) });
const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.submit((n: number) => n + 1, i)));
console.log(results.reduce((a, b) => a + b, 0));
// No shutdown(): idle children must not keep the process alive.
`;

Deno.test("ProcessPoolExecutor: a program that never calls shutdown() exits on its own", async () => {
  const dir = await Deno.makeTempDir({ prefix: "process_pool_forgetful_" });
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, FORGETFUL);
    for (const options of ["{}", '{"minWorkers": 2, "idleTimeout": 60000}']) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${dir}/main.ts`, options],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const { code, stdout } = await child.output();
      clearTimeout(timer);
      assertEquals(code, 0, options);
      assertEquals(new TextDecoder().decode(stdout).trim(), "210");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcessPoolExecutor: values cross as structuredClone carries them, large ones too", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  const buffer = new ArrayBuffer(16);
  const view = new Uint8Array(buffer, 4, 4);
  view.set([1, 2, 3, 4]);
  const value = {
    view,
    buffer,
    map: new Map([[1, new Set(["a"])]]),
    date: new Date(0),
    big: 2n ** 70n,
    nested: [undefined, null, -0, NaN],
    large: new Float64Array(1 << 18).fill(1.5), // 2 MiB: many pipe chunks
  };
  const echoed = await pool.submit((v: typeof value) => v, value);
  assertEquals(echoed, value);
  assert(echoed.view.buffer === echoed.buffer, "views keep their buffer");
  assertEquals([echoed.view.byteOffset, echoed.buffer.byteLength], [4, 16]);
  const shape = await pool.submit(
    (u: Uint8Array) => [u.byteOffset, u.buffer.byteLength],
    new Uint8Array([9, 9]),
  );
  assertEquals(shape, [0, 2]);
});

const NO_CLAIMS = `
import { ProcessPoolExecutor } from "${MOD}";
await using pool = new ProcessPoolExecutor({ maxWorkers: 1, name: "q" });
const add = (a: number, b: number) => a + b;
for (let i = 0; i < 5; i++) await pool.submit(add, 1, 2); // learnt as cheap
const crash = pool.submit(() => {
  const end = Date.now() + 50;
  while (Date.now() < end) { /* busy */ }
  Deno.exit(3);
});
const after = Array.from({ length: 5 }, (_, i) => pool.submit(add, i, 10));
// Waits in the pool (nothing more is sent to a child): cancel() holds.
const cancelled = pool.submit(add, 0, 0).cancel();
const error = await crash.exception() as Error;
const results = await Promise.allSettled(after);
console.log(JSON.stringify([
  error.name,
  cancelled,
  results.map((r) => r.status === "fulfilled" ? r.value : r.reason.name),
  await pool.submit(() => self.name),
]));
`;

Deno.test("ProcessPoolExecutor without a claims file (no write access): sends nothing it could not take back, and a crash loses nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "process_pool_no_claims_" });
  try {
    await Deno.writeTextFile(`${dir}/main.ts`, NO_CLAIMS);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-run", "--allow-read", `${dir}/main.ts`],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const { code, stdout } = await child.output();
    clearTimeout(timer);
    assertEquals(code, 0);
    assertEquals(
      JSON.parse(new TextDecoder().decode(stdout)),
      ["WorkerCrashedError", true, [10, 11, 12, 13, 14], "q-2"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Copyright 2026 the @concurrent/futures authors. MIT license.
// A task stuck in `while (true) {}` and stopped (timeout, force-cancel, an
// aborted signal) never keeps the program alive, on threads (whose loop
// Deno cannot interrupt: the thread spins on but no longer holds the
// process) or processes (whose child is killed: its pid leaves the process
// list within a second). Whole programs in a subprocess, each with a kill
// timer so that a hang fails the test instead of hanging it.

import { assertEquals } from "@std/assert";

const MOD = import.meta.resolve("../executors/mod.ts");

const PROGRAM = `
import { ProcessPoolExecutor, WorkerPoolExecutor } from "${MOD}";
const [kind, mode, ending] = Deno.args;
const Pool = kind === "process" ? ProcessPoolExecutor : WorkerPoolExecutor;
const pool = new Pool({ maxWorkers: 1, idleTimeout: 50 });
const marker = Deno.makeTempFileSync();
Deno.removeSync(marker);
const spin = (path: string) => {
  Deno.writeTextFileSync(path, "spinning");
  while (true) { /* never yields */ }
};
const controller = new AbortController();
const future = pool.run(spin, [marker], mode === "timeout"
  ? { timeout: 2000 }
  : mode === "signal" ? { signal: controller.signal } : {});
// Stop it only once it spins for sure (a timeout may come first on a very
// slow machine: then the output says so).
let started = false;
while (!started && !future.done()) {
  try { Deno.statSync(marker); started = true; } catch { /* not yet */ }
  await new Promise((r) => setTimeout(r, 5));
}
if (!started) console.log("the timeout came before the task started");
else Deno.removeSync(marker);
const children = () =>
  new TextDecoder().decode(
    new Deno.Command("ps", { args: ["-o", "pid=,comm=", "--ppid", String(Deno.pid)] })
      .outputSync().stdout,
  ).split("\\n").map((s) => s.trim().split(/\\s+/))
    .filter(([, comm]) => comm === "deno").map(([pid]) => pid);
const spinning = children();
if (mode === "cancel") future.cancel({ force: true });
if (mode === "signal") controller.abort();
const outcome = await future.then(() => "value", (e) => e.name);
let gone = "n/a";
if (kind === "process") {
  // Within a second the child is gone (killed, no CPU): poll for it.
  const deadline = Date.now() + 1000;
  while (spinning.some((pid) => children().includes(pid)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  gone = spinning.length === 1 && !spinning.some((pid) => children().includes(pid))
    ? "gone" : "alive:" + spinning.join(",");
}
const after = await pool.submit((n: number) => n + 1, 1);
if (ending === "shutdown") await pool.shutdown();
console.log(outcome, after, gone);
// No exit call: the program must end by itself.
`;

async function runProgram(
  dir: string,
  args: string[],
): Promise<{ code: number; signal: Deno.Signal | null; stdout: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${dir}/main.ts`, ...args],
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  // The kill timer: a program that hangs fails the test, never hangs it.
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const { code, signal, stdout } = await child.output();
    return { code, signal, stdout: new TextDecoder().decode(stdout).trim() };
  } finally {
    clearTimeout(timer);
  }
}

const EXPECTED = {
  timeout: "TimeoutError",
  cancel: "CancelledError",
  signal: "CancelledError",
} as const;

for (const kind of ["worker", "process"] as const) {
  const name = kind === "worker" ? "WorkerPoolExecutor" : "ProcessPoolExecutor";
  Deno.test(`${name}: a program exits by itself after a while (true) {} was stopped by timeout, force-cancel or signal`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "pool_stop_exit_" });
    try {
      await Deno.writeTextFile(`${dir}/main.ts`, PROGRAM);
      const runs: [string, string][] = [
        ["timeout", "shutdown"],
        ["cancel", "shutdown"],
        ["signal", "shutdown"],
        // Without shutdown(): the idle replacement does not hold it either.
        ["timeout", "forget"],
      ];
      // One at a time: each keeps a core spinning for a while.
      for (const [mode, ending] of runs) {
        const { code, signal, stdout } = await runProgram(dir, [
          kind,
          mode,
          ending,
        ]);
        assertEquals(
          { code, signal },
          { code: 0, signal: null },
          `${mode}/${ending}: killed by the test's timer?`,
        );
        const gone = kind === "process" ? "gone" : "n/a";
        assertEquals(
          stdout,
          `${EXPECTED[mode as keyof typeof EXPECTED]} 2 ${gone}`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

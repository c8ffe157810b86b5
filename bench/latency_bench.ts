// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * What one awaited task costs: one worker, a trivial module task
 * (`n => n + 1`), one task at a time, each awaited before the next is sent
 * (what a server that offloads one step per request feels).
 *
 * Group "thread" (Web Workers): a raw Web Worker answering each
 * `postMessage` with one `postMessage` (the baseline); a shared-memory
 * ping-pong (`SharedArrayBuffer`, the worker in `Atomics.wait`, the host in
 * `Atomics.waitAsync`, no message at all); `WorkerPoolExecutor`;
 * npm:poolifier-web-worker.
 *
 * Group "process" (child processes): a raw `Deno.Command` child echoing
 * over its stdin/stdout, framed as ProcessPoolExecutor's children are (a
 * 4-byte length, then V8's serialisation; the baseline); and
 * `ProcessPoolExecutor`.
 *
 * Everything is started and warmed before anything is timed.
 *
 * - `deno bench -A --config bench/deno.json bench/latency_bench.ts`:
 *   Deno.bench groups, one awaited task per iteration.
 * - `deno run -A bench/latency_bench.ts [--samples 20000]`: every case
 *   `--samples` times, in blocks interleaved across the cases so that all
 *   see the same machine; p50 / p99 / mean per case, the ratios to the
 *   group's baseline, and the targets (pool p50 at most 1.2x the baseline's,
 *   p99 at most 1.5x).
 *
 * @module
 */

import {
  ProcessPoolExecutor,
  tasks,
  WorkerPoolExecutor,
} from "@concurrent/futures";
// The peer is a bench-only dependency, pinned inline (see bench/deno.json).
// deno-lint-ignore no-import-prefix
import { FixedThreadPool } from "npm:poolifier-web-worker@0.5.15";
import { encodeFrame, FrameReader } from "../executors/_frames.ts";
import { parseArgs } from "@std/cli/parse-args";
import type * as BenchTasks from "./fixtures/executors_tasks.ts";

const T = tasks<typeof BenchTasks>(
  import.meta.resolve("./fixtures/executors_tasks.ts"),
);
const fixture = (name: string) =>
  new URL(`./fixtures/${name}`, import.meta.url);

/** One contender: sends `n`, resolves with the worker's `n + 1`. */
interface Case {
  name: string;
  group: "thread" | "process";
  baseline?: boolean;
  /** Whether the latency targets apply to it. */
  target?: boolean;
  once(n: number): PromiseLike<number>;
  close(): Promise<void> | void;
}

/** The raw Web Worker: one postMessage each way. */
function rawWorker(): Case {
  const worker = new Worker(fixture("latency_echo_worker.ts"), {
    type: "module",
  });
  let resolve: (value: number) => void = () => {};
  worker.onmessage = (event) => resolve(event.data);
  return {
    name: "raw postMessage echo",
    group: "thread",
    baseline: true,
    once: (n) =>
      new Promise<number>((r) => {
        resolve = r;
        worker.postMessage(n);
      }),
    close: () => worker.terminate(),
  };
}

// Word indices of the ping-pong's Int32Array (as in its worker).
const REQUEST = 0, DONE = 1, ARG = 2, RESULT = 3, STOP = 4;

/** The shared-memory ping-pong: no message per task. */
async function atomicsWorker(): Promise<Case> {
  const worker = new Worker(fixture("latency_atomics_worker.ts"), {
    type: "module",
  });
  const i32 = new Int32Array(new SharedArrayBuffer(8 * 4));
  const ready = Promise.withResolvers<void>();
  worker.onmessage = () => ready.resolve();
  worker.postMessage(i32.buffer);
  await ready.promise;
  return {
    name: "SharedArrayBuffer + Atomics.waitAsync",
    group: "thread",
    async once(n) {
      Atomics.store(i32, ARG, n);
      const done = Atomics.load(i32, DONE);
      Atomics.add(i32, REQUEST, 1);
      Atomics.notify(i32, REQUEST);
      // Checked again after each wake: V8 lets waitAsync resolve "ok" now
      // and then though the word is unchanged (seen here about once in
      // 50,000 waits).
      while (Atomics.load(i32, DONE) === done) {
        const wait = Atomics.waitAsync(i32, DONE, done);
        if (wait.async) await wait.value;
      }
      return Atomics.load(i32, RESULT);
    },
    close() {
      Atomics.store(i32, STOP, 1);
      Atomics.add(i32, REQUEST, 1);
      Atomics.notify(i32, REQUEST);
      worker.terminate();
    },
  };
}

/** The raw child process: frames over stdin/stdout. */
function rawPipe(): Case {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", fixture("latency_pipe_echo.ts").href],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  const frames = new FrameReader();
  let pending: unknown[] = [];
  return {
    name: "raw child-process pipe echo",
    group: "process",
    baseline: true,
    async once(n) {
      writer.write(encodeFrame(n));
      while (pending.length === 0) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the echo child exited");
        pending = frames.push(value);
      }
      return pending.shift() as number;
    },
    async close() {
      await writer.close();
      await reader.cancel();
      await child.status;
    },
  };
}

/** Creates and warms every contender. */
async function setup(group?: string): Promise<Case[]> {
  const pool = new WorkerPoolExecutor({ maxWorkers: 1, minWorkers: 1 });
  const processes = new ProcessPoolExecutor({ maxWorkers: 1, minWorkers: 1 });
  const poolifier = new FixedThreadPool<number, number>(
    1,
    fixture("executors_poolifier_worker.ts"),
    { errorEventHandler: (event) => console.error(event) },
  );
  let cases: Case[] = [
    rawWorker(),
    await atomicsWorker(),
    {
      name: "WorkerPoolExecutor",
      group: "thread",
      target: true,
      once: (n) => pool.submit(T.inc, n),
      close: () => pool.shutdown(),
    },
    {
      name: "poolifier-web-worker",
      group: "thread",
      once: (n) => poolifier.execute(n),
      close: () => poolifier.destroy(),
    },
    rawPipe(),
    {
      name: "ProcessPoolExecutor",
      group: "process",
      target: true,
      once: (n) => processes.submit(T.inc, n),
      close: () => processes.shutdown(),
    },
  ];
  for (const c of cases) {
    if (group !== undefined && c.group !== group) await c.close();
  }
  cases = cases.filter((c) => group === undefined || c.group === group);
  for (const c of cases) {
    for (let i = 0; i < 2000; i++) {
      if (await c.once(i) !== i + 1) throw new Error(`${c.name}: wrong result`);
    }
  }
  return cases;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Script mode: interleaved blocks of samples, then the table. */
async function table(samples: number, group?: string): Promise<void> {
  const cases = await setup(group);
  const BLOCK = 500;
  const times = cases.map(() => new Float64Array(samples));
  const rounds = Math.ceil(samples / BLOCK);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      // Each round starts with another case.
      const index = (k + round) % cases.length;
      const c = cases[index];
      const end = Math.min(samples, (round + 1) * BLOCK);
      for (let i = round * BLOCK; i < end; i++) {
        const start = performance.now();
        const value = await c.once(i);
        times[index][i] = performance.now() - start;
        if (value !== i + 1) {
          throw new Error(`${c.name}: ${value} for ${i}`);
        }
      }
    }
  }
  for (const c of cases) await c.close();
  const rows = cases.map((c, index) => {
    const sorted = times[index].sort();
    let sum = 0;
    for (const t of sorted) sum += t;
    return {
      c,
      p50: percentile(sorted, 0.5) * 1000,
      p99: percentile(sorted, 0.99) * 1000,
      mean: sum / sorted.length * 1000,
    };
  });
  console.log(
    `awaited-task latency, 1 worker, ${samples} samples per case (µs)\n`,
  );
  let failed = false;
  for (const group of ["thread", "process"] as const) {
    if (!rows.some((row) => row.c.group === group)) continue;
    const base = rows.find((row) => row.c.group === group && row.c.baseline)!;
    console.log(`group ${group}`);
    console.log(
      `  ${"case".padEnd(40)} ${"p50".padStart(8)} ${"p99".padStart(8)} ${
        "mean".padStart(8)
      }   p50 ratio  p99 ratio`,
    );
    for (const row of rows.filter((row) => row.c.group === group)) {
      const r50 = row.p50 / base.p50, r99 = row.p99 / base.p99;
      console.log(
        `  ${row.c.name.padEnd(40)} ${row.p50.toFixed(1).padStart(8)} ${
          row.p99.toFixed(1).padStart(8)
        } ${row.mean.toFixed(1).padStart(8)}   ${r50.toFixed(2).padStart(8)}x ${
          r99.toFixed(2).padStart(8)
        }x`,
      );
      if (row.c.target) {
        const ok = r50 <= 1.2 && r99 <= 1.5;
        if (!ok) failed = true;
        console.log(
          `    target p50 <= 1.2x, p99 <= 1.5x of "${base.c.name}": ${
            ok ? "met" : "NOT met"
          }`,
        );
      }
    }
    console.log();
  }
  if (failed) Deno.exitCode = 1;
}

const USAGE =
  `Usage: deno run -A bench/latency_bench.ts [--samples N] [--group G]

Times N awaited tasks per case (interleaved) and prints p50 / p99 / mean.

  --samples N  samples per case (default 20000)
  --group G    only the "thread" or the "process" group
  --help       this text`;

if (import.meta.main) {
  const flags = parseArgs(Deno.args, {
    string: ["samples", "group"],
    boolean: ["help"],
    default: { samples: "20000" },
    unknown(arg) {
      console.error(`unknown option ${arg}\n\n${USAGE}`);
      Deno.exit(2);
    },
  });
  if (flags.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const samples = Number(flags.samples);
  if (!Number.isInteger(samples) || samples < 100) {
    console.error(`--samples needs a whole number >= 100\n\n${USAGE}`);
    Deno.exit(2);
  }
  const group = flags.group;
  if (group !== undefined && group !== "thread" && group !== "process") {
    console.error(`--group is "thread" or "process"\n\n${USAGE}`);
    Deno.exit(2);
  }
  await table(samples, group);
} else {
  // Under `deno bench` everything stays open to the end: the bench runner
  // exits once the last bench has run.
  const cases = await setup();
  let n = 0;
  for (const c of cases) {
    Deno.bench({
      name: c.name,
      group: c.group,
      baseline: c.baseline ?? false,
      async fn() {
        const value = await c.once(n);
        if (value !== n++ + 1) throw new Error("wrong result");
      },
    });
  }
}

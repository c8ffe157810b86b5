// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * ProcessPoolExecutor against its peers, side by side in one run.
 *
 * - "trivial": 20 000 trivial module tasks (`n => n + 1`) submitted at once,
 *   then all awaited, with 2 workers each: this pool with child processes
 *   (`submit`, the baseline, and `map` with chunks of 256),
 *   npm:poolifier-web-worker on threads, and Python's own
 *   `concurrent.futures.ProcessPoolExecutor` (run by `python3`, which times
 *   its own rounds: the same 20 000 `submit`s, and `map` with chunks of 256).
 * - "cpu": a batch of CPU-bound tasks (naive fib) on 1 child (the baseline)
 *   and on one child per core; and the same on threads (WorkerPoolExecutor),
 *   as the ceiling the machine allows in this run.
 * - "start": spawn to first result, a child process next to a Web Worker
 *   (a fresh pool each time, one task).
 *
 * Pools are created and warmed before anything is timed.
 *
 * - `deno run -A bench/process_pool_bench.ts [--rounds=11]`: every case once
 *   per round, interleaved, then medians, ratios and the targets (trivial
 *   submit >= 1x poolifier-web-worker and >= 5x Python's
 *   ProcessPoolExecutor; CPU speedup >= 0.9 x cores).
 * - `deno bench -A bench/process_pool_bench.ts`: Deno.bench groups (without
 *   Python, which times itself).
 *
 * @module
 */

import { ProcessPoolExecutor, WorkerPoolExecutor } from "@concurrent/futures";
import {
  CORES,
  FIB_N,
  FIB_TASKS,
  fibBatch,
  startPoolifier,
  T,
  TRIVIAL,
  trivialCases,
  warm,
  WORKERS,
} from "./_pool_cases.ts";
import { parseArgs } from "@std/cli/parse-args";
import { median } from "./_median.ts";

interface Case {
  name: string;
  group: "trivial" | "cpu" | "start";
  baseline?: boolean;
  /** Runs once; may return the ms to count (else the whole run counts). */
  run(): Promise<number | void>;
}

function processPool(workers: number): ProcessPoolExecutor {
  return new ProcessPoolExecutor({
    maxWorkers: workers,
    minWorkers: workers,
    idleTimeout: Infinity,
  });
}

async function setup(): Promise<{ cases: Case[]; close: () => Promise<void> }> {
  const ours = processPool(WORKERS);
  await warm(WORKERS, () => ours.stats().workers, () => ours.submit(T.fib, 18));
  const poolifier = await startPoolifier();
  const single = processPool(1);
  await warm(1, () => single.stats().workers, () => single.submit(T.fib, 18));
  const perCore = processPool(CORES);
  await warm(
    CORES,
    () => perCore.stats().workers,
    () => perCore.submit(T.fib, 18),
  );
  // The same batch on threads, as the machine's ceiling in this run.
  const threads1 = new WorkerPoolExecutor({
    maxWorkers: 1,
    minWorkers: 1,
    idleTimeout: Infinity,
  });
  await warm(
    1,
    () => threads1.stats().workers,
    () => threads1.submit(T.fib, 18),
  );
  const threadsPerCore = new WorkerPoolExecutor({
    maxWorkers: CORES,
    minWorkers: CORES,
    idleTimeout: Infinity,
  });
  await warm(
    CORES,
    () => threadsPerCore.stats().workers,
    () => threadsPerCore.submit(T.fib, 18),
  );
  // From the constructor to the first result; stopping it is not counted.
  const firstResult = async (make: () => WorkerPoolExecutor) => {
    const start = performance.now();
    const pool = make();
    if (await pool.submit(T.inc, 1) !== 2) throw new Error("wrong result");
    const ms = performance.now() - start;
    await pool.shutdown();
    return ms;
  };
  const cases: Case[] = [
    ...trivialCases(
      "ProcessPoolExecutor",
      ours,
      poolifier,
      "poolifier-web-worker (threads)",
    ),
    {
      name: `fib(${FIB_N}) x ${FIB_TASKS}, 1 child`,
      group: "cpu",
      baseline: true,
      run: () => fibBatch(single),
    },
    {
      name: `fib(${FIB_N}) x ${FIB_TASKS}, ${CORES} children (one per core)`,
      group: "cpu",
      run: () => fibBatch(perCore),
    },
    {
      name: `threads: fib(${FIB_N}) x ${FIB_TASKS}, 1 worker`,
      group: "cpu",
      run: () => fibBatch(threads1),
    },
    {
      name: `threads: fib(${FIB_N}) x ${FIB_TASKS}, ${CORES} workers`,
      group: "cpu",
      run: () => fibBatch(threadsPerCore),
    },
    {
      name: "Web Worker: spawn to first result",
      group: "start",
      baseline: true,
      run: () => firstResult(() => new WorkerPoolExecutor({ maxWorkers: 1 })),
    },
    {
      name: "child process: spawn to first result",
      group: "start",
      run: () => firstResult(() => new ProcessPoolExecutor({ maxWorkers: 1 })),
    },
  ];
  const close = async () => {
    await Promise.all([
      ours.shutdown(),
      single.shutdown(),
      perCore.shutdown(),
      threads1.shutdown(),
      threadsPerCore.shutdown(),
      poolifier.destroy(),
    ]);
  };
  return { cases, close };
}

/** Python's ProcessPoolExecutor timing its own rounds (ms per round). */
const PYTHON = `
import json, sys, time
from concurrent.futures import ProcessPoolExecutor

def inc(n):
    return n + 1

if __name__ == "__main__":
    n, workers, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    out = {"submit": [], "map": []}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(inc, range(1000)))  # warm: every worker started
        for r in range(rounds + 1):
            t = time.perf_counter()
            results = [f.result() for f in [pool.submit(inc, i) for i in range(n)]]
            assert results[-1] == n
            if r: out["submit"].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            results = list(pool.map(inc, range(n), chunksize=256))
            assert results[-1] == n
            if r: out["map"].append((time.perf_counter() - t) * 1000)
    print(json.dumps(out))
`;

async function python(
  rounds: number,
): Promise<{ submit: number[]; map: number[] } | string> {
  const dir = await Deno.makeTempDir({ prefix: "process_pool_bench_" });
  try {
    // A file, not -c: the children of a "spawn" pool re-import the module.
    await Deno.writeTextFile(`${dir}/bench.py`, PYTHON);
    const { code, stdout, stderr } = await new Deno.Command("python3", {
      args: [
        `${dir}/bench.py`,
        String(TRIVIAL),
        String(WORKERS),
        String(rounds),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code !== 0) return new TextDecoder().decode(stderr).trim();
    return JSON.parse(new TextDecoder().decode(stdout));
  } catch (error) {
    return String(error);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function table(rounds: number): Promise<void> {
  const { cases, close } = await setup();
  const times = new Map<Case, number[]>(cases.map((c) => [c, []]));
  let py: Awaited<ReturnType<typeof python>> | undefined;
  for (let round = 0; round < rounds + 1; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(round + i) % cases.length];
      const start = performance.now();
      const counted = await c.run();
      const ms = counted ?? performance.now() - start;
      if (round > 0) times.get(c)!.push(ms);
    }
    // Python in the middle of the run, so that it sees the same machine.
    if (round === rounds >> 1) py = await python(rounds);
  }
  await close();
  const medians = new Map(cases.map((c) => [c, median(times.get(c)!)]));
  console.log(
    `${rounds} rounds, ${CORES} cores, ${Deno.build.target}, Deno ${Deno.version.deno}`,
  );
  const line = (name: string, ms: number, baseline: number) =>
    console.log(
      `  ${name.padEnd(48)} median ${ms.toFixed(1).padStart(8)} ms` +
        `  ${(baseline / ms).toFixed(2).padStart(6)}x baseline speed`,
    );
  for (const group of ["trivial", "cpu", "start"]) {
    const inGroup = cases.filter((c) => c.group === group);
    const baseline = inGroup.find((c) => c.baseline)!;
    const base = medians.get(baseline)!;
    console.log(`\n${group} (baseline: ${baseline.name})`);
    for (const c of inGroup) line(c.name, medians.get(c)!, base);
    if (group === "trivial") {
      if (typeof py === "string" || py === undefined) {
        console.log(`  Python ProcessPoolExecutor cannot run: ${py}`);
      } else {
        line("Python ProcessPoolExecutor.submit", median(py.submit), base);
        line(
          "Python ProcessPoolExecutor.map (chunksize 256)",
          median(py.map),
          base,
        );
      }
    }
  }
  const speed = (name: string) =>
    medians.get(cases.find((c) => c.name === name)!)!;
  const submit = speed("ProcessPoolExecutor.submit");
  const vsPoolifier = speed("poolifier-web-worker (threads)") / submit;
  const vsPython = typeof py === "object" ? median(py.submit) / submit : NaN;
  const cpu = cases.filter((c) => c.group === "cpu").map((c) =>
    medians.get(c)!
  );
  const speedup = cpu[0] / cpu[1];
  const threadSpeedup = cpu[2] / cpu[3];
  const met = (ok: boolean) => ok ? "met" : "NOT met";
  console.log(
    `\ntargets: trivial submit ${
      vsPoolifier.toFixed(2)
    }x poolifier-web-worker (>= 1: ${met(vsPoolifier >= 1)}), ${
      vsPython.toFixed(2)
    }x Python's ProcessPoolExecutor (>= 5: ${
      met(vsPython >= 5)
    }); cpu speedup ${speedup.toFixed(2)}x on ${CORES} cores (>= ${
      (0.9 * CORES).toFixed(1)
    }: ${met(speedup >= 0.9 * CORES)}; threads, same run: ${
      threadSpeedup.toFixed(2)
    }x); start: child ${
      speed("child process: spawn to first result").toFixed(1)
    } ms vs Web Worker ${
      speed("Web Worker: spawn to first result").toFixed(1)
    } ms`,
  );
}

if (import.meta.main) {
  const { rounds } = parseArgs(Deno.args, {
    string: ["rounds"],
    default: { rounds: "11" },
  });
  await table(Number(rounds));
} else {
  const { cases } = await setup();
  for (const c of cases) {
    Deno.bench({
      name: c.name,
      group: c.group,
      baseline: c.baseline ?? false,
      async fn() {
        await c.run();
      },
    });
  }
}

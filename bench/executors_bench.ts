// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * WorkerPoolExecutor against its peers, side by side in one run.
 *
 * - "trivial": 20 000 trivial module tasks (`n => n + 1`) submitted at once,
 *   then all awaited, with 2 workers each: this pool (`submit`, and `map`
 *   with chunks of 256; `submit` is the baseline), npm:poolifier-web-worker
 *   and npm:piscina (on Deno's `node:worker_threads`).
 * - "cpu": the same batch of CPU-bound tasks (naive fib) on 1 worker (the
 *   baseline) and on one worker per core; and, as the machine's ceiling, the
 *   same work on bare Web Workers (no pool: one message per worker carries
 *   its share of the batch).
 *
 * Every pool is created and warmed (all its workers started, the task module
 * imported) before anything is timed and kept across iterations, so neither
 * spawning nor the first import is measured.
 *
 * Two ways to run it:
 *
 * - `deno bench -A --config bench/deno.json bench/executors_bench.ts`:
 *   Deno.bench groups, each with this pool's case as the baseline.
 * - `deno run -A bench/executors_bench.ts [--rounds 15]`: every case once per
 *   round, the cases interleaved so that all see the same machine, then the
 *   median per case, the ratios, and the targets (trivial tasks at least 3x
 *   poolifier-web-worker; CPU speedup at least 0.9 x cores).
 *
 * @module
 */

import { WorkerPoolExecutor } from "@concurrent/futures";
// The peers are bench-only dependencies, pinned inline (see bench/deno.json).
// deno-lint-ignore no-import-prefix
import { Piscina } from "npm:piscina@5.3.2";
import {
  check,
  CORES,
  FIB_N,
  FIB_TASKS,
  FIB_VALUE,
  fibBatch,
  startPoolifier,
  T,
  TRIVIAL,
  trivialCases,
  warm,
  WORKERS,
} from "./_pool_cases.ts";
import { parseArgs } from "@std/cli/parse-args";
import { ProgressBar } from "@std/cli/unstable-progress-bar";
import { median } from "./_median.ts";

const TASKS = import.meta.resolve("./fixtures/executors_tasks.ts");

interface Case {
  name: string;
  group: "trivial" | "cpu";
  baseline?: boolean;
  /** Why it cannot run, if it cannot. */
  unavailable?: string;
  run(): Promise<void>;
}

/** Creates and warms every pool; returns the cases and how to close them. */
async function setup(): Promise<
  { cases: Case[]; close: () => Promise<void> }
> {
  const ours = new WorkerPoolExecutor({
    maxWorkers: WORKERS,
    minWorkers: WORKERS,
    idleTimeout: Infinity,
  });
  await warm(WORKERS, () => ours.stats().workers, () => ours.submit(T.fib, 18));

  const poolifier = await startPoolifier();

  let piscina: Piscina | undefined;
  let piscinaError: string | undefined;
  try {
    piscina = new Piscina({
      filename: TASKS,
      name: "inc",
      minThreads: WORKERS,
      maxThreads: WORKERS,
      idleTimeout: Infinity,
    });
    await warm(WORKERS, () => piscina!.threads.length, () => piscina!.run(1));
  } catch (error) {
    piscinaError = String(error);
  }

  const single = new WorkerPoolExecutor({
    maxWorkers: 1,
    minWorkers: 1,
    idleTimeout: Infinity,
  });
  await warm(1, () => single.stats().workers, () => single.submit(T.fib, 18));
  const perCore = new WorkerPoolExecutor({
    maxWorkers: CORES,
    minWorkers: CORES,
    idleTimeout: Infinity,
  });
  await warm(
    CORES,
    () => perCore.stats().workers,
    () => perCore.submit(T.fib, 18),
  );

  const raw = Array.from(
    { length: CORES },
    () =>
      new Worker(
        new URL("./fixtures/executors_raw_worker.ts", import.meta.url),
        { type: "module" },
      ),
  );
  const rawRun = (worker: Worker, count: number) =>
    new Promise<number[]>((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.postMessage({ n: FIB_N, count });
    });
  const rawBatch = async (workers: number) => {
    const shares = await Promise.all(
      raw.slice(0, workers).map((worker) =>
        rawRun(worker, FIB_TASKS / workers)
      ),
    );
    for (const value of shares.flat()) {
      if (value !== FIB_VALUE) throw new Error("wrong fib");
    }
  };
  await rawBatch(CORES);

  const cases: Case[] = [
    ...trivialCases(
      "WorkerPoolExecutor",
      ours,
      poolifier,
      "poolifier-web-worker",
    ),
    {
      name: "piscina (node:worker_threads)",
      group: "trivial",
      unavailable: piscinaError,
      async run() {
        const promises = new Array(TRIVIAL);
        for (let i = 0; i < TRIVIAL; i++) promises[i] = piscina!.run(i);
        check(await Promise.all(promises));
      },
    },
    {
      name: `fib(${FIB_N}) x ${FIB_TASKS}, 1 worker`,
      group: "cpu",
      baseline: true,
      run: () => fibBatch(single),
    },
    {
      name: `fib(${FIB_N}) x ${FIB_TASKS}, ${CORES} workers (one per core)`,
      group: "cpu",
      run: () => fibBatch(perCore),
    },
    {
      name: `bare Web Workers: fib(${FIB_N}) x ${FIB_TASKS}, 1 worker`,
      group: "cpu",
      run: () => rawBatch(1),
    },
    {
      name: `bare Web Workers: fib(${FIB_N}) x ${FIB_TASKS}, ${CORES} workers`,
      group: "cpu",
      run: () => rawBatch(CORES),
    },
  ];
  const close = async () => {
    await Promise.all([
      ours.shutdown(),
      single.shutdown(),
      perCore.shutdown(),
      poolifier.destroy(),
      piscina?.destroy(),
    ]);
    for (const worker of raw) worker.terminate();
  };
  return { cases, close };
}

/** The table mode: interleaved rounds, medians, ratios, targets. */
async function table(rounds: number): Promise<void> {
  const { cases, close } = await setup();
  const runnable = cases.filter((c) => c.unavailable === undefined);
  const times = new Map<Case, number[]>(runnable.map((c) => [c, []]));
  // Progress goes to a terminal only: a log or a pipe gets just the table.
  const bar = Deno.stderr.isTerminal()
    ? new ProgressBar({
      max: (rounds + 1) * runnable.length,
      barLength: 30,
      clear: true,
      formatter: (f) =>
        `[${f.styledTime}] [${f.progressBar}] round ${
          Math.floor(f.value / runnable.length)
        }/${rounds} (round 0 warms up)`,
    })
    : undefined;
  for (let round = 0; round < rounds + 1; round++) {
    // Each round starts at the next case, so that no case always follows the
    // same one (whatever a case leaves behind, every case gets its share).
    for (let i = 0; i < runnable.length; i++) {
      const c = runnable[(round + i) % runnable.length];
      const start = performance.now();
      await c.run();
      // The first round is a warm-up for every case.
      if (round > 0) times.get(c)!.push(performance.now() - start);
      if (bar) bar.value++;
    }
  }
  await bar?.stop();
  await close();
  const medians = new Map(runnable.map((c) => [c, median(times.get(c)!)]));
  console.log(
    `${rounds} rounds, ${CORES} cores, ${Deno.build.target}, Deno ${Deno.version.deno}`,
  );
  for (const group of ["trivial", "cpu"]) {
    const inGroup = cases.filter((c) => c.group === group);
    const baseline = inGroup.find((c) => c.baseline)!;
    console.log(`\n${group} (baseline: ${baseline.name})`);
    for (const c of inGroup) {
      if (c.unavailable !== undefined) {
        console.log(`  ${c.name.padEnd(44)} cannot run: ${c.unavailable}`);
        continue;
      }
      const ms = medians.get(c)!;
      const ratio = medians.get(baseline)! / ms;
      console.log(
        `  ${c.name.padEnd(44)} median ${ms.toFixed(1).padStart(8)} ms` +
          `  ${ratio.toFixed(2).padStart(6)}x baseline speed`,
      );
    }
  }
  const speed = (name: string) =>
    medians.get(cases.find((c) => c.name === name)!)!;
  const vsPoolifier = speed("poolifier-web-worker") /
    speed("WorkerPoolExecutor.submit");
  const cpu = cases.filter((c) => c.group === "cpu").map((c) =>
    medians.get(c)!
  );
  const speedup = cpu[0] / cpu[1];
  const ceiling = cpu[2] / cpu[3];
  console.log(
    `\ntargets: trivial submit ${vsPoolifier.toFixed(2)}x poolifier (>= 3: ${
      vsPoolifier >= 3 ? "met" : "NOT met"
    }); cpu speedup ${speedup.toFixed(2)}x on ${CORES} cores (>= ${
      (0.9 * CORES).toFixed(1)
    }: ${speedup >= 0.9 * CORES ? "met" : "NOT met"}; bare Web Workers ${
      ceiling.toFixed(2)
    }x)`,
  );
}

const USAGE = `Usage: deno run -A bench/executors_bench.ts [--rounds N]

Runs every case once per round, interleaved, and prints the medians.

  --rounds N  timed rounds after the warm-up round (default 15)
  --help      this text`;

/** The table mode's options, from the command line. */
function parseOptions(args: string[]): { rounds: number } {
  const flags = parseArgs(args, {
    string: ["rounds"],
    boolean: ["help"],
    alias: { h: "help" },
    default: { rounds: "15" },
    unknown(arg) {
      throw new TypeError(`unknown option ${arg}\n\n${USAGE}`);
    },
  });
  if (flags.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const rounds = Number(flags.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new TypeError(
      `--rounds needs a whole number >= 1, not "${flags.rounds}"`,
    );
  }
  return { rounds };
}

if (import.meta.main) {
  let rounds: number;
  try {
    ({ rounds } = parseOptions(Deno.args));
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(2);
  }
  await table(rounds);
} else {
  // Under `deno bench` the pools stay open to the end: the bench runner
  // exits once the last bench has run.
  const { cases } = await setup();
  for (const c of cases) {
    Deno.bench({
      name: c.unavailable === undefined
        ? c.name
        : `${c.name} (cannot run: ${c.unavailable})`,
      group: c.group,
      baseline: c.baseline ?? false,
      ignore: c.unavailable !== undefined,
      async fn() {
        await c.run();
      },
    });
  }
}

// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * What an open dashboard costs the executor it watches: the "trivial" case
 * of bench/executors_bench.ts (20 000 trivial module tasks submitted at once
 * on 2 workers, then all awaited) on one warm pool, with no dashboard (the
 * baseline), and with a dashboard and a page connected to its feed (an
 * event-stream client in this process, reading every sample the server
 * sends once a second). The target: within 3% of no dashboard.
 *
 * Two ways to run it:
 *
 * - `deno bench -A --config bench/deno.json bench/dashboard_bench.ts`: group
 *   "trivial": "no dashboard" runs first, then "page open", then "page closed
 *   again" (the same pool, to show how far the machine drifted meanwhile);
 *   group "tick": what the server does once a second while a page is open
 *   (stats(), the sample, its JSON), against `stats()` alone; a tick's time
 *   in µs over 10^6 is the share of a second it takes.
 * - `deno run -A bench/dashboard_bench.ts [--rounds 20]`: blocks of 10
 *   iterations with the page closed, open, and closed again
 *   (the order rotating each round), then the median iteration of each and
 *   their ratios.
 *
 * @module
 */

import { WorkerPoolExecutor } from "@concurrent/futures";
import { type Dashboard, serveDashboard } from "../dashboard/mod.ts";
import { executorSource, Watch } from "../dashboard/_watch.ts";
import { check, T, TRIVIAL, warm, WORKERS } from "./_pool_cases.ts";
import { parseArgs } from "@std/cli/parse-args";
import { median } from "./_median.ts";

/** The pool, and a page that can be opened and closed on its dashboard. */
interface Setup {
  pool: WorkerPoolExecutor;
  /** Runs the trivial batch once. */
  run(): Promise<void>;
  /** Starts the dashboard (once) and connects a page to its feed. */
  open(): Promise<void>;
  /** Disconnects the page, if one is connected. */
  shut(): Promise<void>;
  /** Samples the page has read so far. */
  samples(): number;
  close(): Promise<void>;
}

async function setup(): Promise<Setup> {
  const pool = new WorkerPoolExecutor({
    maxWorkers: WORKERS,
    minWorkers: WORKERS,
    idleTimeout: Infinity,
  });
  await warm(WORKERS, () => pool.stats().workers, () => pool.submit(T.inc, 1));
  let dashboard: Dashboard | undefined;
  let page:
    | { reader: ReadableStreamDefaultReader<string>; done: Promise<void> }
    | undefined;
  let samples = 0;
  const shut = async () => {
    if (page === undefined) return;
    const { reader, done } = page;
    page = undefined;
    await reader.cancel();
    await done;
  };
  return {
    pool,
    async run() {
      const futures = new Array(TRIVIAL);
      for (let i = 0; i < TRIVIAL; i++) futures[i] = pool.submit(T.inc, i);
      check(await Promise.all(futures));
    },
    async open() {
      if (page !== undefined) return;
      dashboard ??= serveDashboard({ executors: { pool } });
      const response = await fetch(new URL("events", dashboard.url));
      const reader = response.body!.pipeThrough(new TextDecoderStream())
        .getReader();
      // The first frame (the hello) is there before anything is timed.
      let first = "";
      while (!first.includes("event: hello")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the dashboard sent no hello");
        first += value;
      }
      const done = (async () => {
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            samples += value.split("event: sample").length - 1;
          }
        } catch { /* cancelled */ }
      })();
      page = { reader, done };
    },
    shut,
    samples: () => samples,
    async close() {
      await shut();
      await dashboard?.close();
      await pool.shutdown();
    },
  };
}

/**
 * Iterations per block: short, so that the machine's drift cancels out over
 * many rounds; each block with the page open still gets a sample at least
 * (one is sent as the page connects, then one a second).
 */
const BLOCK = 10;

const NAMES = {
  off: "WorkerPoolExecutor.submit, no dashboard",
  on: "WorkerPoolExecutor.submit, dashboard page open",
  again: "WorkerPoolExecutor.submit, page closed again",
};

type State = "off" | "on" | "control";

/**
 * Blocks of iterations with the page closed, open, and closed again (a
 * control: how far two identical states differ on this machine), the order
 * rotating each round; prints the medians.
 */
async function table(rounds: number): Promise<void> {
  const s = await setup();
  const times: Record<State, number[]> = { off: [], on: [], control: [] };
  const block = async (state: State) => {
    if (state === "on") await s.open();
    else await s.shut();
    for (let i = 0; i < BLOCK; i++) {
      const start = performance.now();
      await s.run();
      times[state].push(performance.now() - start);
    }
  };
  const states: State[] = ["off", "on", "control"];
  for (const state of states) await block(state);
  for (const state of states) times[state].length = 0;
  const before = s.samples();
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < states.length; i++) {
      await block(states[(round + i) % states.length]);
    }
  }
  const received = s.samples() - before;
  await s.close();
  const off = median(times.off);
  const on = median(times.on);
  const control = median(times.control);
  console.log(
    `${TRIVIAL} trivial tasks on ${WORKERS} workers, ${rounds} rounds of ` +
      `${BLOCK} iterations per state (${received} samples read by the page)`,
  );
  console.log(`  ${NAMES.off.padEnd(48)} median ${off.toFixed(2)} ms`);
  console.log(`  ${NAMES.on.padEnd(48)} median ${on.toFixed(2)} ms`);
  console.log(`  ${NAMES.again.padEnd(48)} median ${control.toFixed(2)} ms`);
  const cost = on / off - 1;
  console.log(
    `  page open: ${(cost * 100).toFixed(1)}% (target within 3%: ${
      cost <= 0.03 ? "met" : "NOT met"
    }); page closed again: ${((control / off - 1) * 100).toFixed(1)}%`,
  );
}

const USAGE = `Usage: deno run -A bench/dashboard_bench.ts [--rounds N]

Blocks of 10 iterations with the dashboard's page closed and open in turn;
prints the median iteration of each.

  --rounds N  rounds (default 20)
  --help      this text`;

if (import.meta.main) {
  const flags = parseArgs(Deno.args, {
    string: ["rounds"],
    boolean: ["help"],
    default: { rounds: "20" },
  });
  if (flags.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const rounds = Number(flags.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`--rounds needs a whole number >= 1\n\n${USAGE}`);
    Deno.exit(2);
  }
  await table(rounds);
} else {
  // Under `deno bench` the pool and the dashboard stay open to the end: the
  // bench runner exits once the last bench has run. The page is opened
  // outside the timed part of the first "page open" iteration.
  const s = await setup();
  // Warm, so that the first case (the baseline) does not pay for the JIT.
  for (let i = 0; i < 10; i++) await s.run();
  Deno.bench({
    name: NAMES.off,
    group: "trivial",
    baseline: true,
    async fn() {
      await s.run();
    },
  });
  Deno.bench({
    name: NAMES.on,
    group: "trivial",
    async fn(b) {
      await s.open();
      b.start();
      await s.run();
      b.end();
    },
  });
  // What the page costs each second, without the noise of a whole batch:
  // one tick as the server does it (stats(), the sample, the JSON frame),
  // against stats() alone.
  const watch = new Watch(executorSource("pool", s.pool));
  Deno.bench({
    name: "pool.stats()",
    group: "tick",
    baseline: true,
    fn() {
      s.pool.stats();
    },
  });
  Deno.bench({
    name: "a dashboard tick (stats, sample, JSON frame)",
    group: "tick",
    async fn() {
      const sample = await watch.sample();
      JSON.stringify({
        now: Date.now(),
        executors: [{ name: "pool", sample }],
      });
    },
  });
  Deno.bench({
    name: NAMES.again,
    group: "trivial",
    async fn(b) {
      await s.shut();
      b.start();
      await s.run();
      b.end();
    },
  });
}

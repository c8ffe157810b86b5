// Copyright 2026 the @concurrent/futures authors. MIT license.
/**
 * QueueExecutor against raw BullMQ (Queue + Worker + QueueEvents), same run,
 * on a local redis-server of its own:
 *
 * - round trip of trivial jobs (all submitted, all awaited), jobs/s, with 1
 *   worker process each (ours: `--workers 1`, same `--concurrency`), for
 *   each `--pool`: `inline` (this worker's event loop, as raw BullMQ runs
 *   its processor), `threads` (the default) and `processes`;
 * - `map` with `chunksize: 100`, items/s, against raw BullMQ's jobs/s;
 * - a CPU-bound batch on 2 worker processes (`--workers 1` each) against 1;
 * - `--rate 100/1000` on 2 worker processes, 1100 jobs: the rate held over
 *   the ~10 s they take, as jobs per 10 s (target 1000, within 10%);
 * - p50 latency of one awaited trivial job, ours next to raw BullMQ's;
 * - CPU time per round-trip job of the client, the worker process and
 *   redis-server (from /proc, Linux): on a shared machine the jobs/s ratio
 *   swings with the other load, the CPU a job costs much less.
 *
 * Medians over `--rounds` rounds (default 3), cases interleaved.
 *
 * ```sh
 * flock /tmp/bench.lock deno run -A bench/distributed_bench.ts [--rounds 3] [--jobs 3000] [--quick]
 * ```
 *
 * A script rather than `Deno.bench` cases, since it starts and stops its own
 * redis-server and worker processes: `deno task bench` loads it and runs
 * nothing.
 *
 * @module
 */

// deno-lint-ignore no-import-prefix
import { Queue, QueueEvents } from "npm:bullmq@5.81.5";
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import { parseArgs } from "@std/cli/parse-args";
import { QueueExecutor } from "../distributed/mod.ts";
import { tasks } from "../mod.ts";
import {
  startRedis,
  startWorker,
  type WorkerProcess,
} from "../tests/_redis.ts";
import { median } from "./_median.ts";

const values = parseArgs(Deno.args, {
  string: ["rounds", "jobs", "concurrency"],
  boolean: ["quick"],
  default: { rounds: "3", jobs: "3000", concurrency: "8" },
});
const ROUNDS = Number(values.rounds);
const JOBS = Number(values.jobs);
const CONCURRENCY = values.concurrency;
/** `--quick`: the round trips only (no map, latency, rate or CPU batch). */
const QUICK = values.quick;
const MAP_ITEMS = 100_000;
const CPU_JOBS = 16;
const CPU_N = 1_500_000;
const LATENCY_JOBS = 200;
const POOLS = ["inline", "threads", "processes"] as const;
type Pool = typeof POOLS[number];
const RATE = { max: 100, duration: 1000, seconds: 10 };
/** Jobs the limiter lets through in `RATE.seconds`. */
const expected = RATE.max * RATE.seconds * 1000 / RATE.duration;

const fixtures = new URL("../tests/fixtures/", import.meta.url);
const t = tasks<typeof import("../tests/fixtures/dist_tasks.ts")>(
  new URL("dist_tasks.ts", fixtures),
);

const fmt = (n: number, d = 0) =>
  n.toLocaleString("en-US", {
    maximumFractionDigits: d,
    minimumFractionDigits: d,
  });

/** CPU time (user + system) of a process so far, in ms; NaN without /proc. */
function cpuMs(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Runs the cases and prints the table (a script: `deno bench` skips it). */
async function main(): Promise<void> {
  // Never hold the machine's bench lock forever: a stuck start (a worker
  // that never says ready) ends the run.
  const watchdog = setTimeout(() => {
    console.error("distributed bench: still running after 15 min, giving up");
    Deno.exit(1);
  }, 15 * 60_000);
  Deno.unrefTimer(watchdog);
  await using redis = await startRedis();
  const allow = ["--allow", fixtures.href];

  /** Raw BullMQ: a Queue, a QueueEvents, one Worker process. */
  async function rawClient(queue: string) {
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const eventsConn = new Redis(redis.url, { maxRetriesPerRequest: null });
    conn.on("error", () => {});
    eventsConn.on("error", () => {});
    const q = new Queue(queue, { connection: conn });
    const events = new QueueEvents(queue, { connection: eventsConn });
    await events.waitUntilReady();
    const waiting = new Map<string, (v: unknown) => void>();
    events.on("completed", ({ jobId, returnvalue }) => {
      waiting.get(jobId)?.(returnvalue);
      waiting.delete(jobId);
    });
    let seq = 0;
    const run = async (a: number, b: number) => {
      const id = `r${++seq}`;
      const done = new Promise((resolve) => waiting.set(id, resolve));
      await q.add("add", { a, b }, { jobId: id, removeOnComplete: true });
      return done;
    };
    return {
      run,
      close: async () => {
        await events.close();
        await q.close();
        conn.disconnect();
        eventsConn.disconnect();
      },
    };
  }

  const rawWorker = async (queue: string) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("fixtures/raw_bullmq_worker.ts", import.meta.url).href,
        redis.url,
        queue,
        CONCURRENCY,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    const deadline = setTimeout(() => {
      console.error(`raw worker not ready after 60 s: ${text}`);
      child.kill("SIGKILL");
    }, 60_000);
    while (!text.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("raw worker died");
      text += value;
    }
    clearTimeout(deadline);
    reader.releaseLock();
    child.stdout.cancel().catch(() => {});
    return {
      pid: child.pid,
      stop: async () => {
        child.kill("SIGTERM");
        await child.status;
      },
    };
  };

  const results = {
    rawRate: [] as number[],
    rate: { inline: [], threads: [], processes: [] } as Record<
      Pool,
      number[]
    >,
    mapRate: [] as number[],
    rawP50: [] as number[],
    oursP50: [] as number[],
    cpu1: [] as number[],
    cpu2: [] as number[],
    rawCpu: [] as number[][],
    oursCpu: { inline: [], threads: [], processes: [] } as Record<
      Pool,
      number[][]
    >,
  };
  const admin = new Redis(redis.url);
  admin.on("error", () => {});
  const redisPid = Number(
    (await admin.info("server")).match(/process_id:(\d+)/)?.[1],
  );
  admin.disconnect();
  /** Runs `f`; returns µs of CPU per job of client, worker and redis. */
  const cpuPerJob = async (worker: number, f: () => Promise<unknown>) => {
    const pids = [Deno.pid, worker, redisPid];
    const before = pids.map(cpuMs);
    await f();
    return pids.map((pid, i) => (cpuMs(pid) - before[i]) * 1000 / JOBS);
  };

  // One worker process each for the trivial-job cases.
  const raw = await rawWorker("raw");
  const rawC = await rawClient("raw");
  const ours = {} as Record<
    Pool,
    { worker: WorkerProcess; executor: QueueExecutor }
  >;
  for (const pool of POOLS) {
    const worker = await startWorker([
      "--redis",
      redis.url,
      "--queue",
      pool,
      ...allow,
      "--pool",
      pool,
      "--workers",
      "1",
      "--concurrency",
      CONCURRENCY,
    ], { flags: ["-A"] });
    const executor = new QueueExecutor({ connection: redis.url, queue: pool });
    ours[pool] = { worker, executor };
    // Warm-up: modules loaded, pool worker started, scripts cached.
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => executor.submit(t.add, i, 1)),
    );
  }
  await Promise.all(Array.from({ length: 200 }, (_, i) => rawC.run(i, 1)));
  const executor = ours.threads.executor;

  for (let round = 0; round < ROUNDS; round++) {
    const rawRound = async () => {
      const t0 = performance.now();
      results.rawCpu.push(
        await cpuPerJob(
          raw.pid,
          () =>
            Promise.all(Array.from({ length: JOBS }, (_, i) => rawC.run(i, 1))),
        ),
      );
      results.rawRate.push(JOBS / ((performance.now() - t0) / 1000));
    };
    const oursRound = (pool: Pool) => async () => {
      const { worker, executor } = ours[pool];
      const t0 = performance.now();
      results.oursCpu[pool].push(
        await cpuPerJob(worker.child.pid, () =>
          Promise.all(
            Array.from(
              { length: JOBS },
              (_, i) => executor.submit(t.add, i, 1),
            ),
          )),
      );
      results.rate[pool].push(JOBS / ((performance.now() - t0) / 1000));
    };
    // Rotate which goes first, so that none always runs warmer.
    const cases = [rawRound, ...POOLS.map(oursRound)];
    for (let i = 0; i < cases.length; i++) {
      await cases[(i + round) % cases.length]();
    }
    if (QUICK) continue;
    const t0 = performance.now();
    let n = 0;
    const items = Array.from({ length: MAP_ITEMS }, (_, i) => i);
    for await (const _ of executor.map(t.square, items, { chunksize: 100 })) {
      n++;
    }
    if (n !== MAP_ITEMS) throw new Error("map lost items");
    results.mapRate.push(MAP_ITEMS / ((performance.now() - t0) / 1000));

    const lat = (xs: number[]) => median(xs);
    const rawLat: number[] = [];
    const oursLat: number[] = [];
    for (let i = 0; i < LATENCY_JOBS; i++) {
      let s = performance.now();
      await rawC.run(i, 1);
      rawLat.push(performance.now() - s);
      s = performance.now();
      await executor.submit(t.add, i, 1);
      oursLat.push(performance.now() - s);
    }
    results.rawP50.push(lat(rawLat));
    results.oursP50.push(lat(oursLat));
  }
  for (const { worker, executor } of Object.values(ours)) {
    await executor.shutdown();
    await worker.kill("SIGTERM");
  }
  await rawC.close();
  await raw.stop();

  // The rate limiter, global across 2 worker processes.
  let inWindow = NaN;
  if (!QUICK) {
    const rateWorkers = await Promise.all(
      [0, 1].map(() =>
        startWorker([
          "--redis",
          redis.url,
          "--queue",
          "rate",
          ...allow,
          "--pool",
          "inline",
          "--concurrency",
          CONCURRENCY,
          "--rate",
          `${RATE.max}/${RATE.duration}`,
        ])
      ),
    );
    const rateExec = new QueueExecutor({
      connection: redis.url,
      queue: "rate",
    });
    const doneAt: number[] = [];
    await Promise.all(
      Array.from({ length: expected + RATE.max }, (_, i) => {
        const future = rateExec.submit(t.add, i, 1);
        future.addDoneCallback(() => doneAt.push(performance.now()));
        return future;
      }),
    );
    doneAt.sort((a, b) => a - b);
    // BullMQ's limiter lets `max` jobs start at the start of each window: the
    // jobs after the first window's, over the time from the first job to the
    // last, is the rate it held (a fixed 10 s cut would count one window
    // more or less, +-10%, depending on where it falls).
    const held = (doneAt.length - RATE.max) /
      ((doneAt[doneAt.length - 1] - doneAt[0]) / 1000);
    inWindow = held * RATE.seconds;
    await rateExec.shutdown();
    await Promise.all(rateWorkers.map((w) => w.kill("SIGTERM")));
  }

  // CPU batch: 1 worker process vs 2 (each --workers 1).
  const cpuPids: Set<number>[] = [];
  if (!QUICK) {
    const cpuWorkers = await Promise.all(
      [0, 1].map(() =>
        startWorker([
          "--redis",
          redis.url,
          "--queue",
          "cpu",
          ...allow,
          "--workers",
          "1",
        ])
      ),
    );
    const cpuExec = new QueueExecutor({ connection: redis.url, queue: "cpu" });
    await Promise.all(
      [0, 1, 2, 3].map(() => cpuExec.submit(t.countPrimes, 1000)),
    );
    const batch = async () => {
      const t0 = performance.now();
      const done = await Promise.all(
        Array.from(
          { length: CPU_JOBS },
          () => cpuExec.submit(t.countPrimesOn, CPU_N),
        ),
      );
      cpuPids.push(new Set(done.map((r) => r.pid)));
      return performance.now() - t0;
    };
    for (let round = 0; round < ROUNDS; round++) {
      results.cpu2.push(await batch());
      // Pause the second process: SIGSTOP leaves one serving.
      cpuWorkers[1].child.kill("SIGSTOP");
      results.cpu1.push(await batch());
      cpuWorkers[1].child.kill("SIGCONT");
    }
    await cpuExec.shutdown();
    await Promise.all(cpuWorkers.map((w) => w.kill("SIGTERM")));
  }

  console.log(
    "processes per CPU batch (2, 1, 2, 1, ...):",
    cpuPids.map((s) => s.size).join(" "),
  );
  const rawRate = median(results.rawRate);
  const mapRate = median(results.mapRate);
  const cpu1 = median(results.cpu1);
  const cpu2 = median(results.cpu2);
  const cpuOf = (rounds: number[][]) => {
    const parts = [0, 1, 2].map((i) => median(rounds.map((r) => r[i])));
    return [...parts, parts[0] + parts[1] + parts[2]];
  };
  const rawCpu = cpuOf(results.rawCpu);

  const cpuText = (c: number[]) =>
    `${fmt(c[3])} (${fmt(c[0])} + ${fmt(c[1])} + ${fmt(c[2])})`;
  console.log(
    `\ndistributed bench: ${ROUNDS} rounds, medians; ${JOBS} trivial jobs, 1 worker process per case (--workers 1, --concurrency ${CONCURRENCY})`,
  );
  console.table({
    "raw BullMQ round trip (jobs/s)": {
      value: fmt(rawRate),
      ratio: "1.00x",
      target: "baseline",
    },
    ...Object.fromEntries(POOLS.map((pool) => {
      const rate = median(results.rate[pool]);
      const target = { inline: 0.9, threads: 0.75, processes: 0.6 }[pool];
      return [`QueueExecutor.submit round trip, --pool ${pool} (jobs/s)`, {
        value: fmt(rate),
        ratio: fmt(rate / rawRate, 2) + "x",
        target: `>= ${fmt(target, 2)}x raw`,
      }];
    })),
    "raw BullMQ CPU/job, µs (client + worker + redis)": {
      value: cpuText(rawCpu),
      ratio: "1.00x",
      target: "",
    },
    ...Object.fromEntries(POOLS.map((pool) => {
      const cpu = cpuOf(results.oursCpu[pool]);
      return [`QueueExecutor CPU/job, --pool ${pool}, µs`, {
        value: cpuText(cpu),
        ratio: fmt(cpu[3] / rawCpu[3], 2) + "x",
        target: "",
      }];
    })),
    "QueueExecutor.map chunksize 100 (items/s)": {
      value: fmt(mapRate),
      ratio: fmt(mapRate / rawRate, 1) + "x",
      target: ">= 10x raw jobs/s",
    },
    [`CPU batch, 1 process (${CPU_JOBS} x countPrimes(${CPU_N}), ms)`]: {
      value: fmt(cpu1),
      ratio: "1.00x",
      target: "baseline",
    },
    "CPU batch, 2 processes (ms)": {
      value: fmt(cpu2),
      ratio: fmt(cpu1 / cpu2, 2) + "x",
      target: ">= 1.6x",
    },
    [`--rate ${RATE.max}/${RATE.duration}, 2 processes: jobs in ${RATE.seconds} s`]:
      {
        value: fmt(inWindow),
        ratio: fmt(inWindow / expected, 2) + "x",
        target: `${fmt(expected)} within 10%`,
      },
    "p50 latency, raw BullMQ (ms)": {
      value: fmt(median(results.rawP50), 2),
      ratio: "",
      target: "",
    },
    "p50 latency, QueueExecutor (ms)": {
      value: fmt(median(results.oursP50), 2),
      ratio: fmt(median(results.oursP50) / median(results.rawP50), 2) + "x",
      target: "next to raw",
    },
  });
}

if (import.meta.main) await main();

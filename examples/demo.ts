// Copyright 2026 the @concurrent/futures authors. MIT license.
// The demo: `deno task demo`. CPU-bound work on Web Workers, then parallel
// file I/O through the POSIX AIO facade, with timings. `deno task demo
// --dashboard` then goes on with the same work, live in a browser.

import {
  type AioCb,
  aioOpen,
  aioReturn,
  asCompleted,
  AsyncExecutor,
  CancelledError,
  lioListio,
  tasks,
  TimeoutError,
  WorkerPoolExecutor,
} from "../mod.ts";
import { serveDashboard } from "../dashboard/mod.ts";

const primes = tasks<typeof import("./primes.ts")>(
  import.meta.resolve("./primes.ts"),
);
const cores = navigator.hardwareConcurrency;
const LIMIT = 3_000_000;
const SLICES = 24;
const ROUNDS = 3;

function ranges(): [number, number][] {
  const step = Math.ceil(LIMIT / SLICES);
  return Array.from({ length: SLICES }, (_, i) => [i * step, (i + 1) * step]);
}

/**
 * A pool of `workers`, all started and warm: a timing is then the work, not
 * the spawn.
 */
async function warmPool(workers: number): Promise<WorkerPoolExecutor> {
  const pool = new WorkerPoolExecutor({ maxWorkers: workers });
  await Promise.all(
    Array.from(
      { length: workers },
      () => pool.submit(primes.countPrimes, 0, 1),
    ),
  );
  return pool;
}

/** Counts the primes below LIMIT on `pool`; returns the count and the time. */
async function count(pool: WorkerPoolExecutor): Promise<[number, number]> {
  const start = performance.now();
  const futures = ranges().map(([a, b]) =>
    pool.submit(primes.countPrimes, a, b)
  );
  let total = 0;
  for await (const future of asCompleted(futures)) total += await future;
  return [total, performance.now() - start];
}

function ms(n: number): string {
  return `${n.toFixed(0)} ms`;
}

console.log(
  `# @concurrent/futures demo (${cores} cores, Deno ${Deno.version.deno})\n`,
);

console.log(
  `## 1. CPU-bound: primes below ${LIMIT.toLocaleString()} in ${SLICES} tasks`,
);
{
  // One timing is at the mercy of whatever else the machine does: the best of
  // a few rounds, 1 worker and all cores taking turns, is what the pool can do.
  await using single = await warmPool(1);
  await using all = await warmPool(cores);
  let t1 = Infinity;
  let tn = Infinity;
  let found = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const [one, a] = await count(single);
    const [many, b] = await count(all);
    if (one !== many) throw new Error(`counts differ: ${one} and ${many}`);
    [found, t1, tn] = [one, Math.min(t1, a), Math.min(tn, b)];
  }
  console.log(`   ${found} primes; best of ${ROUNDS} rounds each:`);
  console.log(`   1 worker : ${ms(t1)}`);
  console.log(`   ${cores} workers: ${ms(tn)}`);
  console.log(
    `   speedup  : ${
      (t1 / tn).toFixed(2)
    }x on ${cores} cores (best of ${ROUNDS})\n`,
  );
}

console.log("## 2. map() with chunks, in input order, with a progress line");
{
  await using pool = new WorkerPoolExecutor({ maxWorkers: cores });
  const tty = Deno.stdout.isTerminal();
  const starts = Array.from({ length: 200 }, (_, i) => i * 5_000);
  let done = 0;
  let sum = 0;
  for await (
    const count of pool.map(
      (a: number) => {
        let c = 0;
        for (let n = Math.max(2, a); n < a + 5_000; n++) {
          let p = true;
          for (let d = 2; d * d <= n; d++) if (n % d === 0) (p = false, d = n);
          if (p) c++;
        }
        return c;
      },
      starts,
      { chunksize: 10 },
    )
  ) {
    sum += count;
    done++;
    if (done % 20 === 0 || done === starts.length) {
      const bar = "#".repeat(done / 10).padEnd(20, ".");
      const line = `   [${bar}] ${done}/${starts.length}`;
      // A terminal gets one line redrawn; a log or a pipe, a line per step.
      if (tty) await Deno.stdout.write(new TextEncoder().encode(`\r${line}`));
      else console.log(line);
    }
  }
  if (tty) console.log();
  console.log(`   ${sum} primes below ${(200 * 5_000).toLocaleString()}\n`);
}

console.log("## 3. Cancelling and timing out");
{
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  const busy = pool.submit(primes.sleep, 200);
  const queued = pool.submit(primes.sleep, 10);
  console.log(
    `   queued task cancelled: ${queued.cancel()} (state ${queued.state})`,
  );
  try {
    await queued;
  } catch (error) {
    console.log(`   awaiting it throws ${(error as Error).name}`);
    if (!(error instanceof CancelledError)) throw error;
  }
  const slow = pool.run(primes.sleep, [10_000], { timeout: 100 });
  try {
    await slow;
  } catch (error) {
    console.log(
      `   a 10 s task with timeout 100 ms: ${
        (error as Error).name
      } (worker replaced)`,
    );
    if (!(error instanceof TimeoutError)) throw error;
  }
  console.log(`   the first task still finished: slept ${await busy} ms\n`);
}

console.log("## 4. POSIX AIO: 64 parallel 64 KiB writes and reads on one file");
{
  const path = await Deno.makeTempFile({ prefix: "aio_demo_" });
  try {
    const block = 64 * 1024;
    await using file = await aioOpen(path, { read: true, write: true });
    const writes: AioCb[] = Array.from({ length: 64 }, (_, i) => ({
      file,
      offset: i * block,
      buffer: new Uint8Array(block).fill(i),
      opcode: "write",
    }));
    let start = performance.now();
    await lioListio("wait", writes);
    const wrote = writes.reduce((n, cb) => n + aioReturn(cb), 0);
    console.log(
      `   wrote ${wrote / 1024} KiB with lioListio in ${
        ms(performance.now() - start)
      }`,
    );
    const reads: AioCb[] = writes.map((w) => ({
      file,
      offset: w.offset,
      buffer: new Uint8Array(block),
      opcode: "read",
    }));
    start = performance.now();
    await lioListio("wait", reads);
    const intact = reads.every((cb, i) =>
      aioReturn(cb) === block && cb.buffer.every((b) => b === i)
    );
    console.log(
      `   read it back in ${ms(performance.now() - start)}: ${
        intact ? "intact" : "CORRUPT"
      }`,
    );
  } finally {
    await Deno.remove(path);
  }
}

console.log("\n## 5. I/O-bound work on the event loop: AsyncExecutor");
{
  await using executor = new AsyncExecutor({ maxConcurrency: 8 });
  const start = performance.now();
  const futures = Array.from(
    { length: 32 },
    (_, i) =>
      executor.submit(() =>
        new Promise<number>((r) => setTimeout(() => r(i), 50))
      ),
  );
  const results = await Promise.all(futures);
  console.log(
    `   32 waits of 50 ms, 8 at a time: ${results.length} results in ${
      ms(performance.now() - start)
    } (serial: 1600 ms)`,
  );
}

if (!Deno.args.includes("--dashboard")) {
  console.log(
    "\nWatch the same work live in a browser: deno task demo --dashboard",
  );
} else {
  console.log("\n## 6. Live: the same work on a dashboard (Ctrl-C stops it)");
  // Workers recycle now and then, and one task in a while crashes its
  // worker, so that the timeline has something to show.
  const pool = new WorkerPoolExecutor({
    maxWorkers: cores,
    name: "primes",
    maxTasksPerWorker: 500,
  });
  const io = new AsyncExecutor({ maxConcurrency: 8 });
  const dashboard = serveDashboard({ executors: { primes: pool, io } });
  console.log(`   open ${dashboard.url.href}`);
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSigint);
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  for (let round = 1; !stop.signal.aborted; round++) {
    // A load that rises and falls over a minute or so.
    const wave = 1 + Math.sin(round / 8);
    const work: PromiseLike<unknown>[] = [
      ...ranges().map(([a, b]) => pool.submit(primes.countPrimes, a, b)),
      ...Array.from(
        { length: Math.round(40 * wave) },
        (_, i) => pool.submit(primes.countPrimes, i * 1_000, i * 1_000 + 400),
      ),
      ...Array.from(
        { length: 24 },
        () => io.submit(() => pause(5 + Math.random() * 60 * wave)),
      ),
    ];
    if (round % 7 === 0) {
      work.push(
        pool.submit(() => {
          throw new RangeError("a task that fails (on purpose)");
        }).exception(),
      );
    }
    if (round % 23 === 0) {
      // Ends its worker from inside: WorkerCrashedError, and a new worker.
      work.push(
        pool.submit(() => (globalThis as unknown as { close(): void }).close())
          .exception(),
      );
    }
    await Promise.allSettled(work);
    await pause(100 + 400 * (2 - wave));
  }
  Deno.removeSignalListener("SIGINT", onSigint);
  await dashboard.close();
  await Promise.all([pool.shutdown(), io.shutdown()]);
}

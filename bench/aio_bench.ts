// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * The seed's question, measured: what does a POSIX AIO facade on Deno cost
 * against the ways Deno, Node, glibc and the kernel offer to read one file
 * from many requests at once?
 *
 * Two ways to run it:
 *
 * - `deno bench -A bench/aio_bench.ts`: Deno.bench groups (4 KiB random
 *   reads on a cached file at QD16 and QD1, with O_DIRECT at QD16,
 *   sequential 1 MiB reads), the baseline being this module's default
 *   backend ("deno"; io_uring for O_DIRECT), next to its "threads",
 *   "io_uring" and "linux-aio" backends, Node's API as Deno provides it
 *   (`node:fs/promises`) and bare `Deno.FsFile` handles.
 * - `deno run -A bench/aio_bench.ts [flags]`: the full comparison, printed
 *   as a table: 4 KiB random reads at queue depths 1, 4, 16, 64, with the
 *   file cached and cold (evicted from the page cache before each
 *   contender) and with O_DIRECT ("direct": the io_uring and linux-aio
 *   backends with `direct: true` against fio's io_uring and libaio engines
 *   with direct=1), then sequential 1 MiB reads and writes. Contenders: this
 *   facade on each backend ("deno": Deno's async ops; "threads": Web
 *   Workers doing blocking I/O, glibc's way; "io_uring" and "linux-aio",
 *   kernel AIO, where they run), one
 *   `Deno.FsFile` (seek+read, serialised), a pool of FsFile handles
 *   (seekSync+read, the "deno" backend's mechanism without the facade),
 *   Node's `fs.promises` under real Node, Deno's `node:fs/promises`, a
 *   bare pool of Web Workers doing blocking reads, and fio's posixaio,
 *   io_uring, libaio and psync engines when fio is installed. It ends with the
 *   targets' ratios (same run, medians) and writes an SVG chart of IOPS
 *   against queue depth, cached and cold side by side.
 *
 * Flags (or environment variables): `--size-mib=256` (`AIO_BENCH_SIZE_MIB`),
 * `--ops=50000` random reads per cached run (`AIO_BENCH_OPS`),
 * `--cold-ops=16384` per cold run (`AIO_BENCH_COLD_OPS`), `--qd=1,4,16,64`
 * (`AIO_BENCH_QD`), `--seq-mib=256` (`AIO_BENCH_SEQ_MIB`),
 * `--regimes=cached,cold` (`AIO_BENCH_REGIMES`), `--file=PATH` to use an
 * existing file (`AIO_BENCH_FILE`), `--repeat=3` runs per contender, the
 * median reported (`AIO_BENCH_REPEAT`), `--threads=N` workers of the
 * "threads" backend (default: aioInit's; `--threads=4,8` adds a contender
 * per further count), `--chart=PATH` (default
 * `bench/results/aio-qd.svg`, `--chart=` for none), `--json=PATH` for the
 * rows, `--only=NAME,...` runs only the contenders whose name contains one
 * of these (`AIO_BENCH_ONLY`; quick comparisons), `--no-fio`, `--no-node`, `--no-seq`, `--quick` (64 MiB, 20000 ops,
 * QD 16 only, one run each).
 *
 * @module
 */

import {
  type AioCb,
  aioInit,
  aioOpen,
  aioRead,
  aioWrite,
  alignedBuffer,
  lioListio,
} from "../mod.ts";
import { aioReturn } from "../mod.ts";
import { open as nodeOpen } from "node:fs/promises";
import { parseArgs } from "@std/cli/parse-args";
import { lineChart, type Series } from "./_svg.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const BS = 4 * KiB;
const SEQ_BS = MiB;

// ---------------------------------------------------------------- config

interface Config {
  sizeMiB: number;
  ops: number;
  coldOps: number;
  depths: number[];
  seqMiB: number;
  seqDepth: number;
  regimes: ("cached" | "cold" | "direct")[];
  file: string | undefined;
  fio: boolean;
  node: boolean;
  seq: boolean;
  repeat: number;
  /** I/O workers of the "threads" backend (default: aioInit's). */
  threads: number | undefined;
  /** Further worker counts, each an extra "threads" contender. */
  moreThreads: number[];
  /** Only the contenders whose name contains one of these (all when empty). */
  only: string[];
  /** Where the IOPS-against-queue-depth chart goes ("" for none). */
  chart: string;
  /** Where the rows go as JSON, if anywhere. */
  json: string | undefined;
  seed: number;
}

const USAGE = `deno run -A bench/aio_bench.ts [flags]

  --size-mib=256      file size (AIO_BENCH_SIZE_MIB)
  --ops=50000         random reads per cached run (AIO_BENCH_OPS)
  --cold-ops=16384    random reads per cold run (AIO_BENCH_COLD_OPS)
  --qd=1,4,16,64      queue depths (AIO_BENCH_QD)
  --seq-mib=256       sequential 1 MiB reads/writes (AIO_BENCH_SEQ_MIB)
  --regimes=cached,cold,direct           (AIO_BENCH_REGIMES; direct: O_DIRECT)
  --file=PATH         use an existing file (AIO_BENCH_FILE)
  --repeat=3          runs per contender, median reported (AIO_BENCH_REPEAT)
  --threads=N[,M...]  workers of the "threads" backend (default: aioInit's);
                      more counts add a "threads xM" contender each
  --only=NAME,...     only the contenders whose name contains one of these
  --chart=PATH        IOPS-vs-QD chart (default bench/results/aio-qd.svg; "" for none)
  --json=PATH         the rows as JSON
  --no-fio --no-node --no-seq
  --quick             64 MiB, 20000 ops, QD 16 only, one run each
  --help`;

function readConfig(args: string[]): Config {
  const flags = parseArgs(args, {
    boolean: ["quick", "fio", "node", "seq", "help"],
    negatable: ["fio", "node", "seq"],
    string: [
      "size-mib",
      "ops",
      "cold-ops",
      "qd",
      "seq-mib",
      "regimes",
      "file",
      "repeat",
      "threads",
      "only",
      "chart",
      "json",
    ],
    default: { fio: true, node: true, seq: true },
    unknown: (arg) => {
      throw new TypeError(`Unknown flag ${arg}: see --help`);
    },
  });
  if (flags.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const quick = flags.quick;
  const env = (name: string) => {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined;
    }
  };
  const get = (
    flag: string | undefined,
    name: string,
    fallback: string,
  ): string => flag ?? env(name) ?? fallback;
  const regimes = get(flags.regimes, "AIO_BENCH_REGIMES", "cached,cold,direct")
    .split(",").filter((r) =>
      r === "cached" || r === "cold" || r === "direct"
    ) as Config["regimes"];
  const integer = (text: string, name: string): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new Error(`--${name} must be an integer >= 1, got ${text}`);
    }
    return value;
  };
  return {
    sizeMiB: integer(
      get(flags["size-mib"], "AIO_BENCH_SIZE_MIB", quick ? "64" : "256"),
      "size-mib",
    ),
    ops: integer(
      get(flags.ops, "AIO_BENCH_OPS", quick ? "20000" : "50000"),
      "ops",
    ),
    coldOps: integer(
      get(flags["cold-ops"], "AIO_BENCH_COLD_OPS", quick ? "4096" : "16384"),
      "cold-ops",
    ),
    depths: get(flags.qd, "AIO_BENCH_QD", quick ? "16" : "1,4,16,64")
      .split(",").map((qd) => integer(qd, "qd")),
    seqMiB: integer(
      get(flags["seq-mib"], "AIO_BENCH_SEQ_MIB", quick ? "64" : "256"),
      "seq-mib",
    ),
    seqDepth: 4,
    regimes,
    file: flags.file ?? env("AIO_BENCH_FILE"),
    fio: flags.fio,
    node: flags.node,
    seq: flags.seq,
    repeat: integer(
      get(flags.repeat, "AIO_BENCH_REPEAT", quick ? "1" : "3"),
      "repeat",
    ),
    threads: flags.threads === undefined
      ? undefined
      : integer(flags.threads.split(",")[0], "threads"),
    moreThreads: (flags.threads ?? "").split(",").slice(1)
      .map((n) => integer(n, "threads")),
    only: (flags.only ?? env("AIO_BENCH_ONLY") ?? "").split(",")
      .filter((part) => part !== ""),
    chart: flags.chart ?? "bench/results/aio-qd.svg",
    json: flags.json,
    seed: 20260101,
  };
}

// ------------------------------------------------------------- workload

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Byte offsets of `n` 4 KiB blocks: cached runs draw with replacement; cold
 * runs take distinct blocks (a permutation) so every read misses the cache.
 */
function randomOffsets(
  fileSize: number,
  n: number,
  distinct: boolean,
  seed: number,
): Float64Array {
  const blocks = Math.floor(fileSize / BS);
  const random = mulberry32(seed);
  const offsets = new Float64Array(n);
  if (!distinct) {
    for (let i = 0; i < n; i++) offsets[i] = Math.floor(random() * blocks) * BS;
    return offsets;
  }
  const order = new Uint32Array(blocks);
  for (let i = 0; i < blocks; i++) order[i] = i;
  for (let i = 0; i < Math.min(n, blocks); i++) {
    const j = i + Math.floor(random() * (blocks - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let i = 0; i < n; i++) offsets[i] = order[i % blocks] * BS;
  return offsets;
}

function sequentialOffsets(size: number): Float64Array {
  const offsets = new Float64Array(Math.floor(size / SEQ_BS));
  for (let i = 0; i < offsets.length; i++) offsets[i] = i * SEQ_BS;
  return offsets;
}

/** Writes `sizeMiB` of incompressible bytes and syncs them (so they can be evicted). */
async function makeDataFile(path: string, sizeMiB: number): Promise<void> {
  using file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const chunk = new Uint8Array(MiB);
  const random = mulberry32(7);
  for (let i = 0; i < sizeMiB; i++) {
    const words = new Uint32Array(chunk.buffer);
    for (let j = 0; j < words.length; j++) words[j] = random() * 2 ** 32;
    let written = 0;
    while (written < chunk.length) {
      written += await file.write(chunk.subarray(written));
    }
  }
  await file.syncData();
}

// ------------------------------------------------------------ page cache

async function run(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes of `path` in the page cache (fincore), or undefined. */
async function resident(path: string): Promise<number | undefined> {
  const out = await run("fincore", [
    "--bytes",
    "--noheadings",
    "--output",
    "RES",
    path,
  ]);
  const n = Number(out?.trim());
  return out === undefined || Number.isNaN(n) ? undefined : n;
}

/** Evicts the file: GNU dd's iflag=nocache is posix_fadvise(DONTNEED). */
async function evict(path: string): Promise<boolean> {
  const out = await run("dd", [
    `if=${path}`,
    "iflag=nocache",
    "count=0",
    "status=none",
  ]);
  return out !== undefined;
}

async function warm(path: string): Promise<void> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(MiB);
  while ((await file.read(buffer)) !== null) {
    // Reading it once caches it.
  }
}

// --------------------------------------------------------------- results

interface Run {
  seconds: number;
  /** Per-request latencies in ms (may be empty when only percentiles are known). */
  latencies?: Float64Array;
  p50?: number;
  p99?: number;
  note?: string;
}

interface Row {
  regime: string;
  workload: string;
  qd: number;
  contender: string;
  ops: number;
  bytes: number;
  run?: Run;
  skipped?: string;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function stats(row: Row) {
  const run = row.run!;
  let { p50, p99 } = run;
  if (run.latencies !== undefined) {
    const sorted = run.latencies.slice().sort();
    p50 = percentile(sorted, 0.5) * 1000;
    p99 = percentile(sorted, 0.99) * 1000;
  }
  return {
    iops: row.ops / run.seconds,
    mibs: row.bytes / MiB / run.seconds,
    p50,
    p99,
  };
}

// ------------------------------------------------------------ contenders

/** A way of doing `offsets.length` reads (or writes) of `bs` bytes at depth `qd`. */
type Contender = (
  path: string,
  offsets: Float64Array,
  qd: number,
  bs: number,
  write: boolean,
) => Promise<Run>;

/** Runs `op(i)` for every index, `qd` at a time, timing each. */
async function lanes(
  n: number,
  qd: number,
  op: (i: number, lane: number) => Promise<unknown>,
): Promise<Run> {
  const latencies = new Float64Array(n);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(qd, n) }, async (_, lane) => {
      for (let i = next++; i < n; i = next++) {
        const t = performance.now();
        await op(i, lane);
        latencies[i] = performance.now() - t;
      }
    }),
  );
  return { seconds: (performance.now() - start) / 1000, latencies };
}

/** The facade: each lane resubmits its aiocb from its notify callback. */
function facade(
  backend: "deno" | "threads" | "io_uring" | "linux-aio",
  threads?: number,
  clock?: Deno.BenchContext,
  direct = false,
): Contender {
  return async (path, offsets, qd, bs, write) => {
    const before = aioInit();
    aioInit({
      backend,
      queueDepth: qd,
      maxRequests: Math.max(before.maxRequests, qd),
      threads: threads ?? before.threads,
    });
    try {
      await using file = await aioOpen(
        path,
        write ? { write: true, direct } : { read: true, direct },
      );
      const submit = write ? aioWrite : aioRead;
      // One request before the clock starts: the "threads" workers start
      // with the first file, and a pool's start-up is not its throughput.
      await lioListio("wait", [{
        file,
        offset: 0,
        buffer: direct
          ? alignedBuffer(write ? 0 : bs)
          : new Uint8Array(write ? 0 : 1),
        opcode: write ? "write" : "read",
      }]);
      const n = offsets.length;
      const latencies = new Float64Array(n);
      const started = new Float64Array(n);
      let next = 0;
      let ended = 0;
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      clock?.start();
      const start = performance.now();
      for (let lane = 0; lane < Math.min(qd, n); lane++) {
        let i = next++;
        const cb: AioCb = {
          file,
          offset: offsets[i],
          buffer: direct ? alignedBuffer(bs) : new Uint8Array(bs),
          notify() {
            latencies[i] = performance.now() - started[i];
            const bytes = aioReturn(cb);
            if (bytes !== bs) reject(new Error(`request ${i}: ${bytes} bytes`));
            if (++ended === n) resolve();
            else if (next < n) {
              i = next++;
              cb.offset = offsets[i];
              started[i] = performance.now();
              submit(cb);
            }
          },
        };
        started[i] = performance.now();
        submit(cb);
      }
      await promise;
      clock?.end();
      return { seconds: (performance.now() - start) / 1000, latencies };
    } finally {
      aioInit(before);
    }
  };
}

/** One Deno.FsFile: seek and read cannot overlap, so requests take turns. */
const fsFileOne: Contender = async (path, offsets, qd, bs, write) => {
  using file = await Deno.open(path, write ? { write: true } : { read: true });
  const buffers = Array.from({ length: qd }, () => new Uint8Array(bs));
  let turn: Promise<unknown> = Promise.resolve();
  return await lanes(offsets.length, qd, (i, lane) =>
    turn = turn.then(() => {
      file.seekSync(offsets[i], Deno.SeekMode.Start);
      return write ? file.write(buffers[lane]) : file.read(buffers[lane]);
    }));
};

/** A handle per lane: the facade's mechanism, without the facade. */
const fsFilePool: Contender = async (path, offsets, qd, bs, write) => {
  const files = await Promise.all(
    Array.from(
      { length: qd },
      () => Deno.open(path, write ? { write: true } : { read: true }),
    ),
  );
  try {
    const buffers = files.map(() => new Uint8Array(bs));
    return await lanes(offsets.length, qd, (i, lane) => {
      files[lane].seekSync(offsets[i], Deno.SeekMode.Start);
      return write
        ? files[lane].write(buffers[lane])
        : files[lane].read(buffers[lane]);
    });
  } finally {
    for (const file of files) file.close();
  }
};

/** Deno's own `node:fs/promises`: FileHandle.read with a position. */
const denoNodeFs: Contender = async (path, offsets, qd, bs, write) => {
  const handle = await nodeOpen(path, write ? "r+" : "r");
  try {
    const buffers = Array.from({ length: qd }, () => new Uint8Array(bs));
    return await lanes(
      offsets.length,
      qd,
      (i, lane) =>
        write
          ? handle.write(buffers[lane], 0, bs, offsets[i])
          : handle.read(buffers[lane], 0, bs, offsets[i]),
    );
  } finally {
    await handle.close();
  }
};

// A worker blocks in Atomics.wait for a request, does seekSync + readSync
// on its own handle into shared memory, and wakes the main thread: the way
// glibc's POSIX AIO runs blocking pread on a pool of threads (minus glibc's
// per-descriptor serialisation, since each worker has its own handle).
const WORKER_SOURCE = `
self.onmessage = (event) => {
  const { path, control, data, write } = event.data;
  const file = Deno.openSync(path, write ? { write: true } : { read: true });
  const c = new Int32Array(control);
  const bytes = new Uint8Array(data);
  let seen = 0;
  for (;;) {
    Atomics.wait(c, 0, seen);
    seen = Atomics.load(c, 0);
    if (seen < 0) break;
    const offset = c[2] * 4294967296 + (c[3] >>> 0);
    const view = bytes.subarray(0, c[4]);
    let n = -1;
    try {
      file.seekSync(offset, Deno.SeekMode.Start);
      n = (write ? file.writeSync(view) : file.readSync(view)) ?? 0;
    } catch {
      n = -1;
    }
    c[5] = n;
    Atomics.store(c, 1, seen);
    Atomics.notify(c, 1);
  }
  file.close();
  self.close();
};
`;

class BlockingPool {
  #workers: { control: Int32Array; data: Uint8Array; worker: Worker }[] = [];
  #idle: number[] = [];
  #waiting: [number, Uint8Array, (n: number) => void][] = [];
  #seq = 0;
  #keepAlive: ReturnType<typeof setInterval>;

  constructor(path: string, size: number, bs: number, write: boolean) {
    const url = URL.createObjectURL(
      new Blob([WORKER_SOURCE], { type: "text/javascript" }),
    );
    for (let i = 0; i < size; i++) {
      const control = new SharedArrayBuffer(32);
      const data = new SharedArrayBuffer(bs);
      const worker = new Worker(url, { type: "module", name: `blocking-${i}` });
      worker.postMessage({ path, control, data, write });
      this.#workers.push({
        control: new Int32Array(control),
        data: new Uint8Array(data),
        worker,
      });
      this.#idle.push(i);
    }
    URL.revokeObjectURL(url);
    // Atomics.waitAsync alone does not keep Deno's event loop turning.
    this.#keepAlive = setInterval(() => {}, 1000);
  }

  transfer(offset: number, buffer: Uint8Array): Promise<number> {
    return new Promise((resolve) => {
      const index = this.#idle.pop();
      if (index === undefined) this.#waiting.push([offset, buffer, resolve]);
      else this.#start(index, offset, buffer, resolve);
    });
  }

  #start(
    index: number,
    offset: number,
    buffer: Uint8Array,
    resolve: (n: number) => void,
  ): void {
    const { control, data } = this.#workers[index];
    const seq = ++this.#seq;
    control[2] = Math.floor(offset / 4294967296);
    control[3] = offset >>> 0;
    control[4] = buffer.length;
    const before = Atomics.load(control, 1);
    Atomics.store(control, 0, seq);
    Atomics.notify(control, 0);
    const finish = () => {
      const n = control[5];
      if (n > 0) buffer.set(data.subarray(0, n));
      const next = this.#waiting.shift();
      if (next !== undefined) this.#start(index, ...next);
      else this.#idle.push(index);
      resolve(n);
    };
    const wait = Atomics.waitAsync(control, 1, before);
    if (wait.async) wait.value.then(finish);
    else finish();
  }

  close(): void {
    clearInterval(this.#keepAlive);
    for (const { control, worker } of this.#workers) {
      Atomics.store(control, 0, -1);
      Atomics.notify(control, 0);
      worker.terminate();
    }
  }
}

const blockingWorkers: Contender = async (path, offsets, qd, bs, write) => {
  const pool = new BlockingPool(path, Math.min(qd, 16), bs, write);
  try {
    // Let the workers open their handles before the clock starts.
    await pool.transfer(0, new Uint8Array(0));
    const buffers = Array.from({ length: qd }, () => new Uint8Array(bs));
    return await lanes(
      offsets.length,
      qd,
      (i, lane) => pool.transfer(offsets[i], buffers[lane]),
    );
  } finally {
    pool.close();
  }
};

// Real Node: the same lanes around FileHandle.read/write with a position.
const NODE_SOURCE = `
import { open } from "node:fs/promises";
import { readFileSync } from "node:fs";
const { path, offsetsPath, qd, bs, write } = JSON.parse(process.argv.at(-1));
const real = typeof Deno === "undefined" && !process.versions.deno && !!process.versions.node;
const raw = readFileSync(offsetsPath);
const offsets = new Float64Array(new Uint8Array(raw).buffer);
const handle = await open(path, write ? "r+" : "r");
const n = offsets.length;
const latencies = new Float64Array(n);
let next = 0;
const start = performance.now();
await Promise.all(Array.from({ length: Math.min(qd, n) }, async () => {
  const buffer = Buffer.alloc(bs);
  for (let i = next++; i < n; i = next++) {
    const t = performance.now();
    if (write) await handle.write(buffer, 0, bs, offsets[i]);
    else await handle.read(buffer, 0, bs, offsets[i]);
    latencies[i] = performance.now() - t;
  }
}));
const seconds = (performance.now() - start) / 1000;
await handle.close();
latencies.sort();
const at = (p) => latencies[Math.min(n - 1, Math.floor(p * n))] * 1000;
console.log(JSON.stringify({ real, version: process.version, seconds, p50: at(0.5), p99: at(0.99) }));
`;

let nodeChecked: string | undefined | null = null;

const realNode: Contender = async (path, offsets, qd, bs, write) => {
  const offsetsPath = await Deno.makeTempFile({ prefix: "aio_bench_offsets_" });
  try {
    await Deno.writeFile(offsetsPath, new Uint8Array(offsets.buffer));
    const out = await new Deno.Command("node", {
      args: [
        "--input-type=module",
        "-e",
        NODE_SOURCE,
        JSON.stringify({ path, offsetsPath, qd, bs, write }),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(new TextDecoder().decode(out.stderr).slice(0, 300));
    }
    const result = JSON.parse(new TextDecoder().decode(out.stdout));
    if (!result.real) {
      throw new Error("`node` is Deno's Node emulation, not Node.js");
    }
    nodeChecked = result.version;
    return { seconds: result.seconds, p50: result.p50, p99: result.p99 };
  } finally {
    await Deno.remove(offsetsPath);
  }
};

async function nodeAvailable(): Promise<string | undefined> {
  const version = await run("node", [
    "-e",
    "console.log(typeof Deno === 'undefined' && !process.versions.deno ? process.version : 'emulated')",
  ]);
  const v = version?.trim();
  return v !== undefined && v.startsWith("v") ? v : undefined;
}

function fio(engine: string, cold: boolean, direct = false): Contender {
  return async (path, offsets, qd, bs, write) => {
    const sequential = bs === SEQ_BS;
    const rw = sequential ? (write ? "write" : "read") : "randread";
    const size = (await Deno.stat(path)).size;
    const args = [
      "--name=bench",
      `--filename=${path}`,
      `--rw=${rw}`,
      `--bs=${bs}`,
      `--ioengine=${engine}`,
      `--iodepth=${qd}`,
      `--size=${sequential && write ? offsets.length * bs : size}`,
      `--io_size=${offsets.length * bs}`,
      `--invalidate=${cold ? 1 : 0}`,
      `--direct=${direct ? 1 : 0}`,
      "--lat_percentiles=1",
      "--output-format=json",
    ];
    // Cached runs draw with replacement, cold ones visit distinct blocks.
    if (!sequential && !cold) args.push("--norandommap", "--randrepeat=0");
    // fio reaps libaio's completion ring in user space, as our backend does.
    if (engine === "libaio") args.push("--userspace_reap=1");
    const out = await run("fio", args);
    if (out === undefined) throw new Error("fio failed");
    const json = JSON.parse(out.slice(out.indexOf("{")));
    const job = json.jobs[0][write ? "write" : "read"];
    const pct = job.lat_ns.percentile ?? {};
    return {
      seconds: job.runtime / 1000,
      p50: pct["50.000000"] / 1000,
      p99: pct["99.000000"] / 1000,
    };
  };
}

// ------------------------------------------------------------------ table

function format(rows: Row[]): string {
  const header = [
    "regime",
    "workload",
    "QD",
    "contender",
    "IOPS",
    "MiB/s",
    "p50 µs",
    "p99 µs",
    "note",
  ];
  const lines = rows.map((row) => {
    if (row.run === undefined) {
      return [
        row.regime,
        row.workload,
        String(row.qd),
        row.contender,
        "-",
        "-",
        "-",
        "-",
        `skipped: ${row.skipped}`,
      ];
    }
    const s = stats(row);
    const num = (x: number | undefined, digits = 0) =>
      x === undefined || Number.isNaN(x) ? "-" : x.toLocaleString("en-US", {
        maximumFractionDigits: digits,
        minimumFractionDigits: digits,
      });
    return [
      row.regime,
      row.workload,
      String(row.qd),
      row.contender,
      num(s.iops),
      num(s.mibs, 1),
      num(s.p50, 1),
      num(s.p99, 1),
      row.run.note ?? "",
    ];
  });
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => l[i].length))
  );
  const render = (cells: string[]) =>
    "| " +
    cells.map((c, i) =>
      i >= 4 && i <= 7 ? c.padStart(widths[i]) : c.padEnd(widths[i])
    ).join(" | ") + " |";
  return [
    render(header),
    "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |",
    ...lines.map(render),
  ].join("\n");
}

function ratio(rows: Row[], regime: string, qd: number, a: string, b: string) {
  const find = (name: string) =>
    rows.find((r) =>
      r.regime === regime && r.qd === qd && r.contender === name &&
      r.workload === "randread 4 KiB" && r.run !== undefined
    );
  const x = find(a);
  const y = find(b);
  if (x === undefined || y === undefined) return undefined;
  return stats(x).iops / stats(y).iops;
}

// ------------------------------------------------------------------- main

const FACADE = "aio facade (deno)";
const FACADE_URING = "aio facade (io_uring)";
const FACADE_THREADS = "aio facade (threads)";
const FACADE_LINUX_AIO = "aio facade (linux-aio)";
const DIRECT_URING = "aio facade (io_uring, direct)";
const DIRECT_LINUX_AIO = "aio facade (linux-aio, direct)";
const FIO_URING = "fio io_uring";
const FIO_LIBAIO = "fio libaio";
const FIO_URING_DIRECT = "fio io_uring direct=1";
const FIO_LIBAIO_DIRECT = "fio libaio direct=1";
const FSFILE_POOL = "Deno.FsFile xQD (seekSync+read)";
const NODE = "Node fs.promises (real node)";
const FIO_POSIXAIO = "fio posixaio";

function backendAvailable(
  backend: "io_uring" | "linux-aio" = "io_uring",
): string | undefined {
  const before = aioInit();
  try {
    aioInit({ backend });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    aioInit({ backend: before.backend });
  }
}

// The seed's question in one picture: Deno's async ops (a thread pool inside
// the runtime), a user-space thread pool (glibc's way) and the kernel
// (io_uring), with Node and fio as references; cached left, cold right.
const CHART_LINES: [string, string][] = [
  [FACADE, 'aio "deno" (Deno async ops)'],
  [FACADE_THREADS, 'aio "threads" (worker pool)'],
  [FACADE_URING, 'aio "io_uring" (kernel)'],
  [FACADE_LINUX_AIO, 'aio "linux-aio" (kernel AIO, buffered)'],
  [NODE, "Node fs.promises"],
  [FIO_POSIXAIO, "fio posixaio (glibc AIO)"],
  [FIO_URING, "fio io_uring"],
  [FIO_LIBAIO, "fio libaio (buffered)"],
  ["fio psync", "fio psync (QD1)"],
  [DIRECT_URING, 'aio "io_uring", direct'],
  [DIRECT_LINUX_AIO, 'aio "linux-aio", direct'],
  [FIO_URING_DIRECT, "fio io_uring direct=1"],
  [FIO_LIBAIO_DIRECT, "fio libaio direct=1"],
];

function qdChart(rows: Row[], config: Config): string {
  const charts = config.regimes.map((regime) => {
    const series: Series[] = [];
    for (const [contender, name] of CHART_LINES) {
      const points = rows.filter((row) =>
        row.regime === regime && row.contender === contender &&
        row.workload === "randread 4 KiB" && row.run !== undefined
      ).map((row) => ({ x: row.qd, y: stats(row).iops }));
      if (points.length > 0) series.push({ name, points });
    }
    return lineChart({
      title: `4 KiB random reads, ${
        regime === "direct" ? "O_DIRECT (no page cache)" : regime
      }`,
      subtitle:
        `IOPS against queue depth; Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs, medians of ${config.repeat}`,
      xLabel: "queue depth",
      yLabel: "IOPS",
      series,
      emptyText: "not measured",
    });
  });
  // Side by side in one document: each chart is a standalone SVG.
  const sizes = charts.map((svg) => {
    const match = /width="(\d+)" height="(\d+)"/.exec(svg);
    return match === null ? [720, 420] : [Number(match[1]), Number(match[2])];
  });
  const width = sizes.reduce((sum, [w]) => sum + w, 0);
  const height = Math.max(...sizes.map(([, h]) => h));
  let x = 0;
  const inner = charts.map((svg, i) => {
    const body = svg.replace(/^<\?xml[^>]*>\s*/, "").replace(
      /^<svg /,
      `<svg x="${x}" y="0" `,
    ).replaceAll("chart-title", `chart-title-${i}`);
    x += sizes[i][0];
    return body;
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    ...inner,
    `</svg>`,
    "",
  ].join("\n");
}

async function main(config: Config): Promise<void> {
  const temp = config.file === undefined
    ? await Deno.makeTempDir({ prefix: "aio_bench_" })
    : undefined;
  const path = config.file ?? `${temp}/data.bin`;
  try {
    if (config.file === undefined) {
      console.error(`writing ${config.sizeMiB} MiB to ${path} ...`);
      await makeDataFile(path, config.sizeMiB);
    }
    const size = (await Deno.stat(path)).size;
    const uringWhy = backendAvailable();
    const laioWhy = backendAvailable("linux-aio");
    const nodeVersion = config.node ? await nodeAvailable() : undefined;
    const fioVersion = config.fio
      ? (await run("fio", ["--version"]))?.trim()
      : undefined;
    const canEvict = await evict(path);
    const evictedTo = canEvict ? await resident(path) : undefined;

    const contenders: [string, Contender | string][] = [
      [FACADE, facade("deno")],
      [FACADE_THREADS, facade("threads", config.threads)],
      ...config.moreThreads.map((n): [string, Contender] => [
        `aio facade (threads x${n})`,
        facade("threads", n),
      ]),
      [
        FACADE_URING,
        uringWhy === undefined ? facade("io_uring") : `io_uring: ${uringWhy}`,
      ],
      [
        FACADE_LINUX_AIO,
        laioWhy === undefined ? facade("linux-aio") : `linux-aio: ${laioWhy}`,
      ],
      ["Deno.FsFile x1 (seekSync+read, serialised)", fsFileOne],
      [FSFILE_POOL, fsFilePool],
      [NODE, nodeVersion !== undefined ? realNode : "no real Node.js found"],
      ["node:fs/promises (Deno)", denoNodeFs],
      ["Workers xmin(QD,16) readSync (glibc-style)", blockingWorkers],
    ];
    const fioContenders = (cold: boolean): [string, Contender | string][] => [
      [FIO_POSIXAIO, fioVersion ? fio("posixaio", cold) : "fio not installed"],
      [FIO_URING, fioVersion ? fio("io_uring", cold) : "fio not installed"],
      [FIO_LIBAIO, fioVersion ? fio("libaio", cold) : "fio not installed"],
    ];
    // O_DIRECT: the kernel's own asynchronous path, page cache bypassed.
    const directContenders: [string, Contender | string][] = [
      [
        DIRECT_URING,
        uringWhy === undefined
          ? facade("io_uring", undefined, undefined, true)
          : `io_uring: ${uringWhy}`,
      ],
      [
        DIRECT_LINUX_AIO,
        laioWhy === undefined
          ? facade("linux-aio", undefined, undefined, true)
          : `linux-aio: ${laioWhy}`,
      ],
      [
        FIO_URING_DIRECT,
        fioVersion ? fio("io_uring", false, true) : "fio not installed",
      ],
      [
        FIO_LIBAIO_DIRECT,
        fioVersion ? fio("libaio", false, true) : "fio not installed",
      ],
    ];

    const rows: Row[] = [];
    // Each contender runs `repeat` times, round-robin with the others (so a
    // noisy phase of the machine hits all of them), and reports its median.
    const measure = async (
      regime: string,
      workload: string,
      qd: number,
      list: [string, Contender | string][],
      offsets: Float64Array,
      bs: number,
      write: boolean,
      prepare: () => Promise<string | undefined>,
      target = path,
    ) => {
      const chosen = config.only.length === 0
        ? list
        : list.filter(([name]) => config.only.some((p) => name.includes(p)));
      const group = chosen.map(([name, contender]) => {
        const row: Row = {
          regime,
          workload,
          qd,
          contender: name,
          ops: offsets.length,
          bytes: offsets.length * bs,
        };
        rows.push(row);
        if (typeof contender === "string") row.skipped = contender;
        return { row, contender, runs: [] as Run[] };
      });
      for (let r = 0; r < config.repeat; r++) {
        for (const entry of group) {
          if (typeof entry.contender === "string" || entry.row.skipped) {
            continue;
          }
          try {
            const note = await prepare();
            const result = await entry.contender(
              target,
              offsets,
              qd,
              bs,
              write,
            );
            if (regime === "cold") {
              const after = await resident(target);
              const cachedNote = after === undefined
                ? "eviction unverified"
                : `cached after: ${(100 * after / size).toFixed(0)}%`;
              result.note = [note, cachedNote].filter(Boolean).join("; ");
            }
            entry.runs.push(result);
          } catch (error) {
            entry.row.skipped = (error as Error).message;
          }
        }
      }
      for (const { row, runs } of group) {
        if (runs.length > 0) {
          runs.sort((a, b) => a.seconds - b.seconds);
          row.run = runs[Math.floor(runs.length / 2)];
          if (runs.length > 1) {
            const iops = runs.map((x) => Math.round(row.ops / x.seconds));
            row.run.note = [row.run.note, `median of ${iops.join("/")}`]
              .filter(Boolean).join("; ");
          }
        }
        console.error(
          `  ${regime} ${workload} QD${qd} ${row.contender}: ${
            row.run
              ? `${stats(row).iops.toFixed(0)} IOPS`
              : `skipped (${row.skipped})`
          }`,
        );
      }
    };

    for (const regime of config.regimes) {
      if (regime === "cold" && !canEvict) {
        console.error("cold regime skipped: dd iflag=nocache not available");
        continue;
      }
      const cold = regime === "cold";
      const direct = regime === "direct";
      const n = cold ? config.coldOps : config.ops;
      const offsets = randomOffsets(size, n, cold, config.seed);
      const prepare = cold || direct
        ? async () => {
          await evict(path);
          const left = await resident(path);
          return left === undefined
            ? "eviction unverified"
            : `evicted to ${left} B`;
        }
        : async () => {
          await warm(path);
          return undefined;
        };
      for (const qd of config.depths) {
        const all = direct
          ? directContenders
          : [...contenders, ...fioContenders(cold)];
        if (qd === 1 && fioVersion && !direct) {
          all.push(["fio psync", fio("psync", cold)]);
        }
        await measure(
          regime,
          "randread 4 KiB",
          qd,
          all,
          offsets,
          BS,
          false,
          prepare,
        );
      }
    }

    if (config.seq) {
      const seqSize = Math.min(config.seqMiB * MiB, size);
      const offsets = sequentialOffsets(seqSize);
      const qd = config.seqDepth;
      const seqContenders: [string, Contender | string][] = [
        [FACADE, facade("deno")],
        [FACADE_THREADS, facade("threads", config.threads)],
        [
          FACADE_URING,
          uringWhy === undefined ? facade("io_uring") : `io_uring: ${uringWhy}`,
        ],
        ["Deno.FsFile x1 (seekSync+read/write)", fsFileOne],
        [NODE, nodeVersion !== undefined ? realNode : "no real Node.js found"],
        [
          "fio io_uring",
          fioVersion ? fio("io_uring", false) : "fio not installed",
        ],
        ["fio psync", fioVersion ? fio("psync", false) : "fio not installed"],
      ];
      await measure(
        "cached",
        "seqread 1 MiB",
        qd,
        seqContenders,
        offsets,
        SEQ_BS,
        false,
        async () => {
          await warm(path);
          return undefined;
        },
      );
      const target = `${temp ?? Deno.makeTempDirSync()}/write.bin`;
      await measure(
        "page cache",
        "seqwrite 1 MiB",
        qd,
        seqContenders,
        offsets,
        SEQ_BS,
        true,
        async () => {
          await Deno.writeFile(target, new Uint8Array(0));
          return undefined;
        },
        target,
      );
      await Deno.remove(target).catch(() => {});
    }

    console.log(
      `\naio bench: ${
        size / MiB
      } MiB file, ${config.ops} cached / ${config.coldOps} cold random reads per run, ` +
        `Deno ${Deno.version.deno}, ${
          nodeChecked ?? nodeVersion ?? "no Node"
        }, ${fioVersion ?? "no fio"}, ` +
        `${navigator.hardwareConcurrency} CPUs; eviction: ${
          canEvict
            ? `dd iflag=nocache (fincore after: ${evictedTo ?? "?"} B)`
            : "unavailable"
        }\n`,
    );
    console.log(format(rows));
    const fmt = (x: number | undefined) =>
      x === undefined ? "n/a" : `${x.toFixed(2)}x`;
    console.log("\nTargets (same run, medians):");
    for (const qd of config.depths) {
      const want = qd === 16 ? ">= 1.5" : qd < 16 ? ">= 1" : "-";
      console.log(
        `  QD${qd}: cached threads/Node ${
          fmt(ratio(rows, "cached", qd, FACADE_THREADS, NODE))
        } (target ${want}); cold threads/Node ${
          fmt(ratio(rows, "cold", qd, FACADE_THREADS, NODE))
        }, threads/fio-posixaio ${
          fmt(ratio(rows, "cold", qd, FACADE_THREADS, FIO_POSIXAIO))
        } (targets at QD16: >= 1, >= 2); deno facade/its bare mechanism ${
          fmt(ratio(rows, "cached", qd, FACADE, FSFILE_POOL))
        } (target >= 0.9); deno/Node ${
          fmt(ratio(rows, "cached", qd, FACADE, NODE))
        }; io_uring/Node ${fmt(ratio(rows, "cached", qd, FACADE_URING, NODE))}`,
      );
    }
    console.log(
      "\nKernel AIO and O_DIRECT (targets: direct >= 0.9x fio's same engine " +
        "direct=1; io_uring cached QD16 >= 1.2x fio io_uring):",
    );
    for (const qd of config.depths) {
      const iops = (regime: string, name: string) => {
        const row = rows.find((r) =>
          r.regime === regime && r.qd === qd && r.contender === name &&
          r.workload === "randread 4 KiB" && r.run !== undefined
        );
        return row === undefined
          ? "n/a"
          : `${(stats(row).iops / 1000).toFixed(1)}k`;
      };
      console.log(
        `  QD${qd}: direct linux-aio/fio libaio ${
          fmt(ratio(rows, "direct", qd, DIRECT_LINUX_AIO, FIO_LIBAIO_DIRECT))
        } (${iops("direct", DIRECT_LINUX_AIO)} vs ${
          iops("direct", FIO_LIBAIO_DIRECT)
        }), direct io_uring/fio io_uring ${
          fmt(ratio(rows, "direct", qd, DIRECT_URING, FIO_URING_DIRECT))
        } (${iops("direct", DIRECT_URING)} vs ${
          iops("direct", FIO_URING_DIRECT)
        }); cached io_uring/fio io_uring ${
          fmt(ratio(rows, "cached", qd, FACADE_URING, FIO_URING))
        } (${iops("cached", FACADE_URING)} vs ${
          iops("cached", FIO_URING)
        }); cached linux-aio ${iops("cached", FACADE_LINUX_AIO)} (fio libaio ${
          iops("cached", FIO_LIBAIO)
        }); cold linux-aio ${iops("cold", FACADE_LINUX_AIO)} (fio libaio ${
          iops("cold", FIO_LIBAIO)
        })`,
      );
    }
    if (config.json !== undefined) {
      await Deno.writeTextFile(
        config.json,
        JSON.stringify(
          rows.map((row) => ({
            ...row,
            run: undefined,
            iops: row.run === undefined ? undefined : stats(row).iops,
          })),
          null,
          2,
        ) + "\n",
      );
    }
    if (config.chart !== "" && config.depths.length > 1) {
      await Deno.writeTextFile(config.chart, qdChart(rows, config));
      console.log(`\nchart: ${config.chart}`);
    }
  } finally {
    if (temp !== undefined) await Deno.remove(temp, { recursive: true });
  }
}

// ------------------------------------------------------------- Deno.bench

/** Why `path` cannot be opened with O_DIRECT here, or undefined. */
async function directUnavailable(
  path: string,
  ...why: (string | undefined)[]
): Promise<string | undefined> {
  const reason = why.find((w) => w !== undefined);
  if (reason !== undefined) return reason;
  const before = aioInit();
  try {
    aioInit({ backend: "io_uring" });
    await (await aioOpen(path, { direct: true })).close();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    aioInit({ backend: before.backend });
  }
}

async function benchSetup(): Promise<void> {
  const sizeMiB = Number(Deno.env.get("AIO_BENCH_SIZE_MIB") ?? "64");
  const dir = await Deno.makeTempDir({ prefix: "aio_bench_" });
  const path = `${dir}/data.bin`;
  await makeDataFile(path, sizeMiB);
  globalThis.addEventListener("unload", () => {
    Deno.removeSync(dir, { recursive: true });
  });
  const size = sizeMiB * MiB;
  const batch = 1024;
  const uringWhy = backendAvailable();
  const laioWhy = backendAvailable("linux-aio");

  for (const qd of [16, 1]) {
    const group =
      `random 4 KiB reads, cached, QD${qd} (${batch} per iteration)`;
    let round = 0;
    const next = () => randomOffsets(size, batch, false, round++);
    const nodeHandle = await nodeOpen(path, "r");
    const buffers = Array.from({ length: qd }, () => new Uint8Array(BS));
    Deno.bench({
      name: "node:fs/promises FileHandle.read (Node's API)",
      group,
      async fn() {
        const offsets = next();
        await lanes(
          batch,
          qd,
          (i, lane) => nodeHandle.read(buffers[lane], 0, BS, offsets[i]),
        );
      },
    });
    Deno.bench({
      name: FACADE,
      group,
      baseline: true,
      async fn(b) {
        await facade("deno", undefined, b)(path, next(), qd, BS, false);
      },
    });
    Deno.bench({
      name: FACADE_THREADS,
      group,
      async fn(b) {
        await facade("threads", undefined, b)(path, next(), qd, BS, false);
      },
    });
    Deno.bench({
      name: FACADE_URING,
      group,
      ignore: uringWhy !== undefined,
      async fn(b) {
        await facade("io_uring", undefined, b)(path, next(), qd, BS, false);
      },
    });
    Deno.bench({
      name: FACADE_LINUX_AIO,
      group,
      ignore: laioWhy !== undefined,
      async fn(b) {
        await facade("linux-aio", undefined, b)(path, next(), qd, BS, false);
      },
    });
    Deno.bench({
      name: "Deno.FsFile xQD (seekSync+read)",
      group,
      async fn() {
        await fsFilePool(path, next(), qd, BS, false);
      },
    });
    Deno.bench({
      name: "Deno.FsFile x1 (seekSync+read, serialised)",
      group,
      async fn() {
        await fsFileOne(path, next(), qd, BS, false);
      },
    });
    Deno.bench({
      name: "Workers readSync (glibc-style)",
      group,
      async fn(b) {
        const pool = new BlockingPool(path, Math.min(qd, 16), BS, false);
        await pool.transfer(0, new Uint8Array(0));
        const offsets = next();
        b.start();
        await lanes(
          batch,
          qd,
          (i, lane) => pool.transfer(offsets[i], buffers[lane]),
        );
        b.end();
        pool.close();
      },
    });
  }

  // O_DIRECT: the page cache bypassed, the kernel's own asynchronous path
  // (where the file system has it: not tmpfs before Linux 6.6).
  const directWhy = await directUnavailable(path, uringWhy, laioWhy);
  for (const qd of [16]) {
    const group =
      `random 4 KiB reads, O_DIRECT, QD${qd} (${batch} per iteration)`;
    let round = 0;
    const next = () => randomOffsets(size, batch, false, 1000 + round++);
    Deno.bench({
      name: DIRECT_URING,
      group,
      baseline: true,
      ignore: uringWhy !== undefined || directWhy !== undefined,
      async fn(b) {
        await facade("io_uring", undefined, b, true)(
          path,
          next(),
          qd,
          BS,
          false,
        );
      },
    });
    Deno.bench({
      name: DIRECT_LINUX_AIO,
      group,
      ignore: laioWhy !== undefined || directWhy !== undefined,
      async fn(b) {
        await facade("linux-aio", undefined, b, true)(
          path,
          next(),
          qd,
          BS,
          false,
        );
      },
    });
  }

  const seqGroup = "sequential 1 MiB reads, cached, QD4";
  const seq = sequentialOffsets(Math.min(size, 64 * MiB));
  Deno.bench({
    name: "Deno.FsFile x1 (seekSync+read)",
    group: seqGroup,
    async fn() {
      await fsFileOne(path, seq, 4, SEQ_BS, false);
    },
  });
  Deno.bench({
    name: FACADE,
    group: seqGroup,
    baseline: true,
    async fn(b) {
      await facade("deno", undefined, b)(path, seq, 4, SEQ_BS, false);
    },
  });
  Deno.bench({
    name: FACADE_THREADS,
    group: seqGroup,
    async fn(b) {
      await facade("threads", undefined, b)(path, seq, 4, SEQ_BS, false);
    },
  });
  Deno.bench({
    name: FACADE_URING,
    group: seqGroup,
    ignore: uringWhy !== undefined,
    async fn(b) {
      await facade("io_uring", undefined, b)(path, seq, 4, SEQ_BS, false);
    },
  });
}

if (import.meta.main) {
  await main(readConfig(Deno.args));
} else {
  await benchSetup();
}

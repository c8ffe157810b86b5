// Copyright 2026 the @concurrent/futures authors. MIT license.

// aio queue-depth sweep: random 16 KiB reads of one file through
// lioListio("wait"), at aioInit({ queueDepth }) 1..64, per backend ("deno",
// and "io_uring" where it can run) and per cache state (cached; cold: the
// file evicted from the page cache with `dd iflag=nocache count=0` before
// each iteration, outside the measured part).
//
//   deno bench -A bench/aio_sizing_bench.ts       (SIZING_QUICK=1 for a first look)
//   deno task sizing                               (all suites, charts, advice)

import {
  AioError,
  aioInit,
  aioOpen,
  aioReturn,
  lioListio,
} from "@concurrent/futures";
import type { AioCb } from "@concurrent/futures";
import { describe, note, QUICK, sweep } from "./_sizing_common.ts";

const DEPTHS = QUICK ? [1, 8, 64] : [1, 2, 4, 8, 16, 32, 64];
const BLOCK = 16 * 1024;
const FILE_SIZE = (QUICK ? 4 : 32) * 1024 * 1024;
const READS = FILE_SIZE / BLOCK;

const dir = Deno.makeTempDirSync({ prefix: "sizing_aio_" });
addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const path = `${dir}/data.bin`;
{
  const chunk = new Uint8Array(1024 * 1024);
  using file = Deno.openSync(path, { write: true, create: true });
  for (let written = 0; written < FILE_SIZE; written += chunk.length) {
    crypto.getRandomValues(chunk.subarray(0, 65536));
    chunk.copyWithin(65536, 0);
    file.writeSync(chunk);
  }
  // Dirty pages cannot be evicted: flush them for the cold cases.
  file.syncDataSync();
}

// Every block once, in a shuffled (but fixed) order: random reads.
const offsets = Array.from({ length: READS }, (_, i) => i * BLOCK);
let seed = 12345;
for (let i = offsets.length - 1; i > 0; i--) {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  const j = seed % (i + 1);
  [offsets[i], offsets[j]] = [offsets[j], offsets[i]];
}
const buffers = offsets.map(() => new Uint8Array(BLOCK));

const initial = aioInit();
aioInit({ maxRequests: Math.max(initial.maxRequests, READS) });

async function evict(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("dd", {
      args: [`if=${path}`, "iflag=nocache", "count=0"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** Whether eviction works here, and why not (checked with fincore when installed). */
async function canEvict(): Promise<string | undefined> {
  if (!(await evict())) {
    return "`dd if=FILE iflag=nocache count=0` is not available or failed";
  }
  try {
    const { stdout, success } = await new Deno.Command("fincore", {
      args: ["--bytes", "--noheadings", "--output", "RES", path],
    }).output();
    const resident = Number(new TextDecoder().decode(stdout).trim());
    if (success && resident > FILE_SIZE / 10) {
      return `the page cache kept ${resident} of ${FILE_SIZE} bytes after eviction (tmpfs or a filesystem that ignores POSIX_FADV_DONTNEED?)`;
    }
  } catch {
    // No fincore: trust dd.
  }
  return undefined;
}

function ioUringProblem(): string | undefined {
  try {
    aioInit({ backend: "io_uring" });
    return undefined;
  } catch (error) {
    if (error instanceof AioError && error.code === "ENOSYS") {
      return error.message;
    }
    throw error;
  } finally {
    aioInit({ backend: initial.backend });
  }
}

const backends: ("deno" | "io_uring")[] = ["deno"];
const uringProblem = ioUringProblem();
if (uringProblem === undefined) backends.push("io_uring");
else note(`io_uring cases skipped: ${uringProblem}`);

const evictProblem = await canEvict();
const caches: ("cached" | "cold")[] = ["cached"];
if (evictProblem === undefined) caches.push("cold");
else note(`cold-cache cases skipped: ${evictProblem}`);

describe(
  "aio",
  `${READS} random ${BLOCK / 1024} KiB reads of a ${
    FILE_SIZE / 2 ** 20
  } MiB file per iteration (lioListio "wait")`,
);
for (const backend of backends) {
  for (const cache of caches) {
    sweep({
      group: `aio/${backend}-${cache}`,
      param: "queueDepth",
      values: DEPTHS,
      units: READS,
      unit: "reads",
      description: `${READS} random ${BLOCK / 1024} KiB reads of a ${
        FILE_SIZE / 2 ** 20
      } MiB file per iteration (lioListio "wait"), ${backend} backend, ${
        cache === "cold"
          ? "evicted from the page cache before each iteration"
          : "in the page cache"
      }`,
      async fn(depth, b) {
        aioInit({ backend, queueDepth: depth });
        if (cache === "cold" && !(await evict())) {
          throw new Error("eviction with dd failed");
        }
        const file = await aioOpen(path);
        try {
          const list: AioCb[] = offsets.map((offset, i) => ({
            file,
            offset,
            buffer: buffers[i],
            opcode: "read",
          }));
          // One request before the clock: the "threads" workers start with
          // the first file, and their start-up is not throughput.
          await lioListio("wait", [{
            file,
            offset: 0,
            buffer: new Uint8Array(1),
            opcode: "read",
          }]);
          b.start();
          await lioListio("wait", list);
          b.end();
          for (const cb of list) {
            const n = aioReturn(cb);
            if (n !== BLOCK) {
              throw new Error(`short read: ${n} of ${BLOCK} bytes`);
            }
          }
        } finally {
          await file.close();
          aioInit({ backend: initial.backend, queueDepth: initial.queueDepth });
        }
      },
    });
  }
}

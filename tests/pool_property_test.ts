// Copyright 2026 the @concurrent/futures authors. MIT license.
// A property test of the pools (threads and processes): seeded random sequences of submit,
// cancel, force-cancel, timeout, worker crash and shutdown. Whatever
// happens, every future settles exactly once and the stats add up.

import { assert, assertEquals, assertThrows } from "@std/assert";
import { delay } from "@std/async";
import {
  ExecutorShutdownError,
  type Future,
  type Task,
  type WorkerPoolExecutorOptions,
} from "../mod.ts";
import { POOLS, T } from "./fixtures/pool_helpers.ts";

/** A small seeded PRNG (mulberry32): the same seed, the same run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CRASHES = [
  T.closeSelf,
  T.exitSelf,
  T.throwLater,
  T.rejectUnhandled,
] as Task<(message: string) => unknown>[];
const STEPS = 200;

async function property(
  Pool: typeof POOLS[number],
  seed: number,
  options: WorkerPoolExecutorOptions,
): Promise<void> {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pool = new Pool({
    maxWorkers: 2,
    idleTimeout: 5,
    ...options,
  });
  const futures: Future<unknown>[] = [];
  const calls: number[] = [];
  const track = (future: Future<unknown>) => {
    const index = futures.length;
    futures.push(future);
    calls.push(0);
    future.addDoneCallback(() => calls[index]++);
  };
  const pick = () => futures[int(futures.length)];

  const check = (where: string) => {
    const context = `seed ${seed}, ${where}`;
    const stats = pool.stats();
    const done = futures.filter((f) => f.done()).length;
    assertEquals(
      stats.completed + stats.failed + stats.cancelled,
      done,
      `settled counts (${context})`,
    );
    assertEquals(
      stats.queued + stats.running,
      futures.length - done,
      `open counts (${context})`,
    );
    for (let i = 0; i < futures.length; i++) {
      assertEquals(
        calls[i],
        futures[i].done() ? 1 : 0,
        `callbacks of future ${i} (${context})`,
      );
    }
    const pending = futures.filter((f) => f.state === "pending").length;
    const running = futures.filter((f) => f.running()).length;
    // A task put back in the queue after its worker died stays `running`.
    assert(pending <= stats.queued, `pending <= queued (${context})`);
    assert(stats.running <= running, `running (${context})`);
    assert(stats.busy <= stats.workers, `busy (${context})`);
    assert(stats.workers <= 2, `workers (${context})`);
  };

  for (let step = 0; step < STEPS; step++) {
    const r = random();
    if (r < 0.25) {
      track(pool.submit(T.add, step, 1));
    } else if (r < 0.40) {
      track(pool.submit(T.sleep, int(4), step));
    } else if (r < 0.46) {
      track(pool.run(T.sleep, [int(6), step], { timeout: int(4) }));
    } else if (r < 0.49) {
      track(pool.submit(CRASHES[int(CRASHES.length)], "boom"));
    } else if (r < 0.52) {
      track(pool.submit((n: number) => {
        throw new RangeError(`task ${n}`);
      }, step));
    } else if (r < 0.62) {
      if (futures.length > 0) pick().cancel();
    } else if (r < 0.67) {
      if (futures.length > 0) pick().cancel({ force: true });
    } else if (r < 0.85) {
      await delay(int(3));
    } else if (futures.length > 0) {
      await pick().exception().catch(() => {});
    }
    check(`step ${step}`);
  }
  const cancelFutures = random() < 0.5;
  await pool.shutdown({ cancelFutures });
  check("after shutdown");
  assertThrows(() => pool.submit(T.add, 1, 1), ExecutorShutdownError);
  for (const future of futures) assert(future.done());
  const stats = pool.stats();
  assertEquals(stats.workers, 0);
  assertEquals(stats.queued + stats.running, 0);
  assertEquals(
    stats.completed + stats.failed + stats.cancelled,
    futures.length,
  );
}

for (const Pool of POOLS) {
  Deno.test(`${Pool.name} property: one task per worker at a time`, async () => {
    await property(Pool, 1, {});
  });

  Deno.test(`${Pool.name} property: two tasks per worker, recycled every 7`, async () => {
    await property(Pool, 2, {
      concurrentTasksPerWorker: 2,
      maxTasksPerWorker: 7,
    });
  });
}

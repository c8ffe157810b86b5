// Copyright 2026 the @concurrent/futures authors. MIT license.
// Recycling workers (`maxTasksPerWorker`) without waiting for a start: when
// a worker is sent its last task and that task is expected to take a while
// (its function's learned cost, or unknown), its replacement starts at
// once, while that task runs (a worker start is ~25 ms). For tiny tasks the
// pool starts the replacement after, as two starts at once on few cores
// are slower than one after the other (measured: ~20% fewer tasks/s).
// The replacement takes no task until the old worker is gone
// (`PoolWorker.replaces`), so no more than `maxWorkers` tasks run at once;
// the pair counts as one worker against `maxWorkers` and in `stats()`.

import type { PoolWorker } from "./_pool_worker.ts";

/**
 * Workers counted against `maxWorkers`: one whose replacement started early
 * no longer counts, its replacement does.
 */
export function countedWorkers(
  workers: readonly PoolWorker[],
  maxTasksPerWorker: number,
): number {
  if (maxTasksPerWorker === Infinity) return workers.length;
  let count = workers.length;
  for (const worker of workers) {
    const old = worker.replaces;
    if (old !== undefined && !old.dead) count--;
  }
  return count;
}

/** Workers and busy workers, a worker and its early replacement as one. */
export function workerCounts(
  workers: readonly PoolWorker[],
): { workers: number; busy: number } {
  let count = 0;
  let busy = 0;
  for (const worker of workers) {
    const old = worker.replaces;
    if (old !== undefined && !old.dead) {
      count++;
      if (worker.inFlight > 0 || old.inFlight > 0) busy++;
    } else if (!replaced(worker, workers)) {
      count++;
      if (worker.inFlight > 0) busy++;
    }
  }
  return { workers: count, busy };
}

function replaced(worker: PoolWorker, workers: readonly PoolWorker[]): boolean {
  if (worker.sent < worker.quota) return false;
  for (const other of workers) if (other.replaces === worker) return true;
  return false;
}

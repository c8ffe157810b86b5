// Copyright 2026 the @concurrent/futures authors. MIT license.
// Retiring idle workers: an idle worker above the floor (`minWorkers`)
// stops once it has been idle for `idleTimeout`. One unref'd timer serves
// the whole pool, set for the worker idle the longest.

import type { PoolWorker } from "./_pool_worker.ts";
import { unrefTimer } from "./_pool_unref.ts";

/** How much an idle timer may fire early (timers are not exact). */
const TIMER_SLACK_MS = 1;

/** What the idle timer needs from the pool. */
export interface IdleHost {
  /** The workers alive. */
  readonly workers: readonly PoolWorker[];
  /** Fewer workers than this are never retired for being idle. */
  readonly floor: number;
  /** Stops an idle worker (reason "idle"). */
  retire(worker: PoolWorker): void;
}

/** The pool's idle timer. */
export class IdleRetirement {
  readonly #timeout: number | undefined;
  readonly #host: IdleHost;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param timeout `idleTimeout` (undefined: never retire).
   * @param host The pool.
   */
  constructor(timeout: number | undefined, host: IdleHost) {
    this.#timeout = timeout;
    this.#host = host;
  }

  /** Sets the timer for the worker idle the longest, if none is set. */
  schedule(): void {
    const timeout = this.#timeout;
    if (this.#timer !== undefined || timeout === undefined) return;
    const workers = this.#host.workers;
    if (workers.length <= this.#host.floor) return;
    let earliest = Infinity;
    for (const worker of workers) {
      if (idle(worker)) earliest = Math.min(earliest, worker.idleSince);
    }
    if (earliest === Infinity) return;
    const delay = Math.max(0, earliest + timeout - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#retire();
    }, delay);
    unrefTimer(this.#timer);
  }

  /** Clears the timer (the pool shut down). */
  cancel(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #retire(): void {
    const now = performance.now();
    const timeout = this.#timeout!;
    const host = this.#host;
    const candidates = host.workers
      .filter((worker) =>
        idle(worker) && now - worker.idleSince >= timeout - TIMER_SLACK_MS
      )
      .sort((a, b) => a.idleSince - b.idleSince);
    for (const worker of candidates) {
      if (host.workers.length <= host.floor) break;
      host.retire(worker);
    }
    this.schedule();
  }
}

/**
 * Idle: holds no task, and is not a replacement started early, waiting for
 * the worker it replaces to finish its last task.
 */
function idle(worker: PoolWorker): boolean {
  return worker.inFlight === 0 &&
    (worker.replaces === undefined || worker.replaces.dead);
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// The dispatch policy of WorkerPoolExecutor: which worker gets the next task.
// A pure function over a view of the pool, so the policy can be read (and
// changed) in one place, apart from the mechanism of sending.

/** What the policy sees of one worker. */
export interface WorkerLoad {
  /** Tasks sent and not answered yet. */
  readonly inFlight: number;
  /** Estimated ms of work among them (Infinity when a cost is unknown). */
  readonly ahead: number;
  /** Whether it can take another task (a free slot; `maxTasksPerWorker`). */
  readonly accepting: boolean;
  /**
   * Whether it is being sent tasks in this turn already (topping it up to the
   * budget then costs nothing: they travel in the same message).
   */
  readonly filling: boolean;
  /** Whether few of its slots are left (half or fewer free). */
  readonly crowded: boolean;
}

/** What the policy knows of the pool and of the task. */
export interface DispatchContext {
  /** Whether another worker may be spawned (fewer than `maxWorkers`). */
  readonly canSpawn: boolean;
  /** `concurrentTasksPerWorker`. */
  readonly concurrency: number;
  /** The task's estimated cost in ms; Infinity while unknown. */
  readonly cost: number;
  /** How much estimated work (ms) a worker may hold beyond what it runs. */
  readonly budget: number;
}

/** Spawn a worker for the task. */
export const SPAWN = -1;
/** Keep the task queued until a worker has room. */
export const WAIT = -2;

/**
 * Chooses a worker for the next task: an idle worker when there is one;
 * else a new worker while fewer than `maxWorkers` exist; else the least
 * loaded worker that has room. A worker has room while it holds fewer than
 * `concurrency + 1` tasks (one sent ahead hides the round trip), and beyond
 * that while the estimated work it holds stays within `budget`: many tiny
 * tasks may be sent ahead (throughput), a long task never waits behind
 * another long one on a busy worker while a worker could be free soon.
 *
 * Refills come in bulk: a worker above half its budget (or with half its
 * slots taken) gets nothing more until it drains below that, unless it is
 * being sent tasks in this turn anyway. Without this, every small message of
 * results would be answered by a small message of tasks, and the pair of
 * workers would settle into a ping-pong of one-task messages.
 *
 * @returns The index of the chosen worker, {@linkcode SPAWN} or
 * {@linkcode WAIT}.
 */
export function chooseWorker(
  workers: readonly WorkerLoad[],
  context: DispatchContext,
): number {
  for (let i = 0; i < workers.length; i++) {
    if (workers[i].accepting && workers[i].inFlight === 0) return i;
  }
  if (context.canSpawn) return SPAWN;
  let best = WAIT;
  let bestAhead = Infinity;
  for (let i = 0; i < workers.length; i++) {
    const worker = workers[i];
    if (!worker.accepting) continue;
    const room = worker.inFlight < context.concurrency + 1 ||
      (worker.ahead + context.cost <= context.budget &&
        (worker.filling ||
          (!worker.crowded && worker.ahead <= context.budget / 2)));
    if (!room) continue;
    if (best === WAIT || worker.ahead < bestAhead) {
      best = i;
      bestAhead = worker.ahead;
    }
  }
  return best;
}

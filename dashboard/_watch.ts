// Copyright 2026 the @concurrent/futures authors. MIT license.
// What the dashboard keeps of one executor (or queue): the worker events it
// heard (always: they are rare, and the timeline needs the ones before a page
// opened), and the samples of its statistics taken while a page was open.

/** An error as the page shows it. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
  cause?: ErrorInfo;
}

/** A worker start or exit, as the page gets it. */
export interface WorkerEvent {
  /** Its number: 1, 2, ... for each source (a page skips ones it has). */
  seq: number;
  /** `Date.now()` when it happened. */
  t: number;
  type: "start" | "exit";
  worker: string;
  reason?: string;
  error?: ErrorInfo;
}

/** One reading of a source's statistics. */
export interface Reading {
  /** Numbers and `TimeStats`, as the executor's `stats()` returns them. */
  stats: Record<string, unknown>;
  /** Tasks finished so far (completed and failed), for the throughput. */
  finished: number;
}

/** What the dashboard watches: an executor, or a queue seen from Redis. */
export interface Source {
  name: string;
  /** What it is, e.g. `"WorkerPoolExecutor"`. */
  kind: string;
  /** Reads its statistics (the dashboard calls it once per tick). */
  read(): Reading | Promise<Reading>;
  /** Where its `"workerstart"` / `"workerexit"` events come from. */
  events?: EventTarget;
  /** Releases what `read` holds (the dashboard's own, never the executor). */
  close?(): Promise<void>;
}

/** One sample: its time, statistics and throughput (tasks/s since the last). */
export interface Sample {
  t: number;
  stats: Record<string, unknown>;
  /** Finished tasks per second since the previous sample, if there was one. */
  rate?: number;
  /** Why reading failed, if it did. */
  error?: string;
}

/** Samples kept: five minutes at one a second. */
export const HISTORY = 300;
/** Milliseconds a source's `read()` may take before a sample gives up. */
export const READ_TIMEOUT = 3_000;
/** Worker events kept. */
export const EVENTS = 400;
const TEXT = 2_000;
const STACK = 6_000;

/** `error` as the page shows it: name, message, stack, and its causes. */
export function describeError(error: unknown, depth = 0): ErrorInfo {
  if (error instanceof Error) {
    const info: ErrorInfo = {
      name: String(error.name).slice(0, 200),
      message: String(error.message).slice(0, TEXT),
    };
    if (typeof error.stack === "string") {
      info.stack = error.stack.slice(0, STACK);
    }
    if (error.cause !== undefined && depth < 3) {
      info.cause = describeError(error.cause, depth + 1);
    }
    return info;
  }
  let message: string;
  try {
    message = typeof error === "string" ? error : JSON.stringify(error) ??
      String(error);
  } catch {
    message = String(error);
  }
  return { name: typeof error, message: message.slice(0, TEXT) };
}

/** Whether `value` is an `Executor`-like object with a `stats()` method. */
function hasStats(
  value: unknown,
): value is { stats(): Record<string, unknown> } {
  return typeof (value as { stats?: unknown })?.stats === "function";
}

/**
 * A {@linkcode Source} over an executor of this module: its `stats()` (sync,
 * or async as `QueueExecutor`'s), and its worker events when it has any.
 */
export function executorSource(name: string, executor: object): Source {
  const kind = executor.constructor?.name || "Executor";
  // Pools (their stats count busy workers) tell of their workers by events.
  let pool = false;
  if (hasStats(executor)) {
    try {
      const stats = executor.stats();
      pool = !(stats instanceof Promise) && typeof stats?.busy === "number";
    } catch { /* read again at each tick */ }
  }
  return {
    name,
    kind,
    events: pool && executor instanceof EventTarget ? executor : undefined,
    read(): Reading | Promise<Reading> {
      if (!hasStats(executor)) return { stats: {}, finished: 0 };
      const stats = executor.stats();
      if (stats instanceof Promise) return stats.then(reading);
      return reading(stats);
    },
  };
}

function reading(stats: Record<string, unknown>): Reading {
  const finished = (Number(stats.completed) || 0) +
    (Number(stats.failed) || 0);
  return { stats, finished };
}

/** One watched source: its worker events and its samples. */
export class Watch {
  readonly source: Source;
  /** Worker events heard, oldest first (at most `EVENTS`). */
  readonly events: WorkerEvent[] = [];
  /** Samples taken, oldest first (at most `HISTORY`). */
  readonly history: Sample[] = [];
  /** Events heard since the last tick (sent with the next sample). */
  fresh: WorkerEvent[] = [];
  #last?: { t: number; finished: number };
  #seq = 0;
  #onStart = (event: Event): void => this.#heard(event, "start");
  #onExit = (event: Event): void => this.#heard(event, "exit");

  constructor(source: Source) {
    this.source = source;
    source.events?.addEventListener("workerstart", this.#onStart);
    source.events?.addEventListener("workerexit", this.#onExit);
  }

  #heard(event: Event, type: "start" | "exit"): void {
    const detail = (event as CustomEvent).detail ?? {};
    const entry: WorkerEvent = {
      seq: ++this.#seq,
      t: Date.now(),
      type,
      worker: String(detail.name ?? "?"),
    };
    if (type === "exit") {
      entry.reason = String(detail.reason ?? "");
      if (detail.error !== undefined) entry.error = describeError(detail.error);
    }
    this.events.push(entry);
    if (this.events.length > EVENTS) this.events.shift();
    this.fresh.push(entry);
    if (this.fresh.length > EVENTS) this.fresh.shift();
  }

  /**
   * Reads the source once and records the sample.
   *
   * @returns The sample.
   */
  async sample(): Promise<Sample> {
    const t = Date.now();
    let sample: Sample;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // A source that does not answer (a queue's Redis down) shows as such,
      // and holds up neither the other sources nor the next ticks.
      const { stats, finished } = await Promise.race([
        this.source.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer in ${READ_TIMEOUT} ms`)),
            READ_TIMEOUT,
          );
        }),
      ]);
      sample = { t, stats: plain(stats) };
      const last = this.#last;
      // A gap (no page was open) has no rate: the chart shows it as a gap.
      if (last !== undefined && t - last.t > 0 && t - last.t < 5_000) {
        sample.rate = Math.max(
          0,
          (finished - last.finished) * 1000 /
            (t - last.t),
        );
      }
      this.#last = { t, finished };
    } catch (error) {
      const { name, message } = describeError(error);
      sample = { t, stats: {}, error: `${name}: ${message}` };
    } finally {
      clearTimeout(timer);
    }
    this.history.push(sample);
    if (this.history.length > HISTORY) this.history.shift();
    return sample;
  }

  /** Stops listening to the source's events. */
  close(): void {
    this.source.events?.removeEventListener("workerstart", this.#onStart);
    this.source.events?.removeEventListener("workerexit", this.#onExit);
  }
}

/** `stats` with only what JSON carries: numbers, strings, plain objects. */
function plain(stats: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stats)) {
    if (typeof value === "number") {
      out[key] = Number.isFinite(value) ? value : null;
    } else if (typeof value === "string" || typeof value === "boolean") {
      out[key] = value;
    } else if (Array.isArray(value)) out[key] = value.slice(0, 200);
    else if (value !== null && typeof value === "object") {
      out[key] = plain(value as Record<string, unknown>);
    }
  }
  return out;
}

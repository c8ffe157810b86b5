// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.
// An executor's statistics: task timings in constant memory, and how busy
// its capacity was.
//
// Timings go into a histogram with logarithmic buckets (each 4% wider than
// the one below, from 1 µs to about 10 days): ~700 counters however many
// tasks run, and a percentile read from it is the geometric middle of its
// bucket, within 2% of the true value. Count, mean and max are exact.

import type { TimeStats } from "./executor.ts";

/** Each bucket's upper bound is this times its lower bound. */
const RATIO = 1.04;
const LOG_RATIO = Math.log(RATIO);
/** The lower bound of bucket 1 (ms); bucket 0 holds everything below. */
const FLOOR_MS = 1e-3;
const BUCKETS = 2 + Math.ceil(Math.log(1e9 / FLOOR_MS) / LOG_RATIO);

/** A stream of durations (ms), summarised in constant memory. */
export class TimeHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = 0;

  /** Adds one duration (negative values count as 0). */
  record(ms: number): void {
    if (!(ms > 0)) ms = 0;
    this.#count++;
    this.#sum += ms;
    if (ms > this.#max) this.#max = ms;
    if (ms < this.#min) this.#min = ms;
    let index = 0;
    if (ms >= FLOOR_MS) {
      index = 1 + Math.floor(Math.log(ms / FLOOR_MS) / LOG_RATIO);
      if (index >= BUCKETS) index = BUCKETS - 1;
    }
    this.#counts[index]++;
  }

  /** Count, mean, p50, p90, p99 and max so far (all 0 before any). */
  snapshot(): TimeStats {
    const count = this.#count;
    if (count === 0) return { count, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
    return {
      count,
      mean: this.#sum / count,
      p50: this.#percentile(0.5),
      p90: this.#percentile(0.9),
      p99: this.#percentile(0.99),
      max: this.#max,
    };
  }

  #percentile(q: number): number {
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i];
      if (seen < rank) continue;
      if (i === 0) return this.#min;
      const lower = FLOOR_MS * RATIO ** (i - 1);
      const middle = lower * Math.sqrt(RATIO);
      return Math.min(this.#max, Math.max(this.#min, middle));
    }
    return this.#max;
  }
}

/** The share of an executor's capacity that was busy since it was created. */
export class Utilization {
  readonly #created = performance.now();
  readonly #capacity: number;
  /** Task-milliseconds of work that has ended. */
  busy = 0;

  /** @param capacity Tasks the executor runs at once. */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /**
   * The share from 0 to 1.
   *
   * @param inFlight Task-milliseconds of work still running, if known.
   */
  value(inFlight = 0): number {
    const elapsed = performance.now() - this.#created;
    if (elapsed <= 0) return 0;
    const share = (this.busy + inFlight) / (this.#capacity * elapsed);
    return Math.min(1, Math.max(0, share));
  }
}

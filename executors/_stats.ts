// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.
// An executor's statistics: task timings in constant memory, and how busy
// its capacity was.
//
// Timings go into a log-linear histogram (as HdrHistogram's): each power of
// two split into 32 equal buckets, read straight from the bits of the
// float64 (no Math.log on the hot path), from 2^-20 ms (1 ns) to 2^43 ms:
// ~2,000 counters however many tasks run. A percentile read from it is the
// middle of its bucket, within 1.6% of the true value. Count, mean and max
// are exact.

import type { TimeStats } from "./executor.ts";

/** Buckets per power of two (a power of two itself). */
const SUB_BITS = 5;
const SUB = 1 << SUB_BITS;
/** The smallest exponent kept; smaller values go to bucket 0. */
const MIN_EXP = -20;
const MAX_EXP = 43;
const BUCKETS = 1 + (MAX_EXP - MIN_EXP + 1) * SUB;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the high word of a float64 in `u32` (endianness). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

function bucketOf(ms: number): number {
  f64[0] = ms;
  const hi = u32[HI];
  const exp = ((hi >>> 20) & 0x7ff) - 1023;
  if (exp < MIN_EXP) return 0;
  if (exp > MAX_EXP) return BUCKETS - 1;
  return 1 + (exp - MIN_EXP) * SUB + ((hi >>> (20 - SUB_BITS)) & (SUB - 1));
}

function middleOf(index: number): number {
  const i = index - 1;
  const exp = MIN_EXP + Math.floor(i / SUB);
  const sub = i % SUB;
  return 2 ** exp * (1 + (sub + 0.5) / SUB);
}

/**
 * A clock reading (performance.now()) shared by every task it applies to
 * (the tasks submitted, or started, in one turn): a task holds a reference
 * rather than a number of its own, because a number field is a separate heap
 * object per task, and a backlog of tiny tasks is mostly garbage-collector
 * work (measured).
 */
export interface Moment {
  readonly time: number;
}

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
    this.#counts[bucketOf(ms)]++;
  }

  /**
   * Adds `values[start]`, `values[start + stride]`, ... (NaN entries are
   * skipped).
   */
  recordEach(values: Float64Array, start: number, stride: number): void {
    for (let i = start; i < values.length; i += stride) {
      const ms = values[i];
      if (ms === ms) this.record(ms);
    }
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
      return Math.min(this.#max, Math.max(this.#min, middleOf(i)));
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

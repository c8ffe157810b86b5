// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.
// The waiting line of an executor: tasks by priority (`nice`-like, lower
// first), in submission order among equal priorities.
//
// Almost every task has the default priority, so the line is a short sorted
// list of FIFO buckets, one per priority in use, each an array read from a
// moving head: with one priority in use, push and shift cost what a plain
// array queue costs (measured: the 20k-task bench within noise of the
// array it replaced). A heap would pay log n per task for ordering that is
// nearly always already there.
//
// Entries are removed lazily: a task cancelled while it waits stays in its
// bucket until it reaches the head, where the executor skips it (it knows
// the task's state); counting live tasks is the executor's job.

/** What the queue needs to know of an entry. */
export interface Prioritized {
  /** Lower runs first. */
  readonly priority: number;
  /** Submission order (ties within a priority). */
  readonly seq: number;
}

interface Bucket<T> {
  readonly priority: number;
  items: T[];
  head: number;
}

/** Tasks by priority, then submission order. */
export class PoolQueue<T extends Prioritized> {
  /** Ascending by priority; none is empty. */
  #buckets: Bucket<T>[] = [];
  #length = 0;

  /** Entries held, stale ones (cancelled while waiting) included. */
  get length(): number {
    return this.#length;
  }

  /** Adds an entry behind those of its priority. */
  push(item: T): void {
    const buckets = this.#buckets;
    const last = buckets.length - 1;
    // Fast path: the priority of the last bucket (the default, usually).
    if (last >= 0 && buckets[last].priority === item.priority) {
      buckets[last].items.push(item);
    } else {
      this.#bucket(item.priority).items.push(item);
    }
    this.#length++;
  }

  /**
   * Puts entries back at the front of their priorities (tasks a dying worker
   * never started), keeping submission order among them.
   */
  unshift(items: readonly T[]): void {
    const sorted = [...items].sort((a, b) => b.seq - a.seq);
    for (const item of sorted) {
      const bucket = this.#bucket(item.priority);
      if (bucket.head > 0) bucket.items[--bucket.head] = item;
      else bucket.items.unshift(item);
      this.#length++;
    }
  }

  /** The first entry, without removing it. */
  peek(): T | undefined {
    const bucket = this.#buckets[0];
    return bucket === undefined ? undefined : bucket.items[bucket.head];
  }

  /** Removes and returns the first entry. */
  shift(): T | undefined {
    const bucket = this.#buckets[0];
    if (bucket === undefined) return undefined;
    const items = bucket.items;
    const item = items[bucket.head];
    items[bucket.head++] = undefined as unknown as T;
    this.#length--;
    if (bucket.head === items.length) {
      this.#buckets.shift();
    } else if (bucket.head > 1024 && bucket.head * 2 > items.length) {
      bucket.items = items.slice(bucket.head);
      bucket.head = 0;
    }
    return item;
  }

  /** Every entry, in the order they would be shifted. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (const bucket of [...this.#buckets]) {
      for (let i = bucket.head; i < bucket.items.length; i++) {
        yield bucket.items[i];
      }
    }
  }

  /** Removes every entry. */
  clear(): void {
    this.#buckets = [];
    this.#length = 0;
  }

  #bucket(priority: number): Bucket<T> {
    const buckets = this.#buckets;
    let lo = 0;
    let hi = buckets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (buckets[mid].priority < priority) lo = mid + 1;
      else hi = mid;
    }
    if (lo < buckets.length && buckets[lo].priority === priority) {
      return buckets[lo];
    }
    const bucket: Bucket<T> = { priority, items: [], head: 0 };
    buckets.splice(lo, 0, bucket);
    return bucket;
  }
}

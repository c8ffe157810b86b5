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
  // Fast path, while every entry has the same priority: one array read from
  // a moving head (measured: a bucket list costs a million tiny tasks ~25%
  // on AsyncExecutor, where the queue is most of the work per task).
  #items: T[] = [];
  #head = 0;
  #priority = 0;
  /** Ascending by priority, none empty; in use once priorities differ. */
  #buckets: Bucket<T>[] | undefined;
  #length = 0;

  /** Entries held, stale ones (cancelled while waiting) included. */
  get length(): number {
    return this.#length;
  }

  /** Adds an entry behind those of its priority. */
  push(item: T): void {
    this.#length++;
    if (this.#buckets === undefined) {
      if (this.#head === this.#items.length) this.#priority = item.priority;
      if (item.priority === this.#priority) {
        this.#items.push(item);
        return;
      }
      this.#buckets = [{
        priority: this.#priority,
        items: this.#items.slice(this.#head),
        head: 0,
      }];
      this.#items = [];
      this.#head = 0;
    }
    this.#bucket(item.priority).items.push(item);
  }

  /**
   * Puts entries back at the front of their priorities (tasks a dying worker
   * never started), keeping submission order among them.
   */
  unshift(items: readonly T[]): void {
    for (const item of items) this.push(item);
    const all = [...this].sort((a, b) =>
      a.priority - b.priority || a.seq - b.seq
    );
    // Rare (a crash): rebuilt in order, entries put back included.
    const entries = all.filter((entry) => !items.includes(entry));
    const back = [...items].sort((a, b) => a.seq - b.seq);
    this.clear();
    const merged: T[] = [];
    for (const priority of new Set(all.map((entry) => entry.priority))) {
      for (const entry of back) {
        if (entry.priority === priority) merged.push(entry);
      }
      for (const entry of entries) {
        if (entry.priority === priority) merged.push(entry);
      }
    }
    for (const entry of merged) this.push(entry);
  }

  /** The first entry, without removing it. */
  peek(): T | undefined {
    if (this.#buckets === undefined) return this.#items[this.#head];
    const bucket = this.#buckets[0];
    return bucket === undefined ? undefined : bucket.items[bucket.head];
  }

  /** Removes and returns the first entry. */
  shift(): T | undefined {
    if (this.#buckets === undefined) {
      const items = this.#items;
      if (this.#head === items.length) return undefined;
      const item = items[this.#head];
      items[this.#head++] = undefined as unknown as T;
      this.#length--;
      if (this.#head === items.length) {
        this.#items = [];
        this.#head = 0;
      } else if (this.#head > 1024 && this.#head * 2 > items.length) {
        this.#items = items.slice(this.#head);
        this.#head = 0;
      }
      return item;
    }
    const bucket = this.#buckets[0];
    if (bucket === undefined) return undefined;
    const items = bucket.items;
    const item = items[bucket.head];
    items[bucket.head++] = undefined as unknown as T;
    this.#length--;
    if (bucket.head === items.length) {
      this.#buckets.shift();
      // Back to the fast path once a single priority is left.
      if (this.#buckets.length <= 1) {
        const last = this.#buckets[0];
        this.#items = last === undefined ? [] : last.items;
        this.#head = last === undefined ? 0 : last.head;
        if (last !== undefined) this.#priority = last.priority;
        this.#buckets = undefined;
      }
    } else if (bucket.head > 1024 && bucket.head * 2 > items.length) {
      bucket.items = items.slice(bucket.head);
      bucket.head = 0;
    }
    return item;
  }

  /** Every entry, in the order they would be shifted. */
  *[Symbol.iterator](): IterableIterator<T> {
    if (this.#buckets === undefined) {
      const items = this.#items;
      for (let i = this.#head; i < items.length; i++) yield items[i];
      return;
    }
    for (const bucket of [...this.#buckets]) {
      for (let i = bucket.head; i < bucket.items.length; i++) {
        yield bucket.items[i];
      }
    }
  }

  /** Removes every entry. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#buckets = undefined;
    this.#length = 0;
  }

  #bucket(priority: number): Bucket<T> {
    const buckets = this.#buckets!;
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

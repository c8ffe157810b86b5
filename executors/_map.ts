// Copyright 2026 the @concurrent/futures authors. MIT license.
// `Executor.map`, written once for every executor: an executor supplies a
// `MapHost` (how to run one chunk of items) and this module does the rest
// (laziness, the buffer bound, ordering, timeout, signal, clean-up).

import { TimeoutError } from "./errors.ts";
import { Future } from "./future.ts";
import type { MapOptions } from "./executor.ts";
import { type Callable, Task } from "./task.ts";
import { kOutcome } from "./_internal.ts";
import { parseMapOptions } from "./_run_options.ts";
import type { Retry } from "./_retry.ts";

/** The outcome of one item: its value or the error it failed with. */
/** The smallest default `buffersize`, in items. */
const MIN_BUFFER = 128;

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** What `map` needs from an executor. */
export interface MapHost {
  /**
   * How many tasks the executor runs at once; the default `buffersize` is
   * `2 * parallelism * chunksize`, and at least 128.
   */
  readonly parallelism: number;
  /**
   * Throws synchronously (`ExecutorShutdownError`, `BrokenExecutorError`)
   * when the executor cannot take work.
   */
  checkOpen(): void;
  /**
   * Schedules `fn` over a chunk of items as one task (one message). The
   * future's value has one `Settled` entry per item, in order, so that the
   * results before a failing item are still yielded; a failure of the whole
   * chunk (the future rejects, or is cancelled) fails each of its items.
   * Entries after the first failed one may be left out: `map` throws at the
   * first failure and never reads past it.
   * May throw synchronously (for example after shutdown): `map` then throws
   * that error at that chunk's position. With `retry`, a chunk that fails
   * as a whole (its task throws, its worker dies) runs again as a whole.
   */
  submitChunk<T, R>(
    fn: Callable<[T], R>,
    items: T[],
    retry?: Retry,
  ): Future<Settled<Awaited<R>>[]>;
  /** Whether a task submitted now would stay within `maxQueue`. */
  hasRoom?(): boolean;
  /** Resolves once {@linkcode MapHost.hasRoom} holds (the executor's `ready()`). */
  ready?(): Promise<void>;
}

/**
 * Validates the arguments (synchronously, at the call) and returns the
 * iterator of `host.map(fn, items, options)`.
 *
 * Work starts when the iteration does (the first `next()`), as with a
 * generator. Results already available are yielded even after the timeout
 * passed; the `TimeoutError` is thrown when `next()` would have to wait past
 * it (as Python's `Executor.map`).
 */
export function mapImpl<T, R>(
  host: MapHost,
  fn: Callable<[T], R>,
  items: Iterable<T> | AsyncIterable<T>,
  options?: MapOptions,
): AsyncIterableIterator<Awaited<R>> {
  if (typeof fn !== "function" && !(fn instanceof Task)) {
    throw new TypeError("'fn' must be a function or a Task");
  }
  const isAsync = typeof (items as AsyncIterable<T>)?.[Symbol.asyncIterator] ===
    "function";
  if (
    !isAsync &&
    typeof (items as Iterable<T>)?.[Symbol.iterator] !== "function"
  ) {
    throw new TypeError("'items' must be an iterable or an async iterable");
  }
  const { timeout, signal, chunksize, ordered, retry, ...parsed } =
    parseMapOptions(options);
  // At least MIN_BUFFER items in flight by default: with fewer, tiny tasks on
  // a worker pool wait a message round trip each (measured 30x slower).
  const buffersize = parsed.buffersize ??
    Math.max(2 * Math.max(1, host.parallelism) * chunksize, MIN_BUFFER);
  host.checkOpen();
  return new MapIterator<T, Awaited<R>>(
    host,
    fn as Callable<[T], Awaited<R>>,
    items,
    isAsync,
    {
      // A chunk never exceeds the buffer, so the bound always holds.
      chunksize: Math.min(chunksize, buffersize),
      buffersize,
      ordered,
      retry,
      deadline: timeout === undefined ? undefined : performance.now() + timeout,
      signal,
    },
  );
}

interface Chunk<R> {
  future: Future<Settled<R>[]>;
  size: number;
  /** Entries already handed out (ordered) or moved to `ready` (unordered). */
  taken: number;
}

interface Settings {
  chunksize: number;
  buffersize: number;
  ordered: boolean;
  retry: Retry | undefined;
  deadline: number | undefined;
  signal: AbortSignal | undefined;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

class MapIterator<T, R> implements AsyncIterableIterator<R> {
  #host: MapHost;
  #fn: Callable<[T], R>;
  #items: Iterable<T> | AsyncIterable<T>;
  #isAsync: boolean;
  #settings: Settings;
  #source: Iterator<T> | AsyncIterator<T> | undefined;
  #sourceDone = false;
  #pumping = false;
  #started = false;
  #closed = false;
  /** Items pulled and not yet yielded: the buffer `buffersize` bounds. */
  #held = 0;
  /** Chunks not fully consumed, in submission order. */
  #chunks: Chunk<R>[] = [];
  #head = 0;
  /** Unordered mode: entries of completed chunks, in completion order. */
  #ready: Settled<R>[] = [];
  #readyHead = 0;
  #waker: ((error?: { error: unknown }) => void) | undefined;
  /** An error to throw from the next `next()` (the signal fired meanwhile). */
  #pendingError: { error: unknown } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #onAbort = () => {
    const error = { error: this.#settings.signal!.reason };
    this.#close();
    if (this.#waker !== undefined) this.#waker(error);
    else this.#pendingError = error;
  };

  constructor(
    host: MapHost,
    fn: Callable<[T], R>,
    items: Iterable<T> | AsyncIterable<T>,
    isAsync: boolean,
    settings: Settings,
  ) {
    this.#host = host;
    this.#fn = fn;
    this.#items = items;
    this.#isAsync = isAsync;
    this.#settings = settings;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<R> {
    return this;
  }

  next(): Promise<IteratorResult<R>> {
    // Calls may overlap (nobody has to await one before the next): serve
    // them one at a time, in order.
    const result = this.#queue.then(() => this.#next());
    this.#queue = result.catch(() => {});
    return result;
  }

  async return(): Promise<IteratorResult<R>> {
    const closing = this.#close();
    this.#waker?.();
    await closing;
    return DONE;
  }

  async #next(): Promise<IteratorResult<R>> {
    if (this.#pendingError !== undefined) {
      const { error } = this.#pendingError;
      this.#pendingError = undefined;
      throw error;
    }
    if (this.#closed) return DONE;
    if (!this.#started) this.#start();
    while (!this.#closed) {
      this.#kick();
      const entry = this.#take();
      if (entry !== undefined) {
        if (entry.ok) return { done: false, value: entry.value };
        this.#close();
        throw entry.error;
      }
      if (this.#held === 0 && this.#sourceDone && !this.#pumping) {
        this.#close();
        return DONE;
      }
      try {
        await this.#sleep();
      } catch (error) {
        this.#close();
        throw error;
      }
    }
    return DONE;
  }

  #start(): void {
    this.#started = true;
    const signal = this.#settings.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#close();
        throw signal.reason;
      }
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  /** The next entry to yield, if one is available now. */
  #take(): Settled<R> | undefined {
    let entry: Settled<R> | undefined;
    if (this.#settings.ordered) {
      const chunk = this.#chunks[this.#head];
      if (chunk === undefined || !chunk.future.done()) return undefined;
      entry = entryOf(chunk, chunk.taken++);
      if (chunk.taken === chunk.size) {
        this.#chunks[this.#head++] = undefined as unknown as Chunk<R>;
        this.#compact();
      }
    } else {
      if (this.#readyHead === this.#ready.length) return undefined;
      entry = this.#ready[this.#readyHead];
      this.#ready[this.#readyHead++] = undefined as unknown as Settled<R>;
      if (this.#readyHead === this.#ready.length) {
        this.#ready = [];
        this.#readyHead = 0;
      }
    }
    this.#held--;
    // Room was freed: start the next work while the consumer is busy.
    this.#kick();
    return entry;
  }

  #compact(): void {
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Waits for progress: a chunk done, a chunk submitted, the source ended. */
  #sleep(): Promise<void> {
    const deadline = this.#settings.deadline;
    const remaining = deadline === undefined
      ? undefined
      : deadline - performance.now();
    if (remaining !== undefined && remaining <= 0) {
      throw new TimeoutError("map() timed out");
    }
    return new Promise<void>((resolve, reject) => {
      const timer = remaining === undefined ? undefined : setTimeout(
        () => wake({ error: new TimeoutError("map() timed out") }),
        remaining,
      );
      const wake = (error?: { error: unknown }) => {
        clearTimeout(timer);
        this.#waker = undefined;
        if (error === undefined) resolve();
        else reject(error.error);
      };
      this.#waker = wake;
    });
  }

  #wake(): void {
    this.#waker?.();
  }

  /** Starts pulling items when there is room for a chunk. */
  #kick(): void {
    if (this.#pumping || this.#sourceDone || this.#closed) return;
    // Refill in bulk, once half the buffer is free: items submitted one at a
    // time as each result is taken would each travel in a message of their
    // own to a worker (measured: 20k tiny items 3x slower).
    const { buffersize, chunksize } = this.#settings;
    const room = buffersize - this.#held;
    if (room < chunksize || (this.#held > 0 && room * 2 < buffersize)) return;
    this.#pumping = true;
    // Runs synchronously to its end for a sync iterable. It catches what the
    // source and the host throw; anything else is a bug worth surfacing.
    this.#pump().finally(() => this.#wake());
  }

  async #pump(): Promise<void> {
    try {
      await this.#fill();
    } finally {
      // Cleared synchronously when the source is sync.
      this.#pumping = false;
    }
  }

  async #fill(): Promise<void> {
    const { chunksize, buffersize } = this.#settings;
    while (
      !this.#sourceDone && !this.#closed &&
      buffersize - this.#held >= chunksize
    ) {
      const items: T[] = [];
      let failure: { error: unknown } | undefined;
      try {
        this.#source ??= this.#isAsync
          ? (this.#items as AsyncIterable<T>)[Symbol.asyncIterator]()
          : (this.#items as Iterable<T>)[Symbol.iterator]();
        while (items.length < chunksize) {
          let step = this.#source.next();
          // Only an async source costs an await; a sync one stays sync.
          if (this.#isAsync) step = await step;
          if (this.#closed) return;
          const { done, value } = step as IteratorResult<T>;
          if (done) {
            this.#sourceDone = true;
            break;
          }
          items.push(value);
          this.#held++;
        }
      } catch (error) {
        this.#sourceDone = true;
        failure = { error };
      }
      if (this.#closed) return;
      // map never throws QueueFullError: it waits for room (a rejection,
      // after shutdown, shows again as the submit's error).
      while (items.length > 0 && this.#host.hasRoom?.() === false) {
        try {
          await this.#host.ready!();
        } catch {
          break;
        }
        if (this.#closed) return;
      }
      if (items.length > 0) this.#submit(items);
      if (failure !== undefined) {
        // The source's error takes the position of the item it failed to
        // produce.
        const future = new Future<Settled<R>[]>();
        future.setException(failure.error);
        this.#held++;
        this.#addChunk(future, 1);
      }
      this.#wake();
    }
  }

  #submit(items: T[]): void {
    let future: Future<Settled<R>[]>;
    try {
      future = this.#host.submitChunk(
        this.#fn,
        items,
        this.#settings.retry,
      ) as Future<
        Settled<R>[]
      >;
    } catch (error) {
      // Shut down or broken meanwhile: fail here and pull no further.
      future = new Future();
      future.setException(error);
      this.#closeSource();
    }
    this.#addChunk(future, items.length);
  }

  #addChunk(future: Future<Settled<R>[]>, size: number): void {
    const chunk: Chunk<R> = { future, size, taken: 0 };
    this.#chunks.push(chunk);
    future.addDoneCallback(() => this.#onChunkDone(chunk));
  }

  #onChunkDone(chunk: Chunk<R>): void {
    if (this.#closed) return;
    if (!this.#settings.ordered) {
      for (let i = 0; i < chunk.size; i++) {
        this.#ready.push(entryOf(chunk, i));
      }
      chunk.taken = chunk.size;
      // Consumed chunks leave the list lazily; drop finished ones here.
      while (
        this.#head < this.#chunks.length &&
        this.#chunks[this.#head].taken === this.#chunks[this.#head].size
      ) {
        this.#chunks[this.#head++] = undefined as unknown as Chunk<R>;
      }
      this.#compact();
    }
    this.#wake();
  }

  /**
   * Ends the iteration: cancels the work still held (a running task cannot
   * be stopped; its result is dropped) and closes the source.
   */
  #close(): Promise<unknown> | undefined {
    if (this.#closed) return;
    this.#closed = true;
    this.#settings.signal?.removeEventListener("abort", this.#onAbort);
    for (let i = this.#head; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i];
      if (chunk !== undefined && !chunk.future.done()) chunk.future.cancel();
    }
    this.#chunks = [];
    this.#head = 0;
    this.#ready = [];
    this.#readyHead = 0;
    return this.#closeSource();
  }

  #closeSource(): Promise<unknown> | undefined {
    const source = this.#source;
    if (source === undefined || this.#sourceDone) return;
    this.#sourceDone = true;
    try {
      const result = source.return?.();
      if (result instanceof Promise) {
        // Whoever awaits `return()` sees its failure; nobody else must.
        result.catch(() => {});
        return result;
      }
    } catch (error) {
      const result = Promise.reject(error);
      result.catch(() => {});
      return result;
    }
  }
}

function entryOf<R>(chunk: Chunk<R>, index: number): Settled<R> {
  const outcome = chunk.future[kOutcome]()!;
  if (!outcome.ok) return outcome;
  return outcome.value[index] ??
    { ok: false, error: new TypeError(`No result for item ${index}`) };
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// The "threads" backend: what glibc's POSIX AIO does (a user-space thread
// pool doing blocking positional I/O), without one message per request. A
// few Web Workers (_threads_worker.ts) share one SharedArrayBuffer with the
// JS thread (_threads_layout.ts):
//
// - Requests started in one microtask are published together: their slot
//   numbers go into the shared request ring, then one Atomics.store of the
//   published count and, if a worker sleeps, one Atomics.notify.
// - Any worker claims the next entry (compareExchange), so a slow request
//   never holds back the ones behind it, and appends the slot to its own
//   completion ring, then bumps one global completion count. Only the first
//   EAGER workers are woken for every request; the rest (spares) sleep on a
//   word of their own and are woken only while operations are slow and
//   requests wait: more reads at a disk, no more threads on a cached file.
// - The JS thread parks one Atomics.waitAsync on that count, only while
//   operations are in flight (a pending waitAsync neither keeps the process
//   alive nor can be cancelled), and drains every completion ring when it
//   wakes, copying each read from its staging slot into the user's buffer.
//   A drain yields (setTimeout) after a few milliseconds, so a long stream
//   of completions never holds the thread for long.
//
// The workers never see a user's buffer: reads land in a staging slot and
// are copied out on completion (a buffer detached or shrunk meanwhile gets
// EFAULT, nothing more), writes are copied in when they start. Requests
// longer than a slot are split in chunks (run in parallel on a regular
// file, one after the other in append mode or on a pipe).
//
// Lifetime: Web Workers have no public unref. The workers run only while a
// file is open on the backend; between requests they are un-ref'd through
// Deno's private hook (executors/_pool_unref.ts), so an idle program exits.
// Without that hook, an un-ref'd timer stops them after a second of idleness
// and the next request starts them again. A request inside a blocking
// read cannot be stopped: close() waits for it, as for glibc's
// AIO_NOTCANCELED.

import {
  canUnref,
  setWorkerRef,
  unrefTimer,
} from "../executors/_pool_unref.ts";
import type {
  Backend,
  BackendFile,
  BackendOp,
  Completion,
} from "./_backend.ts";
import { settings } from "./_settings.ts";
import {
  CHUNK,
  completionsOf,
  DONE,
  EAGER,
  EPOCH,
  ERROR_CODES,
  F_APPEND,
  F_FLAGS,
  F_GEN,
  F_PATH_LEN,
  F_READ,
  F_SEEKABLE,
  F_WRITE,
  FILE_WORDS,
  FILES,
  type Layout,
  layoutFor,
  OP_FDATASYNC,
  OP_FSYNC,
  OP_READ,
  OP_WRITE,
  PATH_MAX,
  PUBLISHED,
  REQUESTS,
  S_ERROR,
  S_FILE,
  S_GEN,
  S_LEN,
  S_OP,
  S_RESULT,
  SLEEPERS,
  SLOT_WORDS,
  SLOTS,
  SLOW,
  SPARE,
  SPARE_SLEEPERS,
  STOP,
  WAITING,
  type WorkerStart,
} from "./_threads_layout.ts";
import { AioError } from "./aio_error.ts";

// How long one drain may hold the JS thread (the contract's ~20 ms bound).
const DRAIN_BUDGET_MS = 5;
// Without the private unref hook: stop idle workers after this long.
const IDLE_STOP_MS = 1000;
const MASK = SLOTS - 1;

/** One operation, possibly split in several slots. */
interface Job {
  readonly file: ThreadsFile;
  readonly op: number;
  readonly buffer: Uint8Array;
  readonly offset: number;
  readonly length: number;
  readonly done: Completion;
  /** Chunks one after the other (append mode, pipes), not in parallel. */
  readonly serial: boolean;
  /** Bytes handed to slots so far. */
  next: number;
  /** Slots in use. */
  outstanding: number;
  /** Serial: bytes moved so far. Parallel: unused. */
  moved: number;
  /** Parallel, more than one chunk: each chunk's result. */
  results: number[] | undefined;
  error: string | undefined;
}

class Pool {
  readonly layout: Layout;
  i32: Int32Array;
  f64: Float64Array;
  u8: Uint8Array;
  readonly workers: Worker[] = [];
  readonly #tails: number[];
  readonly #free: number[] = [];
  readonly #jobOf: (Job | undefined)[] = new Array(SLOTS).fill(undefined);
  readonly #at: Float64Array = new Float64Array(SLOTS);
  readonly #chunk: Int32Array = new Int32Array(SLOTS);
  readonly #backlog: Job[] = [];
  readonly #unpublished: number[] = [];
  readonly #freeFiles: number[] = [];
  #flushQueued = false;
  #published = 0;
  #inFlight = 0;
  #waiting = false;
  #yielding = false;
  #seen = 0;
  #refed = false;
  #files = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #failed = false;

  readonly eager: number = EAGER;

  constructor(readonly threads: number) {
    this.layout = layoutFor(threads);
    const memory = new SharedArrayBuffer(this.layout.size);
    this.i32 = new Int32Array(memory);
    this.f64 = new Float64Array(memory);
    this.u8 = new Uint8Array(memory);
    this.#tails = new Array(threads).fill(0);
    for (let slot = SLOTS - 1; slot >= 0; slot--) this.#free.push(slot);
    for (let file = FILES - 1; file >= 0; file--) this.#freeFiles.push(file);
    this.#memory = memory;
  }

  #memory: SharedArrayBuffer;

  #startWorkers(): void {
    for (let index = 0; index < this.threads; index++) {
      const worker = new Worker(WORKER_URL, {
        type: "module",
        name: `aio threads ${index}`,
      });
      const start: WorkerStart = {
        memory: this.#memory,
        workers: this.threads,
        index,
        eager: this.eager,
      };
      // A worker that fails (it could not load, say) must not take the
      // process down: the pool fails what it holds and is replaced.
      worker.addEventListener("error", (event) => {
        event.preventDefault();
        this.#fail();
      });
      worker.postMessage(start);
      this.workers.push(worker);
    }
    // One ref'd worker keeps the process alive as well as all of them: the
    // others are never ref'd, and only the first is toggled.
    for (const worker of this.workers.slice(1)) setWorkerRef(worker, false);
    this.#refed = true;
    // Started with the first file, ahead of its requests: idle until then.
    if (this.#inFlight === 0) this.#idle();
  }

  #stopWorkers(final: boolean): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.i32, STOP, 1);
    Atomics.notify(this.i32, PUBLISHED);
    Atomics.add(this.i32, SPARE, 1);
    Atomics.notify(this.i32, SPARE);
    // A worker asleep in Atomics.wait ignores terminate(); STOP ends its loop
    // and it closes itself. terminate() then frees the Worker object.
    for (const worker of this.workers) worker.terminate();
    this.workers.length = 0;
    if (final) return;
    // Workers started later get fresh memory (with the file table): one that
    // has not seen STOP yet can never touch theirs.
    const memory = new SharedArrayBuffer(this.layout.size);
    const from = this.layout.files * 4;
    new Uint8Array(memory).set(
      new Uint8Array(this.#memory, from, this.layout.staging - from),
      from,
    );
    this.#memory = memory;
    this.i32 = new Int32Array(memory);
    this.f64 = new Float64Array(memory);
    this.u8 = new Uint8Array(memory);
    this.#published = 0;
    this.#seen = 0;
    this.#tails.fill(0);
  }

  /** Registers a file in the shared file table; returns its index. */
  addFile(path: string, flags: number, dev: number, ino: number): number {
    const encoded = new TextEncoder().encode(path);
    if (encoded.byteLength > PATH_MAX) {
      throw new AioError("ENAMETOOLONG", `The path is too long: ${path}`);
    }
    const index = this.#freeFiles.pop();
    if (index === undefined) {
      throw new AioError(
        "EMFILE",
        `${FILES} files are open on the "threads" backend`,
      );
    }
    const { layout, i32, f64, u8 } = this;
    const word = layout.files + index * FILE_WORDS;
    i32[word + F_FLAGS] = flags;
    i32[word + F_PATH_LEN] = encoded.byteLength;
    u8.set(encoded, layout.paths + index * PATH_MAX);
    f64[layout.identities + 2 * index] = dev;
    f64[layout.identities + 2 * index + 1] = ino;
    Atomics.add(i32, word + F_GEN, 1);
    this.#files++;
    // Start the workers now: their start-up overlaps the caller's next steps.
    if (this.workers.length === 0) this.#startWorkers();
    return index;
  }

  /** The file's generation: operations carry it, workers check it. */
  generation(index: number): number {
    return Atomics.load(
      this.i32,
      this.layout.files + index * FILE_WORDS + F_GEN,
    );
  }

  /** Removes a file with nothing in flight; stops the workers after the last. */
  removeFile(index: number): void {
    Atomics.add(this.i32, this.layout.files + index * FILE_WORDS + F_GEN, 1);
    Atomics.add(this.i32, EPOCH, 1);
    this.#freeFiles.push(index);
    this.#files--;
    if (this.#files === 0) this.stop();
  }

  get files(): number {
    return this.#files;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#idleTimer !== undefined) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#stopWorkers(true);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  submit(job: Job): void {
    if (this.#failed) {
      job.error = "EIO";
      queueMicrotask(() => this.#finish(job));
      return;
    }
    this.#backlog.push(job);
    this.#pump();
  }

  // A worker died: no completion can be trusted to come, so every operation
  // held ends with EIO, and files opened from now on get a new pool.
  #fail(): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#stopped = true;
    this.#stopWorkers(true);
    const jobs = new Set<Job>(this.#backlog);
    for (const job of this.#jobOf) if (job !== undefined) jobs.add(job);
    this.#backlog.length = 0;
    this.#unpublished.length = 0;
    this.#jobOf.fill(undefined);
    this.#inFlight = 0;
    for (const job of jobs) {
      job.error = "EIO";
      this.#finish(job);
    }
  }

  // Hands queued chunks to free slots.
  #pump(): void {
    const backlog = this.#backlog;
    while (backlog.length > 0 && this.#free.length > 0) {
      const job = backlog[0];
      this.#issue(job);
      if (job.serial || job.next >= job.length) backlog.shift();
    }
  }

  #issue(job: Job): void {
    const length = Math.min(CHUNK, job.length - job.next);
    if (job.op === OP_WRITE && job.buffer.byteLength < job.next + length) {
      // Detached or shrunk before its bytes were copied: nothing is written.
      job.error ??= "EFAULT";
      job.next = job.length;
      if (job.outstanding === 0) {
        queueMicrotask(() => this.#finish(job));
      }
      return;
    }
    const slot = this.#free.pop()!;
    const { layout, i32 } = this;
    const base = layout.slots + slot * SLOT_WORDS;
    i32[base + S_OP] = job.op;
    i32[base + S_FILE] = job.file.index;
    i32[base + S_GEN] = job.file.gen;
    i32[base + S_LEN] = length;
    this.f64[layout.offsets + slot] = job.offset + job.next;
    if (job.op === OP_WRITE) {
      this.u8.set(
        job.buffer.subarray(job.next, job.next + length),
        layout.staging + slot * CHUNK,
      );
    }
    this.#jobOf[slot] = job;
    this.#at[slot] = job.next;
    this.#chunk[slot] = job.next / CHUNK;
    job.next += length;
    job.outstanding++;
    if (this.#inFlight++ === 0) this.#busy();
    this.#unpublished.push(slot);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flush);
    }
  }

  // Operations are in flight: the workers must keep the process alive.
  #busy(): void {
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    if (this.workers.length === 0) this.#startWorkers();
    if (!this.#refed) {
      this.#refed = true;
      setWorkerRef(this.workers[0], true);
    }
  }

  #idle(): void {
    if (this.#stopped || this.workers.length === 0) return;
    if (canUnref) {
      this.#refed = false;
      setWorkerRef(this.workers[0], false);
      return;
    }
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#inFlight === 0) this.#stopWorkers(false);
    }, IDLE_STOP_MS);
    unrefTimer(this.#idleTimer);
  }

  #flush = (): void => {
    this.#flushQueued = false;
    const unpublished = this.#unpublished;
    if (unpublished.length === 0 || this.#stopped) return;
    const { i32 } = this;
    let published = this.#published;
    for (const slot of unpublished) {
      i32[REQUESTS + (published & MASK)] = slot;
      published = (published + 1) | 0;
    }
    const count = unpublished.length;
    unpublished.length = 0;
    this.#published = published;
    Atomics.store(i32, PUBLISHED, published);
    let woken = 0;
    if (Atomics.load(i32, SLEEPERS) > 0) {
      woken = Atomics.notify(i32, PUBLISHED, count);
    }
    // More requests than idle eager workers, and the disk is slow: spares.
    if (
      woken < count && Atomics.load(i32, SLOW) !== 0 &&
      Atomics.load(i32, SPARE_SLEEPERS) > 0
    ) {
      Atomics.add(i32, SPARE, 1);
      Atomics.notify(i32, SPARE, count - woken);
    }
    this.#arm();
  };

  #arm(): void {
    if (this.#waiting || this.#yielding || this.#inFlight === 0) return;
    this.#waiting = true;
    Atomics.store(this.i32, WAITING, 1);
    // `#seen` was read before the last drain looked at the rings: any
    // completion since has changed DONE, so this cannot sleep past it.
    const result = Atomics.waitAsync(this.i32, DONE, this.#seen);
    if (result.async) result.value.then(this.#wake);
    else queueMicrotask(this.#wake);
  }

  #wake = (): void => {
    this.#waiting = false;
    Atomics.store(this.i32, WAITING, 0);
    this.#drain();
  };

  #resume = (): void => {
    this.#yielding = false;
    this.#drain();
  };

  #drain(): void {
    if (this.#stopped) return;
    const { i32 } = this;
    const deadline = performance.now() + DRAIN_BUDGET_MS;
    let count = 0;
    for (;;) {
      this.#seen = Atomics.load(i32, DONE);
      let found = false;
      for (let worker = 0; worker < this.#tails.length; worker++) {
        const ring = completionsOf(worker);
        const head = Atomics.load(i32, ring);
        let tail = this.#tails[worker];
        while (tail !== head) {
          const slot = i32[ring + 1 + (tail & MASK)];
          tail = (tail + 1) | 0;
          this.#tails[worker] = tail;
          found = true;
          this.#complete(slot);
          if ((++count & 31) === 0 && performance.now() > deadline) {
            // Let timers and other I/O run; go on in a fresh task.
            this.#yielding = true;
            setTimeout(this.#resume, 0);
            return;
          }
        }
      }
      if (!found) break;
    }
    if (this.#inFlight > 0) this.#arm();
  }

  #complete(slot: number): void {
    const job = this.#jobOf[slot]!;
    this.#jobOf[slot] = undefined;
    const { layout, i32 } = this;
    const base = layout.slots + slot * SLOT_WORDS;
    const result = i32[base + S_RESULT];
    const length = i32[base + S_LEN];
    if (result < 0) {
      job.error ??= ERROR_CODES[i32[base + S_ERROR]] ?? "EIO";
    } else if (job.op === OP_READ && result > 0) {
      const at = this.#at[slot];
      if (job.buffer.byteLength < at + result) {
        // Detached or shrunk while in flight: the bytes have nowhere to go.
        job.error ??= "EFAULT";
      } else {
        const start = layout.staging + slot * CHUNK;
        job.buffer.set(this.u8.subarray(start, start + result), at);
      }
    }
    const chunk = this.#chunk[slot];
    this.#free.push(slot);
    this.#inFlight--;
    job.outstanding--;
    if (job.serial) {
      if (result > 0) job.moved += result;
      if (
        job.error === undefined && result === length && job.next < job.length
      ) {
        this.#backlog.push(job);
      } else {
        job.next = job.length;
        this.#finish(job);
      }
    } else {
      if (job.results !== undefined) job.results[chunk] = result;
      else job.moved = result;
      if (job.outstanding === 0 && job.next >= job.length) this.#finish(job);
    }
    this.#pump();
    if (this.#inFlight === 0) this.#idle();
  }

  #finish(job: Job): void {
    let bytes = job.moved;
    if (job.results !== undefined) {
      bytes = 0;
      for (let chunk = 0; chunk < job.results.length; chunk++) {
        const result = job.results[chunk];
        bytes += result;
        // A short chunk is the end of the file: the ones after read nothing.
        if (result < Math.min(CHUNK, job.length - chunk * CHUNK)) break;
      }
    }
    job.file.ended();
    if (job.error !== undefined) job.done(-1, job.error);
    else job.done(bytes);
  }
}

let pool: Pool | undefined;

function acquirePool(): Pool {
  if (pool === undefined || pool.stopped) pool = new Pool(settings.threads);
  return pool;
}

const OPS: Record<BackendOp["opcode"], number> = {
  read: OP_READ,
  write: OP_WRITE,
  fsync: OP_FSYNC,
  fdatasync: OP_FDATASYNC,
};

class ThreadsFile implements BackendFile {
  readonly #pool: Pool;
  readonly #first: Deno.FsFile;
  readonly index: number;
  readonly gen: number;
  readonly #seekable: boolean;
  readonly #append: boolean;
  #active = 0;
  #closing = false;
  #drained: PromiseWithResolvers<void> | undefined;
  #closed: Promise<void> | undefined;
  // A pipe has no positions: one operation at a time keeps them in order.
  #queue: Job[] = [];

  constructor(
    pool: Pool,
    first: Deno.FsFile,
    index: number,
    seekable: boolean,
    append: boolean,
  ) {
    this.#pool = pool;
    this.#first = first;
    this.index = index;
    this.gen = pool.generation(index);
    this.#seekable = seekable;
    this.#append = append;
  }

  start(op: BackendOp, done: Completion): void {
    if (this.#closing) {
      queueMicrotask(() => done(-1, "EBADF"));
      return;
    }
    const length = op.opcode === "read" || op.opcode === "write"
      ? op.buffer.byteLength
      : 0;
    const serial = !this.#seekable || (this.#append && op.opcode === "write");
    const job: Job = {
      file: this,
      op: OPS[op.opcode],
      buffer: op.buffer,
      offset: op.offset,
      length,
      done,
      serial,
      next: 0,
      outstanding: 0,
      moved: 0,
      results: !serial && length > CHUNK
        ? new Array(Math.ceil(length / CHUNK)).fill(0)
        : undefined,
      error: undefined,
    };
    this.#active++;
    if (!this.#seekable && this.#active > 1) {
      this.#queue.push(job);
      return;
    }
    this.#pool.submit(job);
  }

  /** An operation ended (its completion runs right after). */
  ended(): void {
    this.#active--;
    const next = this.#queue.shift();
    if (next !== undefined) this.#pool.submit(next);
    if (this.#active === 0) this.#drained?.resolve();
  }

  close(): Promise<void> {
    this.#closing = true;
    this.#closed ??= (async () => {
      if (this.#active > 0) {
        this.#drained = Promise.withResolvers();
        await this.#drained.promise;
      }
      this.#first.close();
      this.#pool.removeFile(this.index);
    })();
    return this.#closed;
  }
}

function isSeekable(file: Deno.FsFile): boolean {
  try {
    file.seekSync(0, Deno.SeekMode.Current);
    return true;
  } catch {
    return false;
  }
}

async function realPath(path: string | URL): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    // No read permission, say: the identity check still guards the reopen.
    return typeof path === "string" ? path : decodeURIComponent(path.pathname);
  }
}

const WORKER_URL = new URL("./_threads_worker.ts", import.meta.url);

/**
 * The backend, once it is known to be able to run here.
 *
 * @throws {AioError} `ENOSYS` when it cannot: no Web Workers, shared memory
 * or `Atomics.waitAsync`, or no read permission for its worker module.
 */
export function threadsBackend(): Backend {
  if (
    typeof Worker !== "function" || typeof SharedArrayBuffer !== "function" ||
    typeof Atomics.waitAsync !== "function"
  ) {
    throw new AioError(
      "ENOSYS",
      'The "threads" backend needs Web Workers, SharedArrayBuffer and Atomics.waitAsync',
    );
  }
  if (WORKER_URL.protocol === "file:") {
    let state = "granted";
    try {
      state = Deno.permissions.querySync({ name: "read", path: WORKER_URL })
        .state;
    } catch {
      // No permissions API: let the worker try.
    }
    if (state !== "granted") {
      throw new AioError(
        "ENOSYS",
        `The "threads" backend's workers load ${
          decodeURIComponent(WORKER_URL.pathname)
        }: run with --allow-read for it`,
      );
    }
  }
  return backend;
}

/** A pool of Web Workers doing blocking I/O, fed through shared memory. */
const backend: Backend = {
  name: "threads",
  async open(
    path: string | URL,
    options: Deno.OpenOptions,
    _queueDepth: number,
  ): Promise<BackendFile> {
    // The first handle applies create/truncate/mode once; the workers open
    // their own handles with the access flags only. It stays open so the
    // file stays the same one while it is in use.
    const first = await Deno.open(path, options);
    try {
      const { dev, ino } = first.statSync();
      const seekable = isSeekable(first);
      const resolved = await realPath(path);
      const append = options.append ?? false;
      const flags = (options.read ? F_READ : 0) |
        (options.write ? F_WRITE : 0) | (append ? F_APPEND | F_WRITE : 0) |
        (seekable ? F_SEEKABLE : 0);
      const current = acquirePool();
      const index = current.addFile(resolved, flags, dev, ino ?? -1);
      return new ThreadsFile(current, first, index, seekable, append);
    } catch (error) {
      first.close();
      throw error;
    }
  },
};

/** Test hook: how many I/O workers run now. */
export function runningWorkers(): number {
  return pool === undefined || pool.stopped ? 0 : pool.workers.length;
}

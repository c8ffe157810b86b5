// Copyright 2026 the @concurrent/futures authors. MIT license.
// One io_uring instance driven from JavaScript: setup and mmap, the
// submission queue (filled on the JS thread, entered once per microtask), the
// completion queue (read straight from the mapped memory on the JS thread), and
// the one wait that parks on Deno's blocking pool while requests are in the
// kernel.
//
// The wait is `io_uring_enter(GETEVENTS, min_complete 1)` as a `nonblocking`
// FFI call. It must never outlive the work: when the ring goes idle while it is
// parked, a NOP (WAKE) is submitted to end it, so that a program with nothing
// pending exits and a test ends without a pending op. The JS thread never reaps
// past the WAKE completion while the wait is out: a wait that has not yet
// entered the kernel would otherwise find nothing to return for and sleep
// forever; left in the ring, the WAKE completion makes it return at once.
// For the same reason the JS thread leaves the last pending completion to the
// wait: the ring goes idle only once the wait has returned, so the caller
// never sees its last request end while the wait is still out (a test would
// end with the wait pending), and the WAKE is rarely needed.

import {
  CQE,
  errno,
  errnoName,
  IO_URING_OP_SUPPORTED,
  IORING_ENTER_GETEVENTS,
  IORING_FEAT_SINGLE_MMAP,
  IORING_OFF_SQ_RING,
  IORING_OFF_SQES,
  IORING_OP_ASYNC_CANCEL,
  IORING_OP_NOP,
  IORING_REGISTER_PROBE,
  type Libc,
  MAP_FAILED,
  MAP_POPULATE,
  MAP_SHARED,
  openLibc,
  PARAMS,
  PROBE,
  PROT_READ,
  PROT_WRITE,
  REQUIRED_OPS,
  SQE,
  strerror,
  SYS_IO_URING_ENTER,
  SYS_IO_URING_REGISTER,
  SYS_IO_URING_SETUP,
} from "./_libc.ts";

const TWO_32 = 2 ** 32;
const EINTR = 4;
const EAGAIN = 11;
const EBUSY = 16;
const ECANCELED = 125;
// user_data low words that are not request slots.
const WAKE = 0xffffffff;
const INTERNAL = 0xfffffffe;
// A slot's generation goes in the user_data high word, so that a late
// ASYNC_CANCEL aimed at an ended request cannot hit the slot's next tenant.
const GENERATIONS = 0x100000;
// CQ slots only internal requests (ASYNC_CANCEL, WAKE) may take: a ring full
// of requests that never end by themselves (reads on a FIFO) can still be
// cancelled.
const RESERVED = 16;
// Fairness: cached reads complete inside io_uring_enter, so a stream of them
// (each completion queueing the next) would run as one chain of microtasks,
// and no timer or other I/O would run until it ended. After SLICE_MS of such
// work the JS thread pauses: it leaves the completions in the CQ for
// PAUSE_US, a sleep on Deno's blocking pool. A wait on the ring would not
// do: it returns at once when completions are ready, and Deno's runtime runs
// due timers and polls sockets only when it parks, which an op already
// complete gives it no reason to do. Work goes in batches of at most BATCH
// requests and BATCH_BYTES (a cached 1 MiB read copies for ~100 µs inside
// io_uring_enter, and as long again out of staging), so a slice overruns by
// a millisecond or so. The slice is as long as the fairness budget (about
// 20 ms) allows: on a loaded machine a pause costs 1-3 ms of scheduling
// delay (the sleep hands the CPU to the pool thread and back), which at 10
// ms slices was 5-20% of a cached QD16 run (measured at load average 8-11
// on 2 CPUs) and the main source of its run-to-run swing that fio, which
// never pauses, does not have.
const SLICE_MS = 15;
const PAUSE_US = 50;
const BATCH = 32;
const BATCH_BYTES = 4 << 20;

/** An error from a system call, with its errno number and POSIX name. */
export class SyscallError extends Error {
  /** The errno number. */
  readonly errno: number;

  /**
   * @param call What failed, e.g. `"io_uring_setup"`.
   * @param errnoValue The errno number.
   */
  constructor(call: string, errnoValue: number) {
    super(`${call}: ${strerror(errnoValue)} (${errnoName(errnoValue)})`);
    this.name = "SyscallError";
    this.errno = errnoValue;
  }
}

/** Called once with the request's `res`: bytes or a value >= 0, or -errno. */
export type RingCompletion = (res: number) => void;

/** A submission that found no room in the rings yet. */
interface Pending {
  lo: number;
  hi: number;
  opcode: number;
  fd: number;
  offset: number;
  addr: number;
  len: number;
  opFlags: number;
}

/** The fields of one request, as the kernel reads them from the SQE. */
export interface RingRequest {
  /** `IORING_OP_*`. */
  opcode: number;
  /** The file descriptor (or `AT_FDCWD` for `OPENAT`). */
  fd: number;
  /** The file offset (`off`), an integer >= 0. */
  offset: number;
  /** The buffer (or path) address, 0 when there is none. */
  addr: number;
  /** `len`: bytes, or the mode for `OPENAT`. */
  len: number;
  /** `rw_flags` / `fsync_flags` / `open_flags`. */
  opFlags: number;
}

/** An io_uring instance. */
export class Ring {
  readonly #lib: Libc;
  readonly #fd: number;
  readonly #mappings: [Deno.PointerObject, number][];
  // The shared ring memory and the SQE array, as 32-bit words.
  readonly #u32: Uint32Array;
  readonly #i32: Int32Array;
  readonly #sqes: Uint32Array;
  readonly #sqHead: number;
  readonly #sqTail: number;
  readonly #sqMask: number;
  readonly #sqEntries: number;
  readonly #cqHead: number;
  readonly #cqTail: number;
  readonly #cqMask: number;
  readonly #cqEntries: number;
  readonly #cqes: number;
  #tail = 0; // our SQ tail, published at submit
  #head = 0; // our CQ head
  #inKernel = 0; // SQEs written and not yet reaped (CQ room accounting)
  #pending = 0; // caller requests not yet completed
  readonly #handlers: (RingCompletion | undefined)[] = [];
  readonly #generations: number[] = [];
  readonly #free: number[] = [];
  readonly #backlog: Pending[] = [];
  readonly #internalBacklog: Pending[] = [];
  #flushScheduled = false;
  #waiting: Promise<void> | null = null;
  #wakeInFlight = false;
  #closed = false;
  // When the current slice of completion work began, and the last flush ended.
  #sliceStart = 0;
  #lastFlush = -Infinity;
  // The fairness pause, while it lasts: nothing is reaped, no wait armed.
  #pausing: Promise<void> | null = null;
  readonly #flush = () => this.#flushNow();

  /**
   * Sets up a ring with `entries` submission slots (twice as many completion
   * slots) and maps it.
   *
   * @param entries A power of two, at least 2.
   * @throws {SyscallError} When the kernel refuses (`ENOSYS`, `EPERM`, ...).
   */
  constructor(entries = 256) {
    const lib = this.#lib = openLibc();
    const params = new Uint8Array(PARAMS.size);
    const fd = lib.setup(SYS_IO_URING_SETUP, entries, params);
    if (fd < 0) throw new SyscallError("io_uring_setup", errno());
    this.#fd = fd;
    this.#mappings = [];
    try {
      const p = new DataView(params.buffer);
      const u32 = (offset: number) => p.getUint32(offset, true);
      if (!(u32(PARAMS.features) & IORING_FEAT_SINGLE_MMAP)) {
        throw new SyscallError(
          "io_uring_setup (no IORING_FEAT_SINGLE_MMAP)",
          38,
        );
      }
      const sqEntries = u32(PARAMS.sqEntries);
      const cqEntries = u32(PARAMS.cqEntries);
      const ringSize = Math.max(
        u32(PARAMS.sqArray) + sqEntries * 4,
        u32(PARAMS.cqCqes) + cqEntries * CQE.size,
      );
      const ring = this.#map(ringSize, IORING_OFF_SQ_RING);
      const sqes = this.#map(sqEntries * SQE.size, IORING_OFF_SQES);
      this.#u32 = new Uint32Array(ring);
      this.#i32 = new Int32Array(ring);
      this.#sqes = new Uint32Array(sqes);
      this.#sqHead = u32(PARAMS.sqHead) / 4;
      this.#sqTail = u32(PARAMS.sqTail) / 4;
      this.#sqMask = this.#u32[u32(PARAMS.sqRingMask) / 4];
      this.#sqEntries = sqEntries;
      this.#cqHead = u32(PARAMS.cqHead) / 4;
      this.#cqTail = u32(PARAMS.cqTail) / 4;
      this.#cqMask = this.#u32[u32(PARAMS.cqRingMask) / 4];
      this.#cqEntries = cqEntries;
      this.#cqes = u32(PARAMS.cqCqes) / 4;
      // SQE i always sits in array slot i: the indirection is not used.
      const array = u32(PARAMS.sqArray) / 4;
      for (let i = 0; i < sqEntries; i++) this.#u32[array + i] = i;
      this.#tail = this.#u32[this.#sqTail];
      this.#head = this.#u32[this.#cqHead];
    } catch (error) {
      this.#unmap();
      throw error;
    }
  }

  #map(size: number, offset: number): ArrayBuffer {
    const ptr = this.#lib.mmap(
      null,
      BigInt(size),
      PROT_READ | PROT_WRITE,
      MAP_SHARED | MAP_POPULATE,
      this.#fd,
      BigInt(offset),
    );
    // MAP_FAILED is (void *) -1.
    if (ptr === null || Deno.UnsafePointer.value(ptr) === MAP_FAILED) {
      throw new SyscallError("mmap", errno());
    }
    this.#mappings.push([ptr, size]);
    return Deno.UnsafePointerView.getArrayBuffer(ptr, size);
  }

  #unmap(): void {
    for (const [ptr, size] of this.#mappings) {
      this.#lib.munmap(ptr, BigInt(size));
    }
    this.#mappings.length = 0;
    this.#lib.close(this.#fd);
  }

  /**
   * The opcodes this backend needs that the kernel lacks (`IORING_REGISTER_
   * PROBE`), or `undefined` when the kernel cannot tell (before Linux 5.6).
   */
  unsupported(): string[] | undefined {
    const probe = new Uint8Array(PROBE.header + PROBE.ops * PROBE.opSize);
    const r = this.#lib.register(
      SYS_IO_URING_REGISTER,
      this.#fd,
      IORING_REGISTER_PROBE,
      probe,
      PROBE.ops,
    );
    if (r < 0) return undefined;
    const lastOp = probe[0];
    return Object.entries(REQUIRED_OPS)
      .filter(([, op]) =>
        op > lastOp ||
        !(probe[PROBE.header + op * PROBE.opSize + 2] & IO_URING_OP_SUPPORTED)
      )
      .map(([name]) => name);
  }

  /** Requests submitted and not yet completed. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Queues a request; it enters the kernel with the others queued in the same
   * microtask, in one `io_uring_enter`. `done` is called exactly once, never
   * synchronously, with the kernel's `res`. Whatever `addr` points to must
   * stay alive and in place until then.
   *
   * @returns A token for {@linkcode Ring.cancel}.
   */
  submit(request: RingRequest, done: RingCompletion): number {
    if (this.#closed) throw new Error("io_uring instance is closed");
    const slot = this.#free.pop() ?? this.#handlers.length;
    const gen = ((this.#generations[slot] ?? 0) + 1) % GENERATIONS;
    this.#generations[slot] = gen;
    this.#handlers[slot] = done;
    this.#pending++;
    this.#queue(
      slot,
      gen,
      request.opcode,
      request.fd,
      request.offset,
      request.addr,
      request.len,
      request.opFlags,
    );
    return slot + gen * TWO_32;
  }

  /**
   * Asks the kernel to cancel a request (`IORING_OP_ASYNC_CANCEL`). It still
   * completes through its callback: with `-ECANCELED` if it was stopped, else
   * with its own result. A request still waiting for ring space ends with
   * `-ECANCELED` at once (in the next flush).
   */
  cancel(token: number): void {
    const slot = token % TWO_32;
    const gen = (token - slot) / TWO_32;
    if (this.#generations[slot] !== gen || !this.#handlers[slot]) return;
    const queued = this.#backlog.findIndex((p) =>
      p.lo === slot && p.hi === gen
    );
    if (queued >= 0) {
      this.#backlog.splice(queued, 1);
      queueMicrotask(() => {
        this.#complete(slot, gen, -ECANCELED);
        this.#rearm();
      });
      return;
    }
    this.#queue(INTERNAL, 0, IORING_OP_ASYNC_CANCEL, -1, 0, token, 0, 0);
  }

  #queue(
    lo: number,
    hi: number,
    opcode: number,
    fd: number,
    offset: number,
    addr: number,
    len: number,
    opFlags: number,
  ): void {
    const backlog = lo >= INTERNAL ? this.#internalBacklog : this.#backlog;
    if (
      backlog.length > 0 ||
      !this.#write(lo, hi, opcode, fd, offset, addr, len, opFlags)
    ) {
      backlog.push({ lo, hi, opcode, fd, offset, addr, len, opFlags });
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
  }

  // Writes one SQE if both rings have room for it (the CQ must never
  // overflow: every SQE in the kernel has a CQ slot waiting for it).
  #write(
    lo: number,
    hi: number,
    opcode: number,
    fd: number,
    offset: number,
    addr: number,
    len: number,
    opFlags: number,
  ): boolean {
    const kernelHead = Atomics.load(this.#u32, this.#sqHead);
    const cqRoom = lo >= INTERNAL
      ? this.#cqEntries
      : this.#cqEntries - Math.min(RESERVED, this.#cqEntries >> 2);
    if (
      this.#inKernel >= cqRoom ||
      ((this.#tail - kernelHead) >>> 0) >= this.#sqEntries
    ) return false;
    const s = this.#sqes;
    const w = (this.#tail & this.#sqMask) * SQE.words;
    s[w] = opcode; // flags 0, ioprio 0
    s[w + 1] = fd;
    s[w + 2] = offset >>> 0;
    s[w + 3] = Math.floor(offset / TWO_32);
    s[w + 4] = addr >>> 0;
    s[w + 5] = Math.floor(addr / TWO_32);
    s[w + 6] = len;
    s[w + 7] = opFlags;
    s[w + 8] = lo;
    s[w + 9] = hi;
    s[w + 10] = 0;
    s[w + 11] = 0;
    s[w + 12] = 0;
    s[w + 13] = 0;
    s[w + 14] = 0;
    s[w + 15] = 0;
    this.#tail = (this.#tail + 1) >>> 0;
    this.#inKernel++;
    return true;
  }

  #flushNow(fresh = false): void {
    this.#flushScheduled = false;
    if (this.#mappings.length === 0) return;
    let now = performance.now();
    // A new slice starts after a turn of the event loop (a wait or a pause
    // ended) or a break in the ring's work (the thread was free for others).
    if (fresh || now - this.#lastFlush > SLICE_MS) this.#sliceStart = now;
    for (;;) {
      this.#drain(this.#internalBacklog);
      this.#drain(this.#backlog);
      if (this.#pausing !== null || now - this.#sliceStart > SLICE_MS) {
        // Past the slice: the rest waits for the pause to end, unless there
        // can be none; then submit what is written all the same, since a
        // request must not wait on a wait that may never return.
        if (!this.#pause()) this.#enter();
        break;
      }
      const submitted = this.#enter(this.#batch());
      // Cached reads often complete inside io_uring_enter: reap them now.
      const reaped = this.#reap();
      // The completions may have queued requests (the next of a queue), and
      // freed room for the backlog: submit those now, in this same pass,
      // rather than arming a wait that would then hold their completions.
      if (
        submitted + reaped === 0 ||
        (this.#unsubmitted() === 0 &&
          this.#backlog.length + this.#internalBacklog.length === 0 &&
          Atomics.load(this.#u32, this.#cqTail) === this.#head)
      ) break;
      now = performance.now();
    }
    this.#lastFlush = performance.now();
    this.#rearm();
  }

  // Lets the event loop run (see SLICE_MS). Returns whether a flush comes
  // soon: after the pause, or the one scheduled. Not while a wait is out:
  // that wait ends the slice instead, at the next completion (a turn that
  // may not run the timers; the next slice's pause will), and as it may
  // never return (a read on an idle FIFO), the caller submits at once.
  #pause(): boolean {
    if (this.#pausing !== null || this.#flushScheduled) return true;
    if (this.#waiting !== null || this.#pending === 0) return false;
    this.#pausing = this.#lib.sleep(PAUSE_US).then(() => {
      this.#pausing = null;
      this.#flushNow(true);
    });
    return true;
  }

  // How many of the unsubmitted SQEs make one batch (see BATCH_BYTES).
  #batch(): number {
    const sqes = this.#sqes;
    let head = Atomics.load(this.#u32, this.#sqHead);
    let n = 0;
    let bytes = 0;
    while (head !== this.#tail && n < BATCH && bytes < BATCH_BYTES) {
      // The len word: bytes for READ and WRITE, small for the others.
      bytes += sqes[(head & this.#sqMask) * SQE.words + 6];
      head = (head + 1) >>> 0;
      n++;
    }
    return n;
  }

  #unsubmitted(): number {
    return (this.#tail - Atomics.load(this.#u32, this.#sqHead)) >>> 0;
  }

  // Moves waiting submissions into the SQ while there is room.
  #drain(backlog: Pending[]): void {
    let n = 0;
    while (n < backlog.length) {
      const p = backlog[n];
      if (
        !this.#write(
          p.lo,
          p.hi,
          p.opcode,
          p.fd,
          p.offset,
          p.addr,
          p.len,
          p.opFlags,
        )
      ) break;
      n++;
    }
    if (n > 0) backlog.splice(0, n);
  }

  // Publishes the SQ tail and submits what is written, at most `max` SQEs
  // (a batch of cached reads runs inside the call). Returns how many SQEs
  // the kernel took.
  #enter(max = Infinity): number {
    let submitted = 0;
    for (;;) {
      const toSubmit = Math.min(this.#unsubmitted(), max - submitted);
      if (toSubmit <= 0) return submitted;
      Atomics.store(this.#u32, this.#sqTail, this.#tail);
      const n = this.#lib.enter(
        SYS_IO_URING_ENTER,
        this.#fd,
        toSubmit,
        0,
        0,
        null,
        0n,
      );
      if (n > 0) {
        submitted += n;
        continue;
      }
      if (n === 0) return submitted; // retried at the next completion
      const e = errno();
      if (e === EINTR) continue;
      if (e === EAGAIN || e === EBUSY) return submitted; // likewise
      this.#failUnsubmitted(e);
      return submitted;
    }
  }

  // A submission error that retrying cannot fix: the SQEs the kernel did not
  // take are taken back and their requests fail with that errno.
  #failUnsubmitted(e: number): void {
    const kernelHead = Atomics.load(this.#u32, this.#sqHead);
    const failed: [number, number][] = [];
    while (this.#tail !== kernelHead) {
      this.#tail = (this.#tail - 1) >>> 0;
      this.#inKernel--;
      const w = (this.#tail & this.#sqMask) * SQE.words;
      const lo = this.#sqes[w + 8];
      if (lo === WAKE) this.#wakeInFlight = false;
      else if (lo !== INTERNAL) failed.push([lo, this.#sqes[w + 9]]);
    }
    Atomics.store(this.#u32, this.#sqTail, this.#tail);
    queueMicrotask(() => {
      for (const [lo, hi] of failed.reverse()) this.#complete(lo, hi, -e);
      this.#rearm();
    });
  }

  // Reads one batch of the CQ on this thread (see BATCH_BYTES). Stops at a
  // WAKE completion while the wait is out (see the header).
  #reap(): number {
    const u32 = this.#u32;
    const tail = Atomics.load(u32, this.#cqTail);
    let head = this.#head;
    if (head === tail) return 0;
    const start = head;
    const done: number[] = [];
    let bytes = 0;
    while (head !== tail && done.length < 3 * BATCH && bytes < BATCH_BYTES) {
      const w = this.#cqes + (head & this.#cqMask) * CQE.words;
      const lo = u32[w];
      if (lo === WAKE) {
        if (this.#waiting !== null) break;
        this.#wakeInFlight = false;
      } else if (lo !== INTERNAL) {
        // The last pending completion is left for the wait to return on, so
        // the ring only goes idle once the wait has ended.
        if (this.#waiting !== null && this.#pending === done.length / 3 + 1) {
          break;
        }
        const res = this.#i32[w + 2];
        done.push(lo, u32[w + 1], res);
        if (res > 0) bytes += res;
      }
      head = (head + 1) >>> 0;
      this.#inKernel--;
    }
    this.#head = head;
    Atomics.store(u32, this.#cqHead, head);
    for (let i = 0; i < done.length; i += 3) {
      this.#complete(done[i], done[i + 1], done[i + 2]);
    }
    return (head - start) >>> 0;
  }

  #complete(slot: number, gen: number, res: number): void {
    const handler = this.#handlers[slot];
    if (handler === undefined || this.#generations[slot] !== gen) return;
    this.#handlers[slot] = undefined;
    this.#free.push(slot);
    this.#pending--;
    try {
      handler(res);
    } catch (error) {
      reportError(error);
    }
  }

  // Keeps exactly one wait out while requests are in the kernel, and ends it
  // when none are.
  #rearm(): void {
    // The pause's end flushes and rearms.
    if (this.#mappings.length === 0 || this.#pausing !== null) return;
    if (this.#pending > 0) {
      // A flush still to run submits first and rearms after.
      if (this.#waiting === null && !this.#flushScheduled) this.#wait();
    } else if (this.#waiting !== null && !this.#wakeInFlight) {
      this.#wake();
    }
  }

  #wait(): void {
    this.#waiting = this.#lib.enterWait(
      SYS_IO_URING_ENTER,
      this.#fd,
      0,
      1,
      IORING_ENTER_GETEVENTS,
      null,
      0n,
    ).then(() => {
      // Whatever it returned (a count, or -1 for EINTR), the CQ tells.
      this.#waiting = null;
      this.#flushNow(true);
    });
  }

  #wake(): void {
    this.#wakeInFlight = true;
    if (!this.#write(WAKE, 0, IORING_OP_NOP, -1, 0, 0, 0, 0)) {
      // No room means completions are waiting: the wait returns anyway.
      this.#wakeInFlight = false;
      return;
    }
    this.#enter();
  }

  /**
   * Ends the wait and unmaps the ring. Call it once no request is pending.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#waiting !== null || this.#pausing !== null) {
      if (this.#waiting === null) await this.#pausing;
      else {
        if (!this.#wakeInFlight) this.#wake();
        await this.#waiting;
      }
    }
    this.#unmap();
  }
}

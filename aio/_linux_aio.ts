// Copyright 2026 the @concurrent/futures authors. MIT license.
// One kernel AIO context driven from JavaScript through raw system calls:
// io_setup, io_submit, io_cancel, io_destroy (and io_getevents where the
// completion ring cannot be read directly). No libaio.
//
// Submission: requests queued in one microtask go to the kernel together,
// in io_submit calls of at most BATCH iocbs and BATCH_BYTES. Each request
// has its own iocb in memory that never moves (chunks of CHUNK iocbs), so
// that io_cancel, which finds a request by its iocb's address, can name it.
//
// Completion: the kernel writes io_events into a ring mapped in this
// process (at the address io_setup returns, as libaio and fio's userspace
// reap read it), so the JS thread reaps it without a system call. Every
// iocb carries IOCB_FLAG_RESFD, so each completion also counts on an
// eventfd; while requests are in the kernel, one poll(2) on that eventfd
// waits on Deno's blocking pool. The JS thread empties the eventfd only just
// before it arms that wait (a count left from completions it reaped itself
// would end the wait at once), and ends a wait that is no longer needed by
// writing to it, so a program with nothing pending exits. As in _uring.ts,
// the JS thread leaves the last pending completion to the wait: the context
// goes idle only once the wait has returned, so a test never ends with the
// wait still out.
//
// Buffered I/O: without O_DIRECT the kernel reads and writes inside
// io_submit itself (only direct I/O is asynchronous in kernel AIO), so a
// batch's copying happens on the JS thread; the batches and the fairness
// slices below keep the event loop from being held for long.

import {
  AIO_RING,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  errno,
  errnoName,
  IO_EVENT,
  IOCB,
  IOCB_FLAG_RESFD,
  type Libc,
  openLibc,
  POLLIN,
  SYS_IO_CANCEL,
  SYS_IO_DESTROY,
  SYS_IO_GETEVENTS,
  SYS_IO_SETUP,
  SYS_IO_SUBMIT,
} from "./_libc.ts";
import { SyscallError } from "./_uring.ts";

const TWO_32 = 2 ** 32;
const EINTR = 4;
const EAGAIN = 11;
const ECANCELED = 125;
// A slot's generation goes in aio_data's high word, so that a completion
// or cancel aimed at an ended request cannot reach the slot's next tenant.
const GENERATIONS = 0x100000;
// iocbs per chunk of iocb memory (64 bytes each).
const CHUNK = 256;
// Fairness, as in _uring.ts: after SLICE_MS of completion work the JS thread
// sleeps PAUSE_US on Deno's blocking pool, which lets the event loop run
// timers and other I/O. Buffered reads copy inside io_submit, so a batch is
// at most BATCH requests and BATCH_BYTES.
const SLICE_MS = 15;
const PAUSE_US = 50;
const BATCH = 32;
const BATCH_BYTES = 4 << 20;

/** Called once with the request's `res`: bytes or a value >= 0, or -errno. */
export type AioCompletion = (res: number) => void;

/** The fields of one request, as the kernel reads them from the iocb. */
export interface AioRequestFields {
  /** `IOCB_CMD_*`. */
  opcode: number;
  /** The file descriptor. */
  fd: number;
  /** The file offset, an integer >= 0. */
  offset: number;
  /** The buffer address (for `IOCB_CMD_POLL`, the poll events). */
  addr: number;
  /** Bytes to move. */
  len: number;
}

/** A kernel AIO context. */
export class AioContext {
  readonly #lib: Libc;
  readonly #ctx: bigint;
  readonly #efd: number;
  // The completion ring, read on this thread; undefined when its layout is
  // not the one known here (then io_getevents with a zero timeout).
  readonly #ring: Uint32Array | undefined;
  readonly #ringInt: Int32Array | undefined;
  readonly #ringNr: number;
  readonly #capacity: number;
  readonly #events = new Int32Array(BATCH * 3 * IO_EVENT.words);
  readonly #zeroTimeout = new BigInt64Array(2);
  readonly #pollfd = new Uint8Array(8);
  readonly #counter = new Uint8Array(8);
  readonly #one = new Uint8Array(new BigUint64Array([1n]).buffer);
  readonly #cancelResult = new Uint8Array(IO_EVENT.size);
  // iocb memory: slot s is word (s % CHUNK) * 16 of chunk s / CHUNK.
  readonly #chunks: Uint32Array[] = [];
  readonly #chunkAddrs: number[] = [];
  readonly #iocbpp = new Uint32Array(BATCH * 2);
  readonly #handlers: (AioCompletion | undefined)[] = [];
  readonly #generations: number[] = [];
  readonly #free: number[] = [];
  // Slots written and not yet submitted, in order; #backlogHead is the next.
  #backlog: number[] = [];
  #backlogHead = 0;
  #inKernel = 0;
  #pending = 0;
  #flushScheduled = false;
  #waiting: Promise<void> | null = null;
  #wakeSent = false;
  #closed = false;
  #destroyed = false;
  #sliceStart = 0;
  #lastFlush = -Infinity;
  #pausing: Promise<void> | null = null;
  readonly #flush = () => this.#flushNow();

  /**
   * Sets up a context for `events` requests in flight at once.
   *
   * @throws {SyscallError} When the kernel refuses (`ENOSYS`, `EAGAIN` past
   * fs.aio-max-nr, `EPERM`, ...).
   */
  constructor(events = 256) {
    const lib = this.#lib = openLibc();
    const out = new BigUint64Array(1);
    if (lib.ioSetup(SYS_IO_SETUP, events, new Uint8Array(out.buffer)) < 0) {
      throw new SyscallError("io_setup", errno());
    }
    this.#ctx = out[0];
    this.#capacity = events;
    const efd = lib.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) {
      const e = errno();
      lib.ioDestroy(SYS_IO_DESTROY, this.#ctx);
      throw new SyscallError("eventfd", e);
    }
    this.#efd = efd;
    // struct pollfd: fd (int), events (short), revents (short).
    new DataView(this.#pollfd.buffer).setInt32(0, efd, true);
    new DataView(this.#pollfd.buffer).setInt16(4, POLLIN, true);
    // The ring's header, then (if it is the layout known here) all of it.
    const ptr = Deno.UnsafePointer.create(this.#ctx);
    const header = new Uint32Array(
      Deno.UnsafePointerView.getArrayBuffer(ptr!, AIO_RING.header),
    );
    if (
      header[AIO_RING.magic] === AIO_RING.MAGIC &&
      header[AIO_RING.incompat] === 0
    ) {
      this.#ringNr = header[AIO_RING.nr];
      const size = AIO_RING.header + this.#ringNr * IO_EVENT.size;
      const buffer = Deno.UnsafePointerView.getArrayBuffer(ptr!, size);
      this.#ring = new Uint32Array(buffer);
      this.#ringInt = new Int32Array(buffer);
    } else {
      this.#ringNr = 0;
    }
  }

  /** Requests submitted and not yet completed. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Queues a request; it enters the kernel with the others queued in the same
   * microtask. `done` is called exactly once, never synchronously, with the
   * kernel's `res`. Whatever `addr` points to must stay alive and in place
   * until then.
   *
   * @returns A token for {@linkcode AioContext.cancel}.
   */
  submit(request: AioRequestFields, done: AioCompletion): number {
    if (this.#closed) throw new Error("kernel AIO context is closed");
    const slot = this.#free.pop() ?? this.#grow();
    const gen = ((this.#generations[slot] ?? 0) + 1) % GENERATIONS;
    this.#generations[slot] = gen;
    this.#handlers[slot] = done;
    this.#pending++;
    const iocb = this.#chunks[(slot / CHUNK) | 0];
    const w = (slot % CHUNK) * IOCB.words;
    const { offset, addr, len } = request;
    iocb[w] = slot;
    iocb[w + 1] = gen;
    iocb[w + 2] = 0;
    iocb[w + 3] = 0;
    iocb[w + 4] = request.opcode;
    iocb[w + 5] = request.fd;
    iocb[w + 6] = addr >>> 0;
    iocb[w + 7] = Math.floor(addr / TWO_32);
    iocb[w + 8] = len >>> 0;
    iocb[w + 9] = Math.floor(len / TWO_32);
    iocb[w + 10] = offset >>> 0;
    iocb[w + 11] = Math.floor(offset / TWO_32);
    iocb[w + 12] = 0;
    iocb[w + 13] = 0;
    iocb[w + 14] = IOCB_FLAG_RESFD;
    iocb[w + 15] = this.#efd;
    this.#backlog.push(slot);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
    }
    return slot + gen * TWO_32;
  }

  // A new slot, with a new chunk of iocb memory every CHUNK slots.
  #grow(): number {
    const slot = this.#handlers.length;
    if (slot % CHUNK === 0) {
      const chunk = new Uint32Array(CHUNK * IOCB.words);
      this.#chunks.push(chunk);
      this.#chunkAddrs.push(
        Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(chunk))),
      );
    }
    this.#handlers.push(undefined);
    return slot;
  }

  #iocbAddress(slot: number): number {
    return this.#chunkAddrs[(slot / CHUNK) | 0] + (slot % CHUNK) * IOCB.size;
  }

  /**
   * Asks the kernel to cancel a request (`io_cancel`). A request not yet
   * submitted ends with `-ECANCELED` (in a microtask). In the kernel, only
   * some requests can be cancelled (a poll can; a read or write of a file
   * cannot): one that can completes through its callback as the kernel says
   * (a cancelled poll with 0, no events); the others end by themselves.
   */
  cancel(token: number): void {
    const slot = token % TWO_32;
    const gen = (token - slot) / TWO_32;
    if (this.#generations[slot] !== gen || !this.#handlers[slot]) return;
    const queued = this.#backlog.indexOf(slot, this.#backlogHead);
    if (queued >= 0) {
      this.#backlog.splice(queued, 1);
      queueMicrotask(() => {
        this.#complete(slot, gen, -ECANCELED);
        this.#rearm();
      });
      return;
    }
    // EINPROGRESS: the cancelled request's event comes through the ring.
    // EINVAL: the request cannot be cancelled (or it has just completed).
    this.#lib.ioCancel(
      SYS_IO_CANCEL,
      this.#ctx,
      BigInt(this.#iocbAddress(slot)),
      this.#cancelResult,
    );
  }

  #flushNow(fresh = false): void {
    this.#flushScheduled = false;
    if (this.#destroyed) return;
    let now = performance.now();
    if (fresh || now - this.#lastFlush > SLICE_MS) this.#sliceStart = now;
    for (;;) {
      if (this.#pausing !== null || now - this.#sliceStart > SLICE_MS) {
        // Past the slice: the rest waits for the pause to end, unless there
        // can be none (see _uring.ts); then submit all the same.
        if (!this.#pause()) this.#submitBatch();
        break;
      }
      const submitted = this.#submitBatch();
      const reaped = this.#reap();
      if (
        submitted + reaped === 0 ||
        (this.#backlog.length === this.#backlogHead && !this.#ready())
      ) break;
      now = performance.now();
    }
    this.#lastFlush = performance.now();
    this.#rearm();
  }

  #pause(): boolean {
    if (this.#pausing !== null || this.#flushScheduled) return true;
    if (this.#waiting !== null || this.#pending === 0) return false;
    this.#pausing = this.#lib.sleep(PAUSE_US).then(() => {
      this.#pausing = null;
      this.#flushNow(true);
    });
    return true;
  }

  // Submits one batch from the backlog; returns how many the kernel took
  // or refused (a refused request ends with its errno).
  #submitBatch(): number {
    const backlog = this.#backlog;
    let head = this.#backlogHead;
    let n = 0;
    let bytes = 0;
    const pp = this.#iocbpp;
    while (
      head + n < backlog.length && n < BATCH && bytes < BATCH_BYTES &&
      this.#inKernel + n < this.#capacity
    ) {
      const slot = backlog[head + n];
      const chunk = this.#chunks[(slot / CHUNK) | 0];
      bytes += chunk[(slot % CHUNK) * IOCB.words + 8];
      const addr = this.#iocbAddress(slot);
      pp[2 * n] = addr >>> 0;
      pp[2 * n + 1] = Math.floor(addr / TWO_32);
      n++;
    }
    let done = 0;
    while (done < n) {
      const r = this.#lib.ioSubmit(
        SYS_IO_SUBMIT,
        this.#ctx,
        BigInt(n - done),
        pp.subarray(2 * done),
      );
      if (r > 0) {
        done += r;
        this.#inKernel += r;
        continue;
      }
      const e = r === 0 ? EAGAIN : errno();
      if (e === EINTR) continue;
      if (e === EAGAIN) break; // retried at the next completion
      // The first iocb left was refused: it ends with that errno.
      const slot = backlog[head + done];
      this.#complete(slot, this.#generations[slot], -e);
      done++;
    }
    head += done;
    if (head === backlog.length) {
      this.#backlog = [];
      this.#backlogHead = 0;
    } else if (head > 1024) {
      this.#backlog = backlog.slice(head);
      this.#backlogHead = 0;
    } else {
      this.#backlogHead = head;
    }
    return done;
  }

  // Whether completions are waiting in the ring.
  #ready(): boolean {
    const ring = this.#ring;
    if (ring === undefined) return this.#inKernel > 0;
    return Atomics.load(ring, AIO_RING.tail) !== ring[AIO_RING.head];
  }

  // Reaps at most a batch of completions on this thread. While the wait is
  // out, leaves the last pending one for it (see the header).
  #reap(): number {
    const ring = this.#ring;
    if (ring === undefined) return this.#reapSyscall();
    const nr = this.#ringNr;
    const tail = Atomics.load(ring, AIO_RING.tail);
    let head = ring[AIO_RING.head];
    if (head === tail) return 0;
    const ints = this.#ringInt!;
    const done: number[] = [];
    let bytes = 0;
    while (head !== tail && done.length < 3 * BATCH && bytes < BATCH_BYTES) {
      if (this.#waiting !== null && this.#pending === done.length / 3 + 1) {
        break;
      }
      const w = (AIO_RING.header >> 2) + head * IO_EVENT.words;
      const res = ints[w + 4];
      done.push(ring[w], ring[w + 1], res);
      if (res > 0) bytes += res;
      head = head + 1 === nr ? 0 : head + 1;
    }
    Atomics.store(ring, AIO_RING.head, head);
    this.#inKernel -= done.length / 3;
    for (let i = 0; i < done.length; i += 3) {
      this.#complete(done[i], done[i + 1], done[i + 2]);
    }
    return done.length / 3;
  }

  // io_getevents with a zero timeout, where the ring is not readable here.
  #reapSyscall(): number {
    if (this.#inKernel === 0) return 0;
    let max = Math.min(BATCH, this.#inKernel);
    if (this.#waiting !== null) max = Math.min(max, this.#pending - 1);
    if (max <= 0) return 0;
    const n = this.#lib.ioGetevents(
      SYS_IO_GETEVENTS,
      this.#ctx,
      0n,
      BigInt(max),
      this.#events,
      this.#zeroTimeout,
    );
    if (n <= 0) return 0;
    const ev = this.#events;
    this.#inKernel -= n;
    for (let i = 0; i < n; i++) {
      const w = i * IO_EVENT.words;
      this.#complete(ev[w] >>> 0, ev[w + 1] >>> 0, ev[w + 4]);
    }
    return n;
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
    if (this.#destroyed || this.#pausing !== null) return;
    if (this.#pending > 0) {
      if (this.#waiting === null && !this.#flushScheduled) this.#wait();
    } else if (this.#waiting !== null && !this.#wakeSent) {
      this.#wake();
    }
  }

  #wait(): void {
    // Empty the eventfd: completions reaped on this thread counted there.
    this.#lib.read(this.#efd, this.#counter, 8n);
    if (this.#ready()) {
      // Something came in meanwhile: a flush, not a wait, handles it.
      this.#flushScheduled = true;
      queueMicrotask(this.#flush);
      return;
    }
    this.#wakeSent = false;
    this.#waiting = this.#lib.pollWait(this.#pollfd, 1n, -1).then(() => {
      this.#waiting = null;
      this.#flushNow(true);
    });
  }

  #wake(): void {
    this.#wakeSent = true;
    this.#lib.write(this.#efd, this.#one, 8n);
  }

  /**
   * Ends the wait, then destroys the context (`io_destroy` waits for
   * whatever is still in the kernel). Call it once no request is pending.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#waiting !== null || this.#pausing !== null) {
      if (this.#waiting === null) await this.#pausing;
      else {
        if (!this.#wakeSent) this.#wake();
        await this.#waiting;
      }
    }
    this.#destroyed = true;
    this.#lib.ioDestroy(SYS_IO_DESTROY, this.#ctx);
    this.#lib.close(this.#efd);
  }
}

/** The message for a refused io_setup, for `ENOSYS` reasons. */
export function setupRefusalMessage(error: SyscallError): string {
  const why = error.message;
  switch (errnoName(error.errno)) {
    case "ENOSYS":
      return `${why}; the kernel is built without CONFIG_AIO, or a sandbox ` +
        "such as gVisor does not provide it";
    case "EPERM":
    case "EACCES":
      return `${why}; a seccomp profile blocks the kernel AIO system calls`;
    case "EAGAIN":
      return `${why}; the system-wide limit fs.aio-max-nr is reached`;
    default:
      return why;
  }
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// One worker as the pool sees it: its channel (a Web Worker or a child
// process, see _channel.ts), its task slots, the tasks it holds, and the
// batch of tasks being gathered for it this turn.

import {
  type FnDef,
  MODE_ATTEMPT,
  MSG_ABORT,
  MSG_INIT,
  MSG_RUN,
  SHARED_LENGTH,
  SLOT_COUNT,
  SLOT_FREE,
  SLOT_REVOKED,
  SLOT_SENT,
  TASK_STRIDE,
  type WorkerMessage,
} from "./_protocol.ts";
import type { WorkerLoad } from "./_pool_dispatch.ts";
import { type PoolTask, RUNNING, SENT } from "./_pool_task.ts";
import {
  type ChannelFactory,
  type SpawnOptions,
  webWorkerChannel,
  type WorkerChannel,
} from "./_channel.ts";

export type { SpawnOptions };

/** How the pool hears from a worker. */
export interface WorkerListener {
  onMessage(worker: PoolWorker, message: WorkerMessage): void;
  /** The worker died without saying why (an error event, a bad message). */
  onError(worker: PoolWorker, error: unknown): void;
}

/** A slot whose task was revoked: taken until the worker answers for it. */
const REVOKED = Symbol("revoked");

/**
 * A slot whose task was stopped while it ran: the task left the pool's
 * books, but the worker is busy with it until it answers (the task ended
 * within `stopGrace`) or the grace is over (the worker is then stopped).
 */
class Stopped {
  constructor(
    readonly cost: number,
    readonly timer: ReturnType<typeof setTimeout>,
  ) {}
}

/**
 * Estimated work (ms) a worker without shared slots may hold for the task
 * it runs before it is sent one more (the one the contract lets count as
 * running before it starts). Beyond it, that task would wait long enough
 * to time out or be stopped, which kills the worker (it cannot be revoked).
 */
const UNSHARED_AHEAD_MS = 2;

/** The host side of one worker. */
export class PoolWorker implements WorkerLoad {
  readonly channel: WorkerChannel;
  readonly name: string;
  /** Set once the runtime has started and the initializer succeeded. */
  ready = false;
  /** Its clock's zero minus the pool's (ms), known once ready. */
  clockOffset = 0;
  /** Set once terminated or crashed; its messages are ignored from then on. */
  dead = false;
  /** Tasks ever sent (for `maxTasksPerWorker`). */
  sent = 0;
  /** The most tasks it may ever be sent. */
  readonly quota: number;
  /** Live tasks it holds (SENT or RUNNING). */
  inFlight = 0;
  /** Tasks it holds that count as running. */
  running = 0;
  /** When it last became idle (performance.now()). */
  idleSince = performance.now();
  readonly #slots: Int32Array;
  /** The abort flags, one per slot (see _protocol.ts). */
  readonly #aborts: Int32Array;
  readonly #concurrency: number;
  /** Without shared slots: the order each slot's task was sent in. */
  readonly #sentAt: number[] | undefined;
  readonly #tasks: (PoolTask | Stopped | typeof REVOKED | undefined)[];
  readonly #free: number[] = [];
  /** Known cost (ms) of the live tasks, and how many have unknown cost. */
  #known = 0;
  #unknown = 0;
  /** Tasks in the order sent, for promotion to running. */
  #order: PoolTask[] = [];
  #orderHead = 0;
  /** Functions this worker has been sent. */
  readonly #defined = new Set<number>();
  #batch: unknown[] | undefined;
  #batchDefs: FnDef[] | undefined;
  #batchTasks: PoolTask[] = [];
  #batchTransfer: Transferable[] | undefined;

  constructor(
    options: SpawnOptions,
    quota: number,
    listener: WorkerListener,
    channel: ChannelFactory = webWorkerChannel,
  ) {
    this.name = options.name;
    this.quota = quota;
    this.#concurrency = options.concurrency;
    const buffer = new SharedArrayBuffer(SHARED_LENGTH * 4);
    this.#slots = new Int32Array(buffer, 0, SLOT_COUNT);
    this.#aborts = new Int32Array(buffer, SLOT_COUNT * 4, SLOT_COUNT);
    this.#tasks = new Array(SLOT_COUNT);
    for (let i = SLOT_COUNT - 1; i >= 0; i--) this.#free.push(i);
    this.channel = channel(options, {
      onMessage: (message) => {
        if (!this.dead) listener.onMessage(this, message);
      },
      onError: (error) => {
        if (!this.dead) listener.onError(this, error);
      },
    });
    if (!this.channel.sharedSlots && this.channel.revoke === undefined) {
      this.#sentAt = new Array(SLOT_COUNT);
    }
    try {
      this.channel.post({
        t: MSG_INIT,
        slots: buffer,
        concurrency: options.concurrency,
        init: options.init,
        initargs: options.initargs,
      }, []);
    } catch (error) {
      this.terminate();
      throw error;
    }
  }

  /** Estimated ms of work it holds (Infinity when a cost is unknown). */
  get ahead(): number {
    return this.#unknown > 0 ? Infinity : this.#known;
  }

  /** Whether it is being sent tasks in this turn. */
  get filling(): boolean {
    return this.#batch !== undefined;
  }

  /** Whether half or fewer of its slots are free. */
  get crowded(): boolean {
    return this.#free.length * 2 <= SLOT_COUNT;
  }

  /**
   * The worker this one replaces, started early (while that one runs its
   * last task before `maxTasksPerWorker` retires it): this one takes no
   * task until that one is gone, so no more tasks than `maxWorkers` run.
   */
  replaces: PoolWorker | undefined = undefined;

  /** Whether it can be sent another task. */
  get accepting(): boolean {
    if (this.replaces !== undefined) {
      if (!this.replaces.dead) return false;
      this.replaces = undefined;
    }
    if (this.dead || this.#free.length === 0 || this.sent >= this.quota) {
      return false;
    }
    if (this.#sentAt === undefined) return true;
    // Unshared slots: nothing it could start unseen beyond one task more
    // than it runs at once, and that one only behind short work.
    return this.inFlight < this.#concurrency ||
      (this.inFlight === this.#concurrency &&
        this.ahead <= UNSHARED_AHEAD_MS);
  }

  /**
   * Adds a task to this turn's batch. Returns whether it counts as running
   * (it does while fewer than `runningLimit` tasks here do, or when
   * `running` says it already does), else it is sent ahead; the pool's
   * ledger records which.
   */
  assign(
    task: PoolTask,
    def: (id: number) => FnDef,
    runningLimit: number,
    running: boolean,
  ): boolean {
    // Held while any slot is taken: the pool waits for the worker's answer.
    if (this.#free.length === SLOT_COUNT) this.channel.setRef(true);
    const slot = this.#free.pop()!;
    this.#tasks[slot] = task;
    if (this.#sentAt !== undefined) this.#sentAt[slot] = this.sent;
    Atomics.store(this.#slots, slot, SLOT_SENT);
    task.worker = this;
    task.slot = slot;
    if (task.cost === Infinity) this.#unknown++;
    else this.#known += task.cost;
    this.inFlight++;
    this.sent++;
    this.#order.push(task);
    if (!this.#defined.has(task.fnId)) {
      this.#defined.add(task.fnId);
      (this.#batchDefs ??= []).push(def(task.fnId));
    }
    const extra = task.extra;
    (this.#batch ??= []).push(
      slot,
      task.fnId,
      extra === undefined
        ? task.mode
        : task.mode + (extra.firstAttempt + extra.run - 2) * MODE_ATTEMPT,
      task.args,
    );
    this.#batchTasks.push(task);
    if (task.transfer !== undefined) {
      (this.#batchTransfer ??= []).push(...task.transfer);
    }
    if (running || this.running < runningLimit) {
      this.running++;
      return true;
    }
    return false;
  }

  /**
   * Sends this turn's batch in one message. Returns the tasks that could not
   * be sent, with the error (an argument that cannot be cloned); they are no
   * longer on this worker.
   */
  flush(): [PoolTask, unknown][] {
    const tasks = this.#batch;
    if (tasks === undefined) return [];
    const batchTasks = this.#batchTasks;
    const defs = this.#batchDefs;
    const transfer = this.#batchTransfer;
    this.#batch = this.#batchDefs = this.#batchTransfer = undefined;
    this.#batchTasks = [];
    const failures: [PoolTask, unknown][] = [];
    try {
      this.channel.post({ t: MSG_RUN, defs, tasks }, transfer ?? []);
    } catch {
      // Some task cannot be cloned: send them one by one to find which.
      let pendingDefs = defs;
      for (let i = 0; i < batchTasks.length; i++) {
        const task = batchTasks[i];
        try {
          this.channel.post({
            t: MSG_RUN,
            defs: pendingDefs,
            tasks: tasks.slice(i * TASK_STRIDE, (i + 1) * TASK_STRIDE),
          }, task.transfer ?? []);
          pendingDefs = undefined;
        } catch (error) {
          this.#release(task.slot);
          this.#detach(task);
          failures.push([task, error]);
        }
      }
      // No message went through: the worker has not seen these functions.
      for (const [id] of pendingDefs ?? []) this.#defined.delete(id);
    }
    for (const task of batchTasks) {
      // Moved objects now belong to the worker: a task that carried some
      // cannot be sent again should the worker die.
      if (task.transfer !== undefined) {
        task.transfer = undefined;
        task.moved = true;
      }
    }
    return failures;
  }

  /**
   * Takes back a task the worker has not started (revoke wins the race with
   * the worker's claim). Returns `false` when the worker has started it.
   */
  revoke(task: PoolTask): boolean {
    const slot = task.slot;
    if (this.#sentAt !== undefined) {
      // No shared slot to settle the race: a live worker may have started
      // any task it holds. Once it is dead, those sent after the first
      // `concurrency` still held never started (it starts them in order).
      if (!this.dead || this.#mayHaveStarted(slot)) return false;
    } else if (
      this.channel.sharedSlots
        ? Atomics.compareExchange(
          this.#slots,
          slot,
          SLOT_SENT,
          SLOT_REVOKED,
        ) !==
          SLOT_SENT
        : !this.channel.revoke!(slot)
    ) {
      return false;
    }
    // The slot stays taken until the worker answers SKIPPED for it.
    this.#tasks[slot] = REVOKED;
    this.#detach(task);
    return true;
  }

  /**
   * Frees the slot the worker answered for; returns its task, or undefined
   * when the task had been revoked or stopped.
   */
  answer(slot: number): PoolTask | undefined {
    const task = this.#tasks[slot];
    this.#release(slot);
    if (task === REVOKED || task === undefined) return undefined;
    if (task instanceof Stopped) {
      // The stopped task ended by itself: the worker is free of it.
      clearTimeout(task.timer);
      this.#unload(task.cost, true);
      return undefined;
    }
    this.#detach(task);
    return task;
  }

  /** The live task in `slot`, if any (for its progress). */
  taskAt(slot: number): PoolTask | undefined {
    const task = this.#tasks[slot];
    return task === REVOKED || task instanceof Stopped ? undefined : task;
  }

  /**
   * Stops a task it has started: its signal aborts (at once through the
   * shared flag, and its abort event runs when the worker gets the message),
   * and the task leaves this worker's live tasks, though the worker stays
   * busy with it until it answers. After `grace` ms without an answer,
   * `graceOver` is called (the pool then stops the worker). The caller
   * takes the task out of its books after this call.
   *
   * @param task A task this worker started.
   * @param kind ABORT_CANCEL or ABORT_TIMEOUT.
   * @param message The message of the error its future settles with.
   * @param grace Milliseconds it may take to end by itself (> 0).
   * @param graceOver Called when it did not.
   */
  stop(
    task: PoolTask,
    kind: number,
    message: string,
    grace: number,
    graceOver: (worker: PoolWorker) => void,
  ): void {
    const slot = task.slot;
    const running = task.state === RUNNING;
    // Counted as running from now on, whatever the pool had counted.
    if (!running) this.running++;
    const timer = setTimeout(() => {
      if (!this.dead) graceOver(this);
    }, grace);
    this.#tasks[slot] = new Stopped(task.cost, timer);
    task.worker = undefined;
    task.slot = -1;
    Atomics.store(this.#aborts, slot, kind);
    try {
      this.channel.post({ t: MSG_ABORT, slot, kind, message }, []);
    } catch {
      // Cannot happen (strings and numbers clone); the flag is set anyway.
    }
  }

  /** The next task sent ahead and still pending, in the order sent. */
  nextPending(): PoolTask | undefined {
    const order = this.#order;
    // Tasks before the head are running or gone: they never become pending.
    while (this.#orderHead < order.length) {
      const task = order[this.#orderHead];
      if (task.worker === this && task.state === SENT) {
        if (this.#orderHead > 1024 && this.#orderHead * 2 > order.length) {
          this.#order = order.slice(this.#orderHead);
          this.#orderHead = 0;
        }
        return task;
      }
      this.#orderHead++;
    }
    this.#order = [];
    this.#orderHead = 0;
    return undefined;
  }

  /** The live tasks, in the order they were submitted. */
  live(): PoolTask[] {
    const tasks: PoolTask[] = [];
    for (const task of this.#tasks) {
      if (
        task !== undefined && task !== REVOKED && !(task instanceof Stopped)
      ) {
        tasks.push(task);
      }
    }
    return tasks.sort((a, b) => a.seq - b.seq);
  }

  /** Ends the worker at once. */
  terminate(): void {
    this.dead = true;
    for (const task of this.#tasks) {
      if (task instanceof Stopped) clearTimeout(task.timer);
    }
    this.channel.terminate();
  }

  /** Whether fewer than `concurrency` tasks held were sent before this one. */
  #mayHaveStarted(slot: number): boolean {
    const sentAt = this.#sentAt!;
    let before = 0;
    for (let i = 0; i < SLOT_COUNT; i++) {
      const task = this.#tasks[i];
      if (task === undefined || task === REVOKED) continue;
      if (sentAt[i] < sentAt[slot]) before++;
    }
    return before < this.#concurrency;
  }

  #release(slot: number): void {
    this.#tasks[slot] = undefined;
    Atomics.store(this.#slots, slot, SLOT_FREE);
    this.#free.push(slot);
    // Nothing to wait for: an idle worker must not keep the process alive.
    if (this.#free.length === SLOT_COUNT && !this.dead) {
      this.channel.setRef(false);
    }
  }

  #detach(task: PoolTask): void {
    task.worker = undefined;
    task.slot = -1;
    this.#unload(task.cost, task.state === RUNNING);
  }

  /** A task left: its estimated cost, and its place among those running. */
  #unload(cost: number, running: boolean): void {
    if (cost === Infinity) this.#unknown--;
    else this.#known -= cost;
    if (running) this.running--;
    this.inFlight--;
    if (this.inFlight === 0) {
      this.#known = 0;
      this.idleSince = performance.now();
      this.#order = [];
      this.#orderHead = 0;
    }
  }
}

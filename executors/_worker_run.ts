// Copyright 2026 the @concurrent/futures authors. MIT license.
// One run of a task inside a worker (thread or child process), as the task
// sees it through `currentTask()`: its attempt (from the task's mode bits),
// its progress (sent only when the caller asked for it) and its signal.
//
// The signal must turn aborted for code that never yields: the pool writes
// the slot's abort flag in memory shared with the worker, and the signal's
// own `aborted` getter reads it (a plain AbortSignal could only learn of the
// stop from a message, which a busy loop never receives). The abort event is
// dispatched when the pool's MSG_ABORT arrives, that is when the worker next
// gets a turn. A child process shares no memory: there the message sets the
// flag (in the child's own buffer) and dispatches the event at once.

import type { TaskContext } from "./task_context.ts";
import {
  ABORT_NONE,
  ABORT_TIMEOUT,
  MODE_ATTEMPT,
  MODE_PROGRESS,
} from "./_protocol.ts";
import { CancelledError, TimeoutError } from "./errors.ts";

/** What a run needs from the worker runtime. */
export interface RunHost {
  /** The abort flags, one per slot. */
  readonly aborts: Int32Array;
  /** Queues the run's latest progress value to be sent. */
  report(run: WorkerRun): void;
}

// The native getters: the runtime's own `abort()` asks `aborted` whether
// the signal was aborted already, which the shared flag must not answer.
const nativeAborted = Object.getOwnPropertyDescriptor(
  AbortSignal.prototype,
  "aborted",
)!.get!;
const nativeReason = Object.getOwnPropertyDescriptor(
  AbortSignal.prototype,
  "reason",
)!.get!;

function reasonOf(kind: number, message: string | undefined): Error {
  return kind === ABORT_TIMEOUT
    ? new TimeoutError(message ?? "The task timed out")
    : new CancelledError(message);
}

/** The context of one run: what `currentTask()` returns while it runs. */
export class WorkerRun implements TaskContext {
  /** The latest progress value not sent yet (when `queued`). */
  latest: unknown = undefined;
  /** Whether it waits in the runtime's list of progress to send. */
  queued = false;
  #ended = false;
  #reason: Error | undefined = undefined;
  #signal: AbortSignal | undefined = undefined;
  #controller: AbortController | undefined = undefined;
  /** Set while the signal dispatches its abort (see nativeAborted). */
  #aborting = false;

  /**
   * @param slot The task's slot on this worker.
   * @param mode The task's mode bits (see _protocol.ts).
   * @param host The runtime.
   */
  constructor(
    readonly slot: number,
    readonly mode: number,
    readonly host: RunHost,
  ) {}

  /** 1 on the first run, 2 on the first retry, ... */
  get attempt(): number {
    return Math.floor(this.mode / MODE_ATTEMPT) + 1;
  }

  /** Whether the run was stopped: read from shared memory while it runs. */
  get aborted(): boolean {
    if (this.#reason !== undefined) return true;
    if (this.#ended) return false;
    return Atomics.load(this.host.aborts, this.slot) !== ABORT_NONE;
  }

  /** The error the stopped run's future settled with, else undefined. */
  get reason(): Error | undefined {
    if (this.#reason === undefined && !this.#ended) {
      const kind = Atomics.load(this.host.aborts, this.slot);
      if (kind !== ABORT_NONE) this.#reason = reasonOf(kind, undefined);
    }
    return this.#reason;
  }

  /** Aborted when the run is stopped (see the top of this file). */
  get signal(): AbortSignal {
    let signal = this.#signal;
    if (signal !== undefined) return signal;
    const controller = new AbortController();
    signal = controller.signal;
    // deno-lint-ignore no-this-alias
    const run = this;
    const native = signal;
    Object.defineProperties(signal, {
      aborted: {
        get: () =>
          nativeAborted.call(native) || (!run.#aborting && run.aborted),
        configurable: true,
      },
      reason: {
        get: () => run.#aborting ? nativeReason.call(native) : run.reason,
        configurable: true,
      },
      throwIfAborted: {
        value(): void {
          if (run.aborted) throw run.reason;
        },
        configurable: true,
      },
    });
    this.#controller = controller;
    this.#signal = signal;
    if (this.#reason !== undefined && !this.#ended) {
      this.#aborting = true;
      controller.abort(this.#reason);
      this.#aborting = false;
    }
    return signal;
  }

  /**
   * Sends `value` to the caller's `onProgress` (dropped when the caller
   * gave none, or once the run was stopped or ended).
   */
  progress(value: unknown): void {
    if ((this.mode & MODE_PROGRESS) === 0 || this.#ended || this.aborted) {
      return;
    }
    this.latest = value;
    this.host.report(this);
  }

  /** The pool stopped the run: the signal aborts now (its event runs). */
  abort(kind: number, message: string | undefined): void {
    if (this.#ended) return;
    this.#reason ??= reasonOf(kind, message);
    if (this.#controller === undefined) return;
    this.#aborting = true;
    try {
      this.#controller.abort(this.#reason);
    } finally {
      this.#aborting = false;
    }
  }

  /** The run ended: its signal keeps the state it had. */
  end(): void {
    if (this.#ended) return;
    // A stop seen in shared memory stays seen.
    const kind = Atomics.load(this.host.aborts, this.slot);
    if (kind !== ABORT_NONE) this.#reason ??= reasonOf(kind, undefined);
    this.#ended = true;
  }
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// The wire between a WorkerPoolExecutor and its workers: the one place the
// message shapes and the shared task-state layout are defined. Imported by
// both sides (worker_pool_executor.ts and _worker.ts).
//
// Throughput shapes the format: a postMessage costs ~10 µs and a round trip
// ~50 µs, while cloning one small task costs well under 1 µs. So tasks travel
// in batches (one RUN message carries every task a worker gets in one turn of
// the host's event loop) and results come back in batches (one DONE message
// per run of the worker's loop, or per millisecond of a long run). Batches are
// flat arrays: cloning one array of N*4 values is cheaper than cloning N
// small objects.
//
// Cancelling a task that was sent ahead must not need a message (the worker
// may be busy in a long synchronous loop): every worker shares an Int32Array
// of task slots with the pool. A task takes a free slot when it is sent
// (SENT); the worker claims it with compareExchange(SENT → STARTED) before
// it calls the function, and the pool revokes it with compareExchange(SENT →
// REVOKED). Exactly one of the two wins, so a task is either run or
// cancelled, never both. A slot is reused only after the worker has answered
// for it (a result, or SKIPPED for a revoked task).

/** Slot states in the shared Int32Array. */
export const SLOT_FREE = 0;
/** The task is on its way or waiting in the worker. */
export const SLOT_SENT = 1;
/** The worker has started the task. */
export const SLOT_STARTED = 2;
/** The pool took the task back (cancelled, timed out, or moved). */
export const SLOT_REVOKED = 3;

/** Slots per worker: the most tasks a worker may hold unanswered. */
export const SLOT_COUNT = 1024;

// The same SharedArrayBuffer holds, after the SLOT_COUNT slot states, one
// abort flag per slot: the pool writes it when it stops the task running in
// that slot, and the task's `signal.aborted` reads it, so that a loop that
// never yields sees its stop at once. The worker clears the flag before it
// claims a task in that slot; the pool writes it only once the task was
// claimed, and the slot is not reused before the worker answered for it.

/** Int32s in the shared buffer: slot states, then abort flags. */
export const SHARED_LENGTH = SLOT_COUNT * 2;
/** Abort flag: the task runs on. */
export const ABORT_NONE = 0;
/** Abort flag: the task was cancelled (its signal's reason: CancelledError). */
export const ABORT_CANCEL = 1;
/** Abort flag: the task timed out (its signal's reason: TimeoutError). */
export const ABORT_TIMEOUT = 2;

/** Host → worker: set up (sent first, once). */
export const MSG_INIT = 0;
/** Host → worker: a batch of tasks. */
export const MSG_RUN = 1;
/** Worker → host: the runtime is up and the initializer (if any) succeeded. */
export const MSG_READY = 2;
/** Worker → host: a batch of results. */
export const MSG_DONE = 3;
/** Worker → host: the initializer failed; the pool is broken. */
export const MSG_INIT_FAILED = 4;
/**
 * Worker → host: an error escaped every task (an uncaught exception or an
 * unhandled rejection); the pool replaces the worker.
 */
export const MSG_FATAL = 5;
/** Worker → host: the worker is about to close (`self.close()`, `Deno.exit()`). */
export const MSG_CLOSING = 6;
/**
 * Host → worker: the task in `slot` was stopped; its signal aborts now (the
 * flag in shared memory said so already where there is shared memory).
 */
export const MSG_ABORT = 7;
/** Worker → host: progress values reported by running tasks. */
export const MSG_PROGRESS = 8;

/**
 * How a worker finds a function: by source text, or by module URL and export
 * name. Sent once per worker and function; tasks then name it by `id`.
 */
export type FnDef =
  | [id: number, source: string]
  | [id: number, module: string, exportName: string];

/**
 * Task modes: bit 0 says call or chunk, bit 1 whether the caller takes
 * progress, and the rest (mode / MODE_ATTEMPT) is the attempt number minus
 * one, so that a task's options cost nothing on the wire.
 */
export const MODE_CALL = 0;
/** Apply the function to each item of `args` (a `map` chunk). */
export const MODE_CHUNK = 1;
/** The caller takes progress values (`onProgress`). */
export const MODE_PROGRESS = 2;
/** The attempt number's unit in a mode (attempt 1 adds nothing). */
export const MODE_ATTEMPT = 4;

/** The first message a worker receives. */
export interface InitMessage {
  t: typeof MSG_INIT;
  /**
   * The SharedArrayBuffer behind the slot states and abort flags
   * (SHARED_LENGTH Int32s).
   */
  slots: SharedArrayBuffer;
  /** Tasks the worker runs at once. */
  concurrency: number;
  /** The initializer, if any, and its arguments. */
  init?: FnDef;
  initargs?: unknown[];
}

/**
 * A batch of tasks. `tasks` is flat, TASK_STRIDE entries per task:
 * `slot, fnId, mode, args`.
 */
export interface RunMessage {
  t: typeof MSG_RUN;
  /** Functions this worker has not seen yet. */
  defs?: FnDef[];
  tasks: unknown[];
}
/** Entries per task in {@linkcode RunMessage.tasks}. */
export const TASK_STRIDE = 4;

/** Result statuses. */
export const STATUS_OK = 0;
/** The task threw: the payload is a {@linkcode import("./_errors_wire.ts").WireError}. */
export const STATUS_ERROR = 1;
/** The task was revoked before it started; no payload. */
export const STATUS_SKIPPED = 2;

/**
 * A batch of results. `results` is flat, RESULT_STRIDE entries per result:
 * `slot, status, payload`; `times` has TIME_STRIDE entries per result, in
 * the same order: `ms, start` (`ms`: how long the function took, which the
 * pool uses to decide how much work to send ahead and reports as run time;
 * `start`: when it started, on the worker's clock, for the wait time). The
 * times travel as one typed array: as array entries each would be a boxed
 * double on both sides.
 * Objects a task marked with `transfer()` travel in the message's transfer
 * list. For a MODE_CHUNK task the
 * OK payload is flat too: `ok, value-or-wire-error` per item, stopping after
 * the first failure.
 */
export interface DoneMessage {
  t: typeof MSG_DONE;
  results: unknown[];
  times: Float64Array;
  /** Progress reported before these results (see ProgressMessage). */
  progress?: unknown[];
}

/**
 * Progress values, flat: `slot, value` per task, the latest value each task
 * reported since the last message (values in between are dropped).
 */
export interface ProgressMessage {
  t: typeof MSG_PROGRESS;
  progress: unknown[];
}

/** A stopped task: see {@linkcode MSG_ABORT}. */
export interface AbortMessage {
  t: typeof MSG_ABORT;
  slot: number;
  /** ABORT_CANCEL or ABORT_TIMEOUT. */
  kind: number;
  /** The message of the error the future settled with. */
  message: string;
}
/** Entries per result in {@linkcode DoneMessage.results}. */
export const RESULT_STRIDE = 3;
/** Entries per result in {@linkcode DoneMessage.times}. */
export const TIME_STRIDE = 2;

/** The worker is ready to run tasks. */
export interface ReadyMessage {
  t: typeof MSG_READY;
  /** The worker's `performance.timeOrigin` (its clock's zero). */
  origin: number;
}

/**
 * The key of the registered symbol (`Symbol.for`) with which `transfer()`
 * marks a task's result: any copy of the module marks it the same way.
 */
export const TRANSFER_KEY = "@concurrent/futures/transfer";

/** The initializer threw; `error` is a wire error. */
export interface InitFailedMessage {
  t: typeof MSG_INIT_FAILED;
  error: unknown;
}

/** An error escaped the tasks; `error` is a wire error. */
export interface FatalMessage {
  t: typeof MSG_FATAL;
  error: unknown;
}

/** The worker is closing itself. */
export interface ClosingMessage {
  t: typeof MSG_CLOSING;
  /** What closed it: `"close"` (`self.close()`) or `"exit"` (`Deno.exit()`). */
  how: "close" | "exit";
}

/** Everything a worker sends. */
export type WorkerMessage =
  | ReadyMessage
  | DoneMessage
  | ProgressMessage
  | InitFailedMessage
  | FatalMessage
  | ClosingMessage;

/** Everything the pool sends. */
export type HostMessage = InitMessage | RunMessage | AbortMessage;

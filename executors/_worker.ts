// Copyright 2026 the @concurrent/futures authors. MIT license.
// The worker runtime: the entry module of every WorkerPoolExecutor worker.
// It runs the tasks it is sent (at most `concurrency` at once, in the order
// sent), answers for each one in batches, and keeps itself and the host up
// whatever a task does: errors outside tasks are caught and reported, and
// `self.close()` / `Deno.exit()` are announced before they happen.

import {
  type AbortMessage,
  type ClosingMessage,
  type DoneMessage,
  type FatalMessage,
  type FnDef,
  type HostMessage,
  type InitFailedMessage,
  type InitMessage,
  MODE_CHUNK,
  MSG_ABORT,
  MSG_CLOSING,
  MSG_DONE,
  MSG_FATAL,
  MSG_INIT_FAILED,
  MSG_PROGRESS,
  MSG_READY,
  MSG_RUN,
  type ProgressMessage,
  type ReadyMessage,
  RESULT_STRIDE,
  type RunMessage,
  SLOT_COUNT,
  SLOT_SENT,
  SLOT_STARTED,
  STATUS_ERROR,
  STATUS_OK,
  STATUS_SKIPPED,
  TASK_STRIDE,
  TIME_STRIDE,
  TRANSFER_KEY,
} from "./_protocol.ts";
import { cloneFailure, toWire, type WireError } from "./_errors_wire.ts";
import { CLOSURE_HINT, compileSource } from "./_source.ts";
import { callInTask, isAsyncFunction, taskScope } from "./_task_scope.ts";
import { type RunHost, WorkerRun } from "./_worker_run.ts";

/** The parts of the worker's global scope this runtime uses. */
interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  close(): void;
  addEventListener(
    type: string,
    listener: (event: Event & Record<string, unknown>) => void,
  ): void;
}

type Fn = (...args: unknown[]) => unknown;

/** A function as the worker knows it: ready, failed, or being imported. */
interface Entry {
  fn?: Fn;
  error?: unknown;
  loading?: Promise<void>;
  /** Sent as source text (a ReferenceError then gets the closure hint). */
  source: boolean;
  /** Moving average of how long one call takes, in ms. */
  ms?: number;
}

/** Stands in for a function the pool never sent (a bug): its tasks fail. */
const UNDEFINED_FN: Entry = {
  error: new Error("The pool sent a task for a function it never defined"),
  source: false,
};

/** Results are sent at least this often (ms) during a long run of tasks. */
const FLUSH_INTERVAL_MS = 1;
/** A task expected to take longer than this (ms) gets earlier results sent first. */
const SLOW_TASK_MS = 0.5;

const scope = globalThis as unknown as WorkerScope;
const post = scope.postMessage.bind(scope);

let slots: Int32Array | undefined;
/** The runs in progress, by slot (what their signals and progress use). */
const runs: (WorkerRun | undefined)[] = new Array(SLOT_COUNT);
/** Runs with a progress value not sent yet. */
let progressRuns: WorkerRun[] = [];
let progressTimer: ReturnType<typeof setTimeout> | undefined;
let lastProgress = -Infinity;
const host: RunHost = {
  aborts: new Int32Array(SLOT_COUNT),
  report(run: WorkerRun): void {
    if (!run.queued) {
      run.queued = true;
      progressRuns.push(run);
    }
    // At most one message of progress per FLUSH_INTERVAL_MS: a task that
    // reports faster has its values in between dropped (the latest wins).
    if (performance.now() - lastProgress >= FLUSH_INTERVAL_MS) sendProgress();
    else {
      progressTimer ??= setTimeout(sendProgress, FLUSH_INTERVAL_MS);
    }
  },
};
let concurrency = 1;
let ready = false;
let dead = false;
const entries = new Map<number, Entry>();
/** Tasks received and not started, flat (TASK_STRIDE entries each). */
let queue: unknown[] = [];
let head = 0;
let active = 0;
let pumping = false;
/** Results not sent yet, flat (RESULT_STRIDE entries each). */
let out: unknown[] = [];
/** Their times, TIME_STRIDE entries each (see DoneMessage). */
let outTimes = new Float64Array(64 * TIME_STRIDE);
let outTimesLength = 0;
/** Slots in `out` whose payload is a chunk (checked item by item on failure). */
const chunkSlots = new Set<number>();
let lastFlush = 0;
/** Objects the results in `out` move rather than copy (see transfer()). */
let outTransfer: Transferable[] | undefined;
const kTransfer = Symbol.for(TRANSFER_KEY);

/**
 * Claims a task before it starts; `false` when the pool revoked it first
 * (see _protocol.ts). A transport without shared memory replaces it.
 */
let claim = (slot: number): boolean =>
  Atomics.compareExchange(slots!, slot, SLOT_SENT, SLOT_STARTED) ===
    SLOT_SENT;

/**
 * Replaces how tasks are claimed (a child process claims through a file
 * shared with the pool; see _process_claims.ts).
 *
 * @param fn Claims the task in `slot`; returns whether it may start.
 */
export function setClaim(fn: (slot: number) => boolean): void {
  claim = fn;
}

function send(
  message:
    | ProgressMessage
    | ReadyMessage
    | DoneMessage
    | InitFailedMessage
    | FatalMessage
    | ClosingMessage,
): void {
  post(message);
}

scope.addEventListener("message", (event) => {
  const message = event.data as HostMessage;
  if (message.t === MSG_RUN) receive(message);
  else if (message.t === MSG_ABORT) abort(message);
  else init(message);
});

// An error that escapes every task would end the worker abruptly and reach
// the host as an error event; report it instead, and let the pool decide
// (it fails the tasks running here and replaces the worker).
scope.addEventListener("error", (event) => {
  event.preventDefault();
  fatal(event.error ?? new Error(String(event.message)));
});
scope.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  fatal(event.reason);
});

// A task that closes the worker: tell the pool first, so that the futures
// running here fail at once instead of waiting forever.
const close = scope.close.bind(scope);
scope.close = () => {
  announceClose("close");
  close();
};
const deno = (globalThis as { Deno?: { exit(code?: number): never } }).Deno;
if (deno !== undefined) {
  const exit = deno.exit.bind(deno);
  deno.exit = (code?: number): never => {
    announceClose("exit");
    return exit(code);
  };
}

function announceClose(how: "close" | "exit"): void {
  if (dead) return;
  flush();
  dead = true;
  send({ t: MSG_CLOSING, how });
}

function fatal(error: unknown): void {
  if (dead) return;
  flush();
  dead = true;
  send({ t: MSG_FATAL, error: toWire(error) });
}

async function init(message: InitMessage): Promise<void> {
  slots = new Int32Array(message.slots, 0, SLOT_COUNT);
  (host as { aborts: Int32Array }).aborts = new Int32Array(
    message.slots,
    SLOT_COUNT * 4,
    SLOT_COUNT,
  );
  concurrency = message.concurrency;
  if (message.init !== undefined) {
    const entry = define(message.init);
    try {
      if (entry.loading !== undefined) await entry.loading;
      if (entry.error !== undefined) throw entry.error;
      await entry.fn!(...(message.initargs ?? []));
    } catch (error) {
      dead = true;
      send({ t: MSG_INIT_FAILED, error: wireOf(error, entry) });
      return;
    }
  }
  ready = true;
  send({ t: MSG_READY, origin: performance.timeOrigin });
  pump();
}

function receive(message: RunMessage): void {
  if (message.defs !== undefined) {
    for (const def of message.defs) define(def);
  }
  if (head === queue.length) {
    queue = message.tasks;
    head = 0;
  } else {
    for (const item of message.tasks) queue.push(item);
  }
  pump();
}

/** The pool stopped the task in a slot: its signal aborts. */
function abort(message: AbortMessage): void {
  const run = runs[message.slot];
  // Absent: the task ended before the message came.
  if (run === undefined) return;
  // A child process's flags are its own: the message sets them.
  Atomics.store(host.aborts, message.slot, message.kind);
  run.abort(message.kind, message.message);
}

/** Takes the progress values to send, flat (`slot, value` per run). */
function takeProgress(): unknown[] | undefined {
  if (progressRuns.length === 0) return undefined;
  const progress: unknown[] = [];
  for (const run of progressRuns) {
    progress.push(run.slot, run.latest);
    run.latest = undefined;
    run.queued = false;
  }
  progressRuns = [];
  if (progressTimer !== undefined) {
    clearTimeout(progressTimer);
    progressTimer = undefined;
  }
  lastProgress = performance.now();
  return progress;
}

function sendProgress(): void {
  progressTimer = undefined;
  const progress = takeProgress();
  if (progress === undefined || dead) return;
  try {
    send({ t: MSG_PROGRESS, progress });
  } catch {
    send({ t: MSG_PROGRESS, progress: cloneableProgress(progress) });
  }
}

/** The progress values that can be cloned (the others are dropped). */
function cloneableProgress(progress: unknown[]): unknown[] {
  const kept: unknown[] = [];
  for (let i = 0; i < progress.length; i += 2) {
    try {
      structuredClone(progress[i + 1]);
      kept.push(progress[i], progress[i + 1]);
    } catch {
      // Dropped: a value that cannot be cloned never reaches the caller.
    }
  }
  return kept;
}

function define(def: FnDef): Entry {
  const entry: Entry = { source: def.length === 2 };
  if (def.length === 2) {
    try {
      entry.fn = compileSource(def[1]);
    } catch (error) {
      entry.error = error;
    }
  } else {
    const [, module, exportName] = def;
    entry.loading = import(module).then((namespace) => {
      const fn = namespace[exportName];
      if (typeof fn !== "function") {
        throw new TypeError(
          `Module "${module}" has no function export named "${exportName}"`,
        );
      }
      entry.fn = fn;
    }).catch((error) => {
      entry.error = error;
    }).finally(() => {
      entry.loading = undefined;
    });
  }
  entries.set(def[0], entry);
  return entry;
}

/** Starts the tasks received, up to `concurrency` at once, in order. */
function pump(): void {
  if (pumping || !ready || dead) return;
  pumping = true;
  try {
    let now = performance.now();
    while (active < concurrency && head < queue.length && !dead) {
      const entry = entries.get(queue[head + 1] as number) ?? UNDEFINED_FN;
      if (entry.loading !== undefined) {
        // A module still being imported: continue once it is.
        entry.loading.then(pump);
        break;
      }
      const slot = queue[head] as number;
      const mode = queue[head + 2] as number;
      const args = queue[head + 3] as unknown[];
      queue[head + 3] = undefined;
      head += TASK_STRIDE;
      // The flag of an earlier task in this slot (the pool writes it only
      // once this one is claimed).
      Atomics.store(host.aborts, slot, 0);
      if (!claim(slot)) {
        out.push(slot, STATUS_SKIPPED, undefined);
        pushTimes(0, 0);
        continue;
      }
      // Before a task that may take long, send the results gathered so far:
      // the pool learns that this task has started, and their futures
      // complete now rather than after it.
      if (
        out.length > 0 && (entry.ms === undefined || entry.ms > SLOW_TASK_MS)
      ) {
        flush();
        now = performance.now();
      }
      const run = runs[slot] = new WorkerRun(slot, mode, host);
      now = (mode & MODE_CHUNK) === 0
        ? call(slot, run, entry, args, now)
        : chunk(slot, run, entry, args, now);
      if (now - lastFlush >= FLUSH_INTERVAL_MS) flush();
    }
    if (head === queue.length) {
      queue = [];
      head = 0;
    }
  } finally {
    pumping = false;
  }
  flush();
}

/** Runs one call; returns the time it ended (or went async). */
function call(
  slot: number,
  run: WorkerRun,
  entry: Entry,
  args: unknown[],
  start: number,
) {
  let value: unknown;
  try {
    if (entry.error !== undefined) throw entry.error;
    value = callInTask(run, entry.fn!, args);
  } catch (error) {
    return finish(slot, entry, STATUS_ERROR, wireOf(error, entry), start);
  }
  if (!isThenable(value)) return finish(slot, entry, STATUS_OK, value, start);
  active++;
  Promise.resolve(value).then(
    (result) => settleAsync(slot, entry, STATUS_OK, result, start),
    (error) =>
      settleAsync(slot, entry, STATUS_ERROR, wireOf(error, entry), start),
  );
  return performance.now();
}

/**
 * Applies the function to each item of a chunk, in order, awaiting async
 * results one by one; stops at the first failure (map never reads past it).
 */
function chunk(
  slot: number,
  run: WorkerRun,
  entry: Entry,
  items: unknown[],
  start: number,
) {
  const results: unknown[] = [];
  if (entry.error !== undefined) {
    results.push(false, wireOf(entry.error, entry));
    return finish(slot, entry, STATUS_OK, results, start, true);
  }
  const fn = entry.fn!;
  // The whole chunk is one run: a plain function's items share one entry
  // into the task scope (per item, it cost ~6% of a 20k-item map); an async
  // function's calls each need their own async context (callInTask).
  const perItem = isAsyncFunction(fn);
  const scope = taskScope;
  const previous = scope.current;
  scope.current = run;
  try {
    for (let index = 0; index < items.length; index++) {
      let value: unknown;
      try {
        value = perItem
          ? callInTask(run, fn, [items[index]])
          : fn(items[index]);
      } catch (error) {
        results.push(false, wireOf(error, entry));
        break;
      }
      if (isThenable(value)) {
        active++;
        chunkAsync(slot, run, entry, items, index, value, results, start);
        return performance.now();
      }
      results.push(true, value);
    }
  } finally {
    scope.current = previous;
  }
  return finish(slot, entry, STATUS_OK, results, start, true);
}

async function chunkAsync(
  slot: number,
  run: WorkerRun,
  entry: Entry,
  items: unknown[],
  index: number,
  pending: PromiseLike<unknown>,
  results: unknown[],
  start: number,
): Promise<void> {
  try {
    results.push(true, await pending);
    for (index++; index < items.length; index++) {
      results.push(true, await callInTask(run, entry.fn!, [items[index]]));
    }
  } catch (error) {
    results.push(false, wireOf(error, entry));
  }
  settleAsync(slot, entry, STATUS_OK, results, start, true);
}

function settleAsync(
  slot: number,
  entry: Entry,
  status: number,
  payload: unknown,
  start: number,
  isChunk = false,
): void {
  active--;
  if (dead) return;
  finish(slot, entry, status, payload, start, isChunk);
  pump();
}

/** Records a result; returns the current time. */
function finish(
  slot: number,
  entry: Entry,
  status: number,
  payload: unknown,
  start: number,
  isChunk = false,
): number {
  const now = performance.now();
  runs[slot]!.end();
  runs[slot] = undefined;
  if (isChunk) chunkSlots.add(slot);
  const ms = now - start;
  entry.ms = entry.ms === undefined ? ms : entry.ms * 0.75 + ms * 0.25;
  if (status === STATUS_OK) {
    if (!isChunk) takeTransfer(payload);
    else {
      const items = payload as unknown[];
      for (let i = 1; i < items.length; i += 2) takeTransfer(items[i]);
    }
  }
  out.push(slot, status, payload);
  pushTimes(ms, start);
  return now;
}

function pushTimes(ms: number, start: number): void {
  if (outTimesLength + TIME_STRIDE > outTimes.length) {
    const bigger = new Float64Array(outTimes.length * 2);
    bigger.set(outTimes);
    outTimes = bigger;
  }
  outTimes[outTimesLength++] = ms;
  outTimes[outTimesLength++] = start;
}

/** Moves the list of a value marked by transfer() to this batch's list. */
function takeTransfer(value: unknown): void {
  if (typeof value !== "object" || value === null) return;
  const list = (value as { [kTransfer]?: Transferable[] })[kTransfer];
  if (list === undefined) return;
  delete (value as { [kTransfer]?: Transferable[] })[kTransfer];
  if (outTransfer === undefined) outTransfer = [...list];
  else outTransfer.push(...list);
}

/** Sends the results gathered so far in one message. */
function flush(): void {
  lastFlush = performance.now();
  if (out.length === 0) return;
  const results = out;
  const times = outTimes.slice(0, outTimesLength);
  const transfer = outTransfer;
  // Progress goes first: a task's last value arrives before its result.
  const progress = takeProgress();
  out = [];
  outTimesLength = 0;
  outTransfer = undefined;
  try {
    const message: DoneMessage = { t: MSG_DONE, results, times };
    if (progress !== undefined) message.progress = progress;
    post(message, transfer);
  } catch {
    // Some result cannot be cloned: find it, and fail only its task.
    post(
      {
        t: MSG_DONE,
        results: cloneable(results),
        times,
        progress: progress === undefined
          ? undefined
          : cloneableProgress(progress),
      } satisfies DoneMessage,
    );
  }
  chunkSlots.clear();
}

function cloneable(results: unknown[]): unknown[] {
  for (let i = 0; i < results.length; i += RESULT_STRIDE) {
    if (results[i + 1] !== STATUS_OK) continue;
    const payload = results[i + 2];
    if (chunkSlots.has(results[i] as number)) {
      const items = payload as unknown[];
      for (let j = 0; j < items.length; j += 2) {
        if (!items[j]) break;
        try {
          structuredClone(items[j + 1]);
        } catch (error) {
          items[j] = false;
          items[j + 1] = cloneFailure(error);
          items.length = j + 2;
          break;
        }
      }
      continue;
    }
    try {
      structuredClone(payload);
    } catch (error) {
      results[i + 1] = STATUS_ERROR;
      results[i + 2] = cloneFailure(error);
    }
  }
  return results;
}

function wireOf(error: unknown, entry: Entry): WireError {
  const wire = toWire(error);
  if (
    entry.source && wire.e === 1 && wire.ctor === "ReferenceError" &&
    / is not defined$/.test(wire.message)
  ) {
    wire.message += CLOSURE_HINT;
  }
  return wire;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function";
}

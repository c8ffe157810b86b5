// Copyright 2026 the @concurrent/futures authors. MIT license.
// The worker runtime: the entry module of every WorkerPoolExecutor worker.
// It runs the tasks it is sent (at most `concurrency` at once, in the order
// sent), answers for each one in batches, and keeps itself and the host up
// whatever a task does: errors outside tasks are caught and reported, and
// `self.close()` / `Deno.exit()` are announced before they happen.

import {
  type ClosingMessage,
  type DoneMessage,
  type FatalMessage,
  type FnDef,
  type HostMessage,
  type InitFailedMessage,
  type InitMessage,
  MODE_CALL,
  MSG_CLOSING,
  MSG_DONE,
  MSG_FATAL,
  MSG_INIT,
  MSG_INIT_FAILED,
  MSG_READY,
  type ReadyMessage,
  RESULT_STRIDE,
  type RunMessage,
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
  if (message.t === MSG_INIT) init(message);
  else receive(message);
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
  slots = new Int32Array(message.slots);
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
      now = mode === MODE_CALL
        ? call(slot, entry, args, now)
        : chunk(slot, entry, args, now);
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
function call(slot: number, entry: Entry, args: unknown[], start: number) {
  let value: unknown;
  try {
    if (entry.error !== undefined) throw entry.error;
    value = entry.fn!(...args);
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
function chunk(slot: number, entry: Entry, items: unknown[], start: number) {
  const results: unknown[] = [];
  for (let index = 0; index < items.length; index++) {
    let value: unknown;
    try {
      if (entry.error !== undefined) throw entry.error;
      value = entry.fn!(items[index]);
    } catch (error) {
      results.push(false, wireOf(error, entry));
      break;
    }
    if (isThenable(value)) {
      active++;
      chunkAsync(slot, entry, items, index, value, results, start);
      return performance.now();
    }
    results.push(true, value);
  }
  return finish(slot, entry, STATUS_OK, results, start, true);
}

async function chunkAsync(
  slot: number,
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
      results.push(true, await entry.fn!(items[index]));
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
  out = [];
  outTimesLength = 0;
  outTransfer = undefined;
  try {
    post({ t: MSG_DONE, results, times } satisfies DoneMessage, transfer);
  } catch {
    // Some result cannot be cloned: find it, and fail only its task.
    post(
      { t: MSG_DONE, results: cloneable(results), times } satisfies DoneMessage,
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

// Copyright 2026 the @concurrent/futures authors. MIT license.
// Whether a Web Worker keeps the process alive.
//
// In Deno a live Worker keeps the process running until it is terminated,
// and Web Workers have no public `unref()`. The pool needs one: an idle
// worker (one of `minWorkers`, or one waiting out `idleTimeout`) must not
// keep a program alive that forgot `shutdown()`. Deno's Worker carries the
// method behind `node:worker_threads`' `ref()`/`unref()` under a private
// symbol (it counts references and un-refs the worker's message polling at
// zero); it is found here by its shape and used when present. Where it is
// missing (another runtime, a future Deno), `canUnref` is false and the pool
// falls back to terminating every idle worker after `idleTimeout`, so the
// program still exits on its own.

type RefMethod = (this: Worker, ref: boolean) => void;

const refMethod: RefMethod | undefined = findRefMethod();

function findRefMethod(): RefMethod | undefined {
  if (typeof Worker !== "function") return undefined;
  const proto = Worker.prototype as unknown as Record<symbol, unknown>;
  const found: RefMethod[] = [];
  for (const symbol of Object.getOwnPropertySymbols(proto)) {
    const value = proto[symbol];
    if (
      symbol.description === undefined && typeof value === "function" &&
      value.length === 1 &&
      /#refCount\b/.test(Function.prototype.toString.call(value))
    ) {
      found.push(value as RefMethod);
    }
  }
  return found.length === 1 ? found[0] : undefined;
}

/** Whether idle workers can be kept without keeping the process alive. */
export const canUnref: boolean = refMethod !== undefined;

const unrefed = new WeakSet<Worker>();

/**
 * Makes `worker` keep the process alive (`ref: true`, the default state of
 * a Worker) or not. Calls are idempotent; without support, does nothing.
 */
export function setWorkerRef(worker: Worker, ref: boolean): void {
  if (refMethod === undefined || unrefed.has(worker) !== ref) return;
  refMethod.call(worker, ref);
  if (ref) unrefed.delete(worker);
  else unrefed.add(worker);
}

/** Lets a timer not keep the process alive, where the runtime allows it. */
export function unrefTimer(id: ReturnType<typeof setTimeout>): void {
  const deno = globalThis as {
    Deno?: { unrefTimer?(id: ReturnType<typeof setTimeout>): void };
  };
  deno.Deno?.unrefTimer?.(id);
}

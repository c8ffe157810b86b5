// Copyright 2026 the @concurrent/futures authors. MIT license.
// Symbols through which executors and `wait` reach into a Future without
// widening its public surface.

/**
 * Installs the function that `cancel({ force: true })` calls on a running
 * future; it returns `true` when it stopped the task (and then the future is
 * marked cancelled).
 */
export const kForceCancel: unique symbol = Symbol("forceCancel");
/** Registers a removable completion listener (used by `wait`/`asCompleted`). */
export const kAddWaiter: unique symbol = Symbol("addWaiter");
/** Removes a listener added with {@linkcode kAddWaiter}. */
export const kRemoveWaiter: unique symbol = Symbol("removeWaiter");
/** Whether a finished future failed, read synchronously. */
export const kFailed: unique symbol = Symbol("failed");
/**
 * The outcome of a done future, read synchronously: `{ ok: true, value }`,
 * `{ ok: false, error }` (a cancelled future gives a `CancelledError`), or
 * `undefined` while it is not done.
 */
export const kOutcome: unique symbol = Symbol("outcome");
/**
 * Installs an object told when the future is cancelled
 * (`cancelled(wasPending)`), after its done callbacks: how an executor
 * keeps its counts without a callback per task.
 */
export const kCancelHook: unique symbol = Symbol("cancelHook");
/**
 * A run option, keyed by this symbol, giving the number of the first run
 * (default 1): the distributed worker passes BullMQ's attempt count to its
 * local executor with it, so `currentTask().attempt` counts runs on earlier
 * processes too.
 */
export const kFirstAttempt: unique symbol = Symbol("firstAttempt");

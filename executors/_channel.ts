// Copyright 2026 the @concurrent/futures authors. MIT license.
// The seam between a pool and the thing that runs its worker runtime. The
// pool logic (queue, dispatch, stats, cancel, crashes) is one class; what
// differs between a Web Worker and a child process is only how a message
// gets there and back, how the worker is stopped, whether it keeps the
// process alive, and whether it shares the task slots (see _protocol.ts).

import type { FnDef, HostMessage, WorkerMessage } from "./_protocol.ts";
import { setWorkerRef } from "./_pool_unref.ts";

/** What a worker is started with. */
export interface SpawnOptions {
  url: URL;
  name: string;
  concurrency: number;
  permissions: Deno.PermissionOptions | undefined;
  init: FnDef | undefined;
  initargs: unknown[] | undefined;
}

/** How a channel reports what its worker says and when it dies. */
export interface ChannelEvents {
  onMessage(message: WorkerMessage): void;
  /** The worker died (an error event, a bad message, a process exit). */
  onError(error: unknown): void;
}

/** One worker runtime, as the pool drives it. */
export interface WorkerChannel {
  /**
   * Whether the worker shares the task slots with the pool, so that a task
   * sent ahead can be revoked without a message.
   */
  readonly sharedSlots: boolean;
  /**
   * Without shared slots: takes back the task sent in `slot` unless the
   * worker may have started it (see _process_claims.ts). Absent: the worker
   * is sent nothing it could start unseen beyond the one task more than it
   * runs at once that the contract lets count as running.
   */
  readonly revoke?: (slot: number) => boolean;
  /**
   * Sends a message. Throws (synchronously) the `DOMException`
   * `DataCloneError` when it cannot be carried.
   */
  post(message: HostMessage, transfer: Transferable[]): void;
  /** Whether the worker keeps the process alive. */
  setRef(ref: boolean): void;
  /** Stops the worker; no event is reported afterwards. */
  terminate(): void;
  /**
   * Resolves (never rejects) once a terminated worker has released all it
   * held; absent when terminate() releases everything at once.
   */
  readonly closed?: Promise<void>;
}

/** Starts a worker runtime and returns its channel. */
export type ChannelFactory = (
  options: SpawnOptions,
  events: ChannelEvents,
) => WorkerChannel;

/** What a pool runs its workers on (see process_pool_executor.ts). */
export interface PoolBackend {
  /** The default name prefix of the workers (`${kind}-${k}`). */
  kind: string;
  channel: ChannelFactory;
}

/** Where a subclass hands its backend to the pool's constructor. */
export const kBackend: unique symbol = Symbol("poolBackend");

/** The default backend: a Deno Web Worker (module worker). */
export function webWorkerChannel(
  options: SpawnOptions,
  events: ChannelEvents,
): WorkerChannel {
  const workerOptions: WorkerOptions & {
    deno?: { permissions: Deno.PermissionOptions };
  } = { type: "module", name: options.name };
  if (options.permissions !== undefined) {
    workerOptions.deno = { permissions: options.permissions };
  }
  const worker = new Worker(options.url, workerOptions);
  let dead = false;
  worker.onmessage = (event) => {
    if (!dead) events.onMessage(event.data as WorkerMessage);
  };
  worker.onerror = (event) => {
    // Unhandled, a worker's error event ends the host process.
    event.preventDefault();
    if (!dead) events.onError(event.error ?? new Error(event.message));
  };
  worker.onmessageerror = () => {
    if (!dead) {
      events.onError(new Error("A message from the worker could not be read"));
    }
  };
  return {
    sharedSlots: true,
    // Without a transfer list Deno takes its fast path (a lighter
    // serialisation and op): an empty list would cost ~5 µs a message.
    post: (message, transfer) =>
      transfer.length === 0
        ? worker.postMessage(message)
        : worker.postMessage(message, transfer),
    setRef: (ref) => setWorkerRef(worker, ref),
    terminate() {
      dead = true;
      // Deno cannot interrupt a thread that never yields (`while (true)
      // {}`): terminate() leaves it spinning, and the Worker's message
      // polling would keep the process alive until the loop ends. Un-ref'd
      // first, the thread no longer holds the process: a program that
      // stopped such a task still exits by itself.
      setWorkerRef(worker, false);
      worker.terminate();
    },
  };
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// What the queue knows of one open AioFile. Only _queue.ts mutates it.

import type { BackendFile, BackendName } from "./_backend.ts";
import type { AioRequest } from "./_request.ts";

/** The queue's bookkeeping for one file. */
export class FileState {
  /** The backend's file. */
  readonly backend: BackendFile;
  /** The backend's name. */
  readonly backendName: BackendName;
  /**
   * For a direct (`O_DIRECT`) file, the alignment of offsets, lengths and
   * buffer addresses; 0 for a buffered file.
   */
  readonly alignment: number;
  /** Requests the backend accepts in flight at once on this file. */
  readonly depth: number;
  /** Opened for reading. */
  readonly canRead: boolean;
  /** Opened for writing (or appending). */
  readonly canWrite: boolean;
  /** Accepting requests: false from `close()` on. */
  open = true;
  /** Requests started on the backend and not yet ended. */
  inFlight = 0;
  /** Queued requests that reached the queue's head while the file was full. */
  parked: AioRequest[] = [];
  /** Writes queued or in flight, in the order queued (fsync waits on them). */
  writes: Set<AioRequest> = new Set();
  /** fsync requests waiting for earlier writes, in the order queued. */
  barriers: AioRequest[] = [];
  /** The settled `close()`, once it was called. */
  closed: Promise<void> | undefined;
  /** Resolved when the last request in flight ends, while closing. */
  drained: PromiseWithResolvers<void> | undefined;

  constructor(
    backend: BackendFile,
    backendName: BackendName,
    depth: number,
    options: Deno.OpenOptions | undefined,
  ) {
    this.backend = backend;
    this.backendName = backendName;
    this.alignment = backend.alignment ?? 0;
    this.depth = depth;
    // Deno.open's default is { read: true }.
    this.canRead = options === undefined || options.read === true;
    this.canWrite = options?.write === true || options?.append === true;
  }
}

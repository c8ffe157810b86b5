// Copyright 2026 the @concurrent/futures authors. MIT license.

import type { Backend } from "./_backend.ts";
import { denoBackend } from "./_deno_backend.ts";
import { linuxAioBackend } from "./_linux_aio_backend.ts";
import { dispatch } from "./_queue.ts";
import { settings } from "./_settings.ts";
import { threadsBackend } from "./_threads_backend.ts";
import { uringBackend } from "./_uring_backend.ts";
import { AioError } from "./aio_error.ts";

/** The backends {@linkcode aioInit} can select. */
export type AioBackendName =
  | "deno"
  | "threads"
  | "io_uring"
  | "linux-aio"
  | "auto";

/** Options for {@linkcode aioInit}; each one given replaces the current one. */
export interface AioInitOptions {
  /** Requests in flight at once (all files together); default 16. */
  queueDepth?: number;
  /**
   * Requests queued or in flight at once; beyond it `aioRead`/`aioWrite`/
   * `aioFsync` throw `AioError` `EAGAIN`. Default 1024.
   */
  maxRequests?: number;
  /**
   * How files opened from now on are read and written: `"deno"` (the
   * default), `"threads"` (a few Web Workers doing blocking I/O, fed
   * through shared memory), `"io_uring"` (Linux, needs `--allow-ffi`),
   * `"linux-aio"` (the kernel AIO of `io_submit(2)`, Linux, needs
   * `--allow-ffi`; asynchronous only for files opened with `direct: true`,
   * buffered I/O happens inside `io_submit`) or `"auto"` (`"io_uring"` where
   * it can run, else `"threads"`, else `"deno"`).
   */
  backend?: AioBackendName;
  /**
   * I/O workers of the `"threads"` backend (integer >= 1, default 8); it
   * applies when the workers next start (once no file is open on it). The
   * first 2 wake for every request; the rest are spares, woken only while
   * operations are slow (a disk, not the page cache) and requests wait.
   */
  threads?: number;
}

/** The settings in force, as {@linkcode aioInit} returns them. */
export interface AioSettings {
  /** Requests in flight at once. */
  queueDepth: number;
  /** Requests queued or in flight at once. */
  maxRequests: number;
  /** The backend of files opened from now on. */
  backend: "deno" | "threads" | "io_uring" | "linux-aio";
  /** I/O workers of the `"threads"` backend. */
  threads: number;
}

/** The one place a backend name becomes a backend. */
function selectBackend(name: AioBackendName): Backend {
  if (name === "deno") return denoBackend;
  if (name === "threads") return threadsBackend();
  if (name === "io_uring") return uringBackend();
  if (name === "linux-aio") return linuxAioBackend();
  for (const candidate of [uringBackend, threadsBackend]) {
    try {
      return candidate();
    } catch (error) {
      if (!(error instanceof AioError && error.code === "ENOSYS")) throw error;
    }
  }
  return denoBackend;
}

function checkInteger(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new AioError(
      "EINVAL",
      `'${name}' must be an integer >= 1, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Tunes the implementation, as glibc's `aio_init`: the queue depth, the
 * request limit and the backend. Changes only the options given and returns
 * the settings now in force; `aioInit()` just reads them. Invalid options
 * change nothing. The backend applies to files opened afterwards; a lower
 * or higher `queueDepth` applies to the requests started from now on.
 *
 * @param options The settings to change.
 * @returns The settings in force.
 * @throws {AioError} `EINVAL` for an invalid option; `ENOSYS` when
 * `backend: "io_uring"`, `"linux-aio"` or `"threads"` cannot run here (the message says
 * why; `"threads"` needs read access to its worker module).
 *
 * @example Usage
 * ```ts
 * import { aioInit } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const before = aioInit();
 * assertEquals(aioInit({ queueDepth: 4 }).queueDepth, 4);
 * aioInit({ queueDepth: before.queueDepth });
 * assertEquals(aioInit().backend, "deno");
 * ```
 */
export function aioInit(options?: AioInitOptions): AioSettings {
  if (
    options !== undefined && (options === null || typeof options !== "object")
  ) {
    throw new AioError("EINVAL", "'options' must be an object");
  }
  const queueDepth = checkInteger(options?.queueDepth, "queueDepth");
  const maxRequests = checkInteger(options?.maxRequests, "maxRequests");
  const threads = checkInteger(options?.threads, "threads");
  const name = options?.backend;
  if (
    name !== undefined && name !== "deno" && name !== "threads" &&
    name !== "io_uring" && name !== "linux-aio" && name !== "auto"
  ) {
    throw new AioError(
      "EINVAL",
      `'backend' must be "deno", "threads", "io_uring", "linux-aio" or "auto", got ${
        String(name)
      }`,
    );
  }
  // Everything that can fail happens before anything changes.
  const backend = name === undefined ? undefined : selectBackend(name);
  if (queueDepth !== undefined) settings.queueDepth = queueDepth;
  if (maxRequests !== undefined) settings.maxRequests = maxRequests;
  if (backend !== undefined) settings.backend = backend;
  if (threads !== undefined) settings.threads = threads;
  // A deeper queue lets waiting requests start now.
  if (queueDepth !== undefined) dispatch();
  return {
    queueDepth: settings.queueDepth,
    maxRequests: settings.maxRequests,
    backend: settings.backend.name,
    threads: settings.threads,
  };
}

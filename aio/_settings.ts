// Copyright 2026 the @concurrent/futures authors. MIT license.
// The process-wide settings of aioInit, read by aioOpen and the queue.

import type { Backend } from "./_backend.ts";
import { denoBackend } from "./_deno_backend.ts";

/** The settings in force; only `aioInit` changes them. */
export const settings: {
  queueDepth: number;
  maxRequests: number;
  backend: Backend;
  threads: number;
} = {
  queueDepth: 16,
  maxRequests: 1024,
  backend: denoBackend,
  // I/O workers of the "threads" backend: 2 eager ones (EAGER) beat Node on
  // a cached file from QD1 to QD64, 6 spares (woken only for slow
  // operations) give a cold disk 8 reads at once (bench/aio_bench.ts; 16
  // did worse).
  threads: 8,
};

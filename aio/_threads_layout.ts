// Copyright 2026 the @concurrent/futures authors. MIT license.
// The shared memory of the "threads" backend, in the one place both sides
// (_threads_backend.ts on the JS thread, _threads_worker.ts in each I/O
// worker) read it from. One SharedArrayBuffer holds, in order:
//
// - control words (Int32): the request ring's published and claimed counts,
//   how many workers sleep, the global completion count the JS thread waits
//   on, whether it waits, the stop flag, the file-table epoch;
// - the request ring (Int32, SLOTS entries): slot numbers, published by the
//   JS thread, claimed by any worker with compareExchange on CLAIMED;
// - one completion ring per worker (Int32: its head, then SLOTS entries):
//   slot numbers the worker finished, read by the JS thread;
// - the slot table (Int32 fields, plus a Float64 offset): one operation each;
// - the file table (Int32 fields, Float64 dev/ino, the path's UTF-8 bytes);
// - the staging area: CHUNK bytes per slot, what a worker reads into or
//   writes from (never the user's buffer, which may be detached or shrunk
//   while a request is in flight).
//
// Ring indices never wrap around a live entry: a slot is in at most one
// ring entry at a time and there are SLOTS slots, so SLOTS entries suffice.

/** Operations in flight at once across all files (the staging slots). */
export const SLOTS = 128;
/** The most bytes one slot moves; longer requests are split in chunks. */
export const CHUNK = 64 * 1024;
/** Files open at once on the backend. */
export const FILES = 1024;
/** The longest path (UTF-8 bytes) a worker can reopen. */
export const PATH_MAX = 4096;

// Control words.
/** Request ring entries published so far (JS thread writes). */
export const PUBLISHED = 0;
/** Request ring entries claimed so far (workers compareExchange). */
export const CLAIMED = 1;
/** Workers inside (or about to enter) Atomics.wait on PUBLISHED. */
export const SLEEPERS = 2;
/** Operations completed so far, all workers together. */
export const DONE = 3;
/** 1 while the JS thread waits (Atomics.waitAsync) on DONE. */
export const WAITING = 4;
/** 1 when the workers must exit. */
export const STOP = 5;
/** Bumped whenever a file closes: workers then drop stale handles. */
export const EPOCH = 6;
/**
 * Bumped to wake the spare workers (those past EAGER), which sleep on it:
 * they join only while operations are slow (a disk) and requests wait.
 */
export const SPARE = 7;
/** Spare workers inside (or about to enter) Atomics.wait on SPARE. */
export const SPARE_SLEEPERS = 8;
/** 1 while the last operation a worker finished was slow (> SLOW_MS). */
export const SLOW = 9;
const CONTROL_WORDS = 16;

/**
 * Workers that wake for every request. The others (spares) are woken only
 * while operations are slow: on a cached file more threads than cores only
 * contend (2 beat 4 at QD4 to QD64 on 2 cores), on a disk more reads at the
 * device are what counts.
 */
export const EAGER = 2;
/** An operation slower than this (ms) is the disk's, not the page cache's. */
export const SLOW_MS = 0.05;

/** Request ring: Int32 index of its first entry. */
export const REQUESTS = CONTROL_WORDS;

/** A worker's completion ring: Int32 index of its head word. */
export function completionsOf(worker: number): number {
  return REQUESTS + SLOTS + worker * (SLOTS + 1);
}

// Slot fields (Int32, SLOT_WORDS per slot).
/** The operation (OP_*). */
export const S_OP = 0;
/** File table index. */
export const S_FILE = 1;
/** The file's generation when the operation started. */
export const S_GEN = 2;
/** Bytes to move (<= CHUNK). */
export const S_LEN = 3;
/** Bytes moved, or -1. */
export const S_RESULT = 4;
/** Index in ERROR_CODES when S_RESULT is -1. */
export const S_ERROR = 5;
/** Int32 words per slot. */
export const SLOT_WORDS = 8;

/** Operation codes. */
export const OP_READ = 0;
/** Positional write (or append). */
export const OP_WRITE = 1;
/** fsync. */
export const OP_FSYNC = 2;
/** fdatasync. */
export const OP_FDATASYNC = 3;

// File fields (Int32, FILE_WORDS per file).
/** Generation: bumped on open and on close, 0 when unused. */
export const F_GEN = 0;
/** F_READ | F_WRITE | F_APPEND | F_SEEKABLE. */
export const F_FLAGS = 1;
/** Length of the path's UTF-8 bytes. */
export const F_PATH_LEN = 2;
/** Int32 words per file. */
export const FILE_WORDS = 4;
/** Open for reading. */
export const F_READ = 1;
/** Open for writing. */
export const F_WRITE = 2;
/** Open in append mode. */
export const F_APPEND = 4;
/** Has positions (not a pipe, socket or terminal). */
export const F_SEEKABLE = 8;

/** Error names a worker reports, by index. */
export const ERROR_CODES: readonly string[] = [
  "EIO",
  "EBADF",
  "EFBIG",
  "EFAULT",
  "EINVAL",
  "ENOENT",
  "EACCES",
  "EPERM",
  "ENOSPC",
  "EDQUOT",
  "EISDIR",
  "ESPIPE",
  "EROFS",
  "EPIPE",
  "EAGAIN",
  "ENOMEM",
  "ENXIO",
  "ENODEV",
  "EOVERFLOW",
  "EOPNOTSUPP",
  "EBUSY",
  "ESTALE",
];

/** The index of an error name in ERROR_CODES (EIO when unknown). */
export function errorIndex(code: string): number {
  const index = ERROR_CODES.indexOf(code);
  return index < 0 ? 0 : index;
}

/** Where each region starts, for `workers` I/O workers. */
export interface Layout {
  /** Int32 index of the slot table. */
  readonly slots: number;
  /** Int32 index of the file table. */
  readonly files: number;
  /** Float64 index of the slot offsets (one per slot). */
  readonly offsets: number;
  /** Float64 index of the file identities (dev, ino per file). */
  readonly identities: number;
  /** Byte offset of the paths (PATH_MAX per file). */
  readonly paths: number;
  /** Byte offset of the staging area (CHUNK per slot). */
  readonly staging: number;
  /** Total bytes. */
  readonly size: number;
}

/** Computes the layout for `workers` I/O workers. */
export function layoutFor(workers: number): Layout {
  const slots = completionsOf(workers);
  const files = slots + SLOTS * SLOT_WORDS;
  const int32End = (files + FILES * FILE_WORDS) * 4;
  const float64Start = Math.ceil(int32End / 8) * 8;
  const offsets = float64Start / 8;
  const identities = offsets + SLOTS;
  const paths = (identities + 2 * FILES) * 8;
  const staging = Math.ceil((paths + FILES * PATH_MAX) / 4096) * 4096;
  return {
    slots,
    files,
    offsets,
    identities,
    paths,
    staging,
    size: staging + SLOTS * CHUNK,
  };
}

/** The start message a worker gets (its only message). */
export interface WorkerStart {
  /** The shared memory. */
  readonly memory: SharedArrayBuffer;
  /** How many workers share it. */
  readonly workers: number;
  /** This worker's index (its completion ring). */
  readonly index: number;
  /** Workers below this index are eager, the others spares. */
  readonly eager: number;
}

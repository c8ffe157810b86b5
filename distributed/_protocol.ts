// Copyright 2026 the @concurrent/futures authors. MIT license.
// What the client (`QueueExecutor`) and the worker (`serveQueue`) agree on:
// the job data, the result payload, key and channel names, and timings.

// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import type { WireError } from "../executors/_errors_wire.ts";
import type { Retry } from "../executors/_retry.ts";
import type { Encoded } from "./_codec.ts";

/** The default queue name. */
export const DEFAULT_QUEUE = "concurrent-futures";
/** BullMQ's default key prefix, which both sides use. */
export const PREFIX = "bull";
/** The BullMQ job name of every job. */
export const JOB_NAME = "task";
/**
 * A worker's lock on a job: a SIGKILLed worker's job runs again after the
 * lock expired and the next stalled check ran, well within the contract's
 * 15 s (BullMQ's defaults, 30 s + 30 s, are not).
 */
export const LOCK_DURATION = 5000;
/** Seconds a finished job stays in Redis, for the client's poll fallback. */
export const KEEP_FINISHED = 300;
/**
 * The events stream's length: BullMQ's 10,000 (~3 entries a job) drops
 * results of a burst of a few thousand jobs before a slow client reads them.
 */
export const EVENTS_MAX_LEN = 200_000;

/** The data of one job (BullMQ stores it as JSON). */
export interface JobData {
  /** The task's module URL. */
  m: string;
  /** The export's name. */
  x: string;
  /** The encoded argument list (a chunk: the encoded items). */
  a: Encoded;
  /** 1 for a `map` chunk: run the task once per item. */
  c?: 1;
  /** Runs allowed in all (`maxAttempts`). */
  r: number;
  /** The `retry` option: BullMQ retries with this backoff (`BACKOFF`). */
  t?: Retry;
  /** 1 when the client listens to the task's `progress()` values. */
  p?: 1;
}

/** The custom BullMQ backoff type of jobs with a `retry` option. */
export const BACKOFF = "cf-retry";

/**
 * BullMQ's priority for a `priority` option: the contract's `nice`-like
 * value (lower first, default 0) shifted into BullMQ's 1..2^21 (lower
 * first), so that negative values go before the default too.
 */
export function bullPriority(priority: number): number {
  return Math.min(
    PRIORITY_LIMIT,
    Math.max(1, Math.round(priority) + PRIORITY_ZERO),
  );
}

/** BullMQ's highest priority number. */
const PRIORITY_LIMIT = 2_097_152;
/** Where the default priority 0 lands in BullMQ's range. */
const PRIORITY_ZERO = 1_048_576;

/** A `progress()` value as BullMQ job progress: `{ cf: encoded }`. */
export interface ProgressData {
  cf: Encoded;
}

/**
 * A job's outcome, encoded as the job's return value. A task's own error is
 * a result too, not a BullMQ failure, so that BullMQ never retries it.
 */
export type Outcome =
  | { ok: true; value: unknown }
  | { ok: false; error: WireError };

/**
 * A chunk's outcome: the values of the items that succeeded, in order, and
 * the error of the first one that failed (the items after it did not run).
 */
export type ChunkOutcome = { values: unknown[]; error?: WireError };

/** The pub/sub channel on which clients ask workers to stop a job. */
export function cancelChannel(queue: string): string {
  return `${PREFIX}:${queue}:cf:cancel`;
}

/** The Redis key of a job's hash. */
export function jobKey(queue: string, id: string): string {
  return `${PREFIX}:${queue}:${id}`;
}

/** The Redis key of the queue's events stream. */
export function eventsKey(queue: string): string {
  return `${PREFIX}:${queue}:events`;
}

/** Checks a `connection` option and returns it as a string. */
export function validateConnection(value: unknown): string {
  if (typeof value !== "string" && !(value instanceof URL)) {
    throw new TypeError("'connection' must be a string or a URL");
  }
  const url = new URL(String(value));
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new TypeError(
      `'connection' must be a redis:// or rediss:// URL, got "${url.protocol}"`,
    );
  }
  return url.href;
}

/** Checks a `queue` option. */
export function validateQueue(value: unknown): string {
  if (value === undefined) return DEFAULT_QUEUE;
  if (typeof value !== "string" || value === "" || value.includes(":")) {
    throw new TypeError("'queue' must be a non-empty string without ':'");
  }
  return value;
}

/** The server's address for messages: the URL without its credentials. */
export function addressOf(connection: string): string {
  const url = new URL(connection);
  return `${url.protocol}//${url.host}${
    url.pathname === "/" ? "" : url.pathname
  }`;
}

/**
 * A Redis client for BullMQ: credentials and TLS (`rediss:`) come from the
 * URL; commands wait through a reconnection (`maxRetriesPerRequest: null`,
 * which BullMQ requires) rather than fail.
 */
export function connect(connection: string, name: string): Redis {
  const client = new Redis(connection, {
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    connectionName: name,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
  });
  // Errors are reported through the callers' own channels (the client's
  // watchdog, the worker's log); an unhandled "error" would end the process.
  client.on("error", () => {});
  return client;
}

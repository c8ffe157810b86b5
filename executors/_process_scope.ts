// Copyright 2026 the @concurrent/futures authors. MIT license.
// Makes a child process's global scope look like a worker's to the worker
// runtime (_worker.ts), which it must do before the runtime loads: the
// runtime binds `postMessage`, `close` and `Deno.exit` as it starts. One
// runtime, two transports: here `postMessage` writes a frame to stdout and
// the host's frames arrive as `message` events (see _process_main.ts).

import { cloneThroughFrame, encodeFrame } from "./_frames.ts";
import { Claims } from "./_process_claims.ts";

const stdout = Deno.stdout;
const writeStdout = stdout.writeSync.bind(stdout);
const stderr = Deno.stderr;

/** Ends the process (the real `Deno.exit`, before the runtime wraps it). */
export const exit: (code?: number) => never = Deno.exit.bind(Deno);

/** Writes all of `bytes` to the host. */
function send(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.byteLength) {
    offset += writeStdout(bytes.subarray(offset));
  }
}

const scope = globalThis as unknown as Record<string, unknown>;

// Arguments: the worker's name, then (when the pool could make one) the
// claims file and the permissions granted only for it.
const [name = "", claimsPath, granted] = Deno.args;

// `self.name` is the worker's name, as in a Web Worker.
scope.name = name;

/** The claims file shared with the pool, opened before any task runs. */
export const claims: Claims | undefined = claimsPath === undefined
  ? undefined
  : new Claims(Deno.openSync(claimsPath, { read: true, write: true }));
// Granted for the pool's sake only: no task may touch the file.
for (const permission of granted?.split(",") ?? []) {
  if (permission !== "read" && permission !== "write") continue;
  Deno.permissions.revokeSync({ name: permission, path: claimsPath });
}

scope.postMessage = (message: unknown): void => send(encodeFrame(message));

// A worker's `self.close()` ends it at once: nothing it sends afterwards
// arrives. Deno's own `close()` would let the current task finish first.
scope.close = (): never => exit(0);

// The runtime checks whether a result can be sent with structuredClone:
// here that must mean "through a frame" (e.g. a SharedArrayBuffer clones
// between threads, not between processes).
const nativeClone = globalThis.structuredClone;
scope.structuredClone = <T>(value: T, options?: StructuredSerializeOptions) =>
  options?.transfer?.length ? nativeClone(value, options) : cloneThroughFrame(
    value,
  );

// stdout carries the frames: what a task prints goes to stderr instead.
for (const method of ["log", "info", "debug", "dir", "dirxml", "table"]) {
  (console as unknown as Record<string, unknown>)[method] = console.error;
}
const out = stdout as unknown as Record<string, unknown>;
out.write = (bytes: Uint8Array) => stderr.write(bytes);
out.writeSync = (bytes: Uint8Array) => stderr.writeSync(bytes);

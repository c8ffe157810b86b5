// Copyright 2026 the @concurrent/futures authors. MIT license.

import {
  WorkerPoolExecutor,
  type WorkerPoolExecutorOptions,
} from "./worker_pool_executor.ts";
import { kBackend, type PoolBackend } from "./_channel.ts";
import { processChannel, type ProcessConfig } from "./_process_channel.ts";
import { memoryFlags, permissionFlags } from "./_process_flags.ts";
import { validateInteger, validateOptions } from "./_validate.ts";
import { cloneThroughFrame } from "./_frames.ts";

/** Options for the {@linkcode ProcessPoolExecutor} constructor. */
export interface ProcessPoolExecutorOptions
  extends Omit<WorkerPoolExecutorOptions, "permissions"> {
  /**
   * Each child's permissions, given to it as `deno run` flags (no
   * `--unstable-worker-options` needed): `"inherit"`, `"none"` or a
   * `Deno.PermissionOptionsObject` (a key left out is inherited). Inherited
   * means what this process holds in full (`Deno.permissions.query`); a
   * grant limited to some paths or hosts cannot be read back, so give it
   * explicitly (`{ read: ["/data"] }`). Default `"inherit"`.
   */
  permissions?: Deno.PermissionOptions;
  /**
   * MiB of JavaScript heap per child (V8's `--max-old-space-size`). A task
   * that allocates past it kills its child: it fails with
   * `WorkerCrashedError`, whose `cause` says the limit was exceeded, and the
   * pool goes on with a new child. Default: V8's own limit.
   */
  maxMemory?: number;
}

/**
 * Runs tasks in child Deno processes: Python's `ProcessPoolExecutor`. Each
 * worker is a `deno run` of this module's worker runtime
 * (`Deno.execPath()`), so a task can be killed, limited and sandboxed:
 *
 * - Stopping a running task (`cancel({ force: true })`, an aborted
 *   `signal`, a `timeout`) aborts its `currentTask().signal` (by a message:
 *   processes share no memory, so a loop that never yields does not see
 *   it) and, unless the task ends within `stopGrace`, kills its process
 *   (SIGTERM, then SIGKILL after 200 ms), even a task stuck in `while (true)
 *   {}`, which a thread cannot stop (see {@linkcode WorkerPoolExecutor}).
 * - `maxMemory` caps each child's heap; `permissions` become its flags.
 * - A child that dies (killed, out of memory, `Deno.exit()`) fails the tasks
 *   it had started with `WorkerCrashedError`, whose `cause` says why; those
 *   it had not started run on another child.
 *
 * Everything else is {@linkcode WorkerPoolExecutor}'s, with the same
 * options, tasks, errors, `map`, `stats()` and lifecycle: it is that pool
 * with processes for workers. Values cross as `node:v8` serialisation,
 * which carries what `structuredClone` does; a `SharedArrayBuffer` cannot
 * cross processes (`DataCloneError`), and `run`'s `transfer` list is
 * honoured as a move (detached at the call, copied to the child).
 *
 * Sending ahead works as on threads, and `cancel()` of a task sent ahead
 * but not started still holds: processes share no memory, so the child
 * claims each task, and the pool revokes one, through a small temporary
 * file (its path readable by the child only until it has opened it). Where
 * the file cannot be created (no write access to the temp directory), a
 * child is sent at most one task beyond `concurrentTasksPerWorker`, which
 * is slower for tiny tasks but just as truthful.
 *
 * A task's `console.log` goes to this process's stderr (stdout carries the
 * frames). Children end when their stdin closes, so none outlives this
 * process (on Linux, where `setpriv` is installed, the kernel also kills a
 * busy child whose parent died). Idle children do not keep the program
 * alive. Needs `--allow-run`, which lets a program start any process (so it
 * is as strong as `--allow-all`), and, for module tasks from files, read
 * access granted to the children.
 *
 * @example Usage
 * ```ts
 * import { ProcessPoolExecutor, TimeoutError } from "@concurrent/futures";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
 * assertEquals(await pool.submit((n: number) => n * 2, 21), 42);
 * // A runaway task is really stopped: its process is killed.
 * const stuck = pool.run(() => {
 *   while (true) {
 *     // spin: a thread could not stop this
 *   }
 * }, [], { timeout: 100 });
 * await assertRejects(() => stuck.result(), TimeoutError);
 * ```
 */
export class ProcessPoolExecutor extends WorkerPoolExecutor {
  /**
   * Constructs a new pool. No child starts until there is work.
   *
   * @param options The pool's options: every option of
   * {@linkcode WorkerPoolExecutor}, plus `maxMemory`.
   * @throws {RangeError} A numeric option is out of range (`maxMemory` not
   * an integer >= 1, `maxWorkers` not an integer >= 1, ...).
   * @throws {TypeError} An option has the wrong type.
   * @throws {DOMException} `initargs` cannot be cloned (`DataCloneError`).
   *
   * @example Usage
   * ```ts
   * import { ProcessPoolExecutor } from "@concurrent/futures";
   * import { assertEquals } from "@std/assert";
   *
   * await using pool = new ProcessPoolExecutor({
   *   maxWorkers: 1,
   *   maxMemory: 256,
   *   permissions: "none",
   * });
   * assertEquals(await pool.submit(() => Deno.pid !== 0), true);
   * ```
   */
  constructor(options?: ProcessPoolExecutorOptions) {
    const opts = validateOptions(options);
    const maxMemory = validateInteger(opts.maxMemory, "maxMemory", 1);
    // What a child is sent must cross a pipe, not only a thread boundary.
    if (Array.isArray(opts.initargs)) cloneThroughFrame(opts.initargs);
    const config: ProcessConfig = { flags: [], maxMemory };
    const backend: PoolBackend = {
      kind: "ProcessPoolExecutor",
      channel: processChannel(config),
    };
    super({ ...opts, [kBackend]: backend } as WorkerPoolExecutorOptions);
    config.flags = [
      ...permissionFlags(opts.permissions),
      ...memoryFlags(maxMemory),
    ];
  }
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// Revoking a task sent ahead to a child process, without a message.
//
// Between threads the pool and the worker settle who wins a task sent ahead
// with one compareExchange on shared memory (see _protocol.ts). Processes
// share no memory, but they can share a small file: per task slot, two
// int32s, `claimed` (written by the child) and `revoked` (written by the
// pool), each holding the generation of the task (how many tasks that slot
// has carried, counted by both sides in the order the tasks were sent).
//
// It is Dekker's handshake, with each read and write a system call on one
// file (so each is seen by the other process in program order):
//
// - the child writes `claimed = g`, then reads `revoked`: it starts the task
//   unless `revoked == g`;
// - the pool writes `revoked = g`, then reads `claimed`: the revoke holds
//   unless `claimed == g`.
//
// If the pool sees `claimed != g`, the child's write came later, so its read
// will see the revoke: the task never starts, and cancel() is true to its
// word. If the pool sees `claimed == g`, it treats the task as started; the
// child may still have read `revoked` after the pool wrote it and skipped
// the task, in which case it answers SKIPPED and the pool runs the task
// elsewhere, as it would any task a worker did not start. Never both.
//
// A claim costs the child three system calls (~3 µs), a revoke the pool
// three; no lock, no message, and a busy child does not need to listen.

import { SLOT_COUNT } from "./_protocol.ts";

const ENTRY = 8;

/** The file's size in bytes. */
export const CLAIMS_SIZE: number = SLOT_COUNT * ENTRY;

/** One side of the claims file. */
export class Claims {
  readonly #file: Deno.FsFile;
  readonly #generations = new Int32Array(SLOT_COUNT);
  readonly #word = new Uint8Array(4);
  readonly #view = new DataView(this.#word.buffer);

  /** @param file The claims file, open for reading and writing. */
  constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /** Counts a task sent (pool) or received (child) in `slot`. */
  sent(slot: number): void {
    this.#generations[slot]++;
  }

  /** Child: whether the task in `slot` may start (it was not revoked). */
  claim(slot: number): boolean {
    const generation = this.#generations[slot];
    this.#file.seekSync(slot * ENTRY, Deno.SeekMode.Start);
    this.#write(generation);
    return this.#read() !== generation; // `revoked` follows `claimed`
  }

  /** Pool: takes back the task in `slot` unless the child may have started it. */
  revoke(slot: number): boolean {
    const generation = this.#generations[slot];
    this.#file.seekSync(slot * ENTRY + 4, Deno.SeekMode.Start);
    this.#write(generation);
    this.#file.seekSync(slot * ENTRY, Deno.SeekMode.Start);
    return this.#read() !== generation;
  }

  /** Closes the file. */
  close(): void {
    try {
      this.#file.close();
    } catch {
      // Already closed.
    }
  }

  #write(value: number): void {
    this.#view.setInt32(0, value, true);
    if (this.#file.writeSync(this.#word) !== 4) {
      throw new Error("A task claim could not be written");
    }
  }

  #read(): number {
    if (this.#file.readSync(this.#word) !== 4) {
      throw new Error("A task claim could not be read");
    }
    return this.#view.getInt32(0, true);
  }
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// One I/O worker of the "threads" backend: what glibc's AIO threads do, on a
// loop over shared memory (_threads_layout.ts). It claims operations from
// the shared request ring, does each with blocking positional I/O (seekSync,
// then readSync/writeSync) on handles of its own, appends the slot to its
// completion ring and bumps the global completion count. It wakes the JS
// thread only while that thread waits, and then in batches when more work is
// queued (the JS thread will find the rest when it drains), at once when the
// ring is empty. It sleeps in Atomics.wait; no message after the first. A
// spare (index >= eager) sleeps on SPARE instead of PUBLISHED: it is woken
// only while operations are slow (a disk) and requests wait, by the JS
// thread when it publishes or by a worker that just finished a slow one.

import { errorCode } from "./_deno_backend.ts";
import { seekFor } from "./_positional.ts";
import {
  CHUNK,
  CLAIMED,
  completionsOf,
  DONE,
  EPOCH,
  errorIndex,
  F_APPEND,
  F_FLAGS,
  F_GEN,
  F_PATH_LEN,
  F_READ,
  F_SEEKABLE,
  F_WRITE,
  FILE_WORDS,
  type Layout,
  layoutFor,
  OP_FDATASYNC,
  OP_FSYNC,
  OP_READ,
  OP_WRITE,
  PATH_MAX,
  PUBLISHED,
  REQUESTS,
  S_ERROR,
  S_FILE,
  S_GEN,
  S_LEN,
  S_OP,
  S_RESULT,
  SLEEPERS,
  SLOT_WORDS,
  SLOTS,
  SLOW,
  SLOW_MS,
  SPARE,
  SPARE_SLEEPERS,
  STOP,
  WAITING,
  type WorkerStart,
} from "./_threads_layout.ts";

// Completions held back from the JS thread while more work is queued.
const BATCH = 4;
// No spinning before Atomics.wait: on 2 cores, a worker polling for the next
// request takes the CPU the JS thread needs to issue it (QD1 fell to 0.4x).

interface Handle {
  gen: number;
  file: Deno.FsFile;
}

class FileError extends Error {
  code: string;
  constructor(code: string) {
    super(code);
    this.code = code;
  }
}

function run({ memory, workers, index, eager }: WorkerStart): void {
  const i32 = new Int32Array(memory);
  const f64 = new Float64Array(memory);
  const u8 = new Uint8Array(memory);
  const layout: Layout = layoutFor(workers);
  const ring = completionsOf(index);
  const handles = new Map<number, Handle>();
  const decoder = new TextDecoder();
  let epoch = Atomics.load(i32, EPOCH);
  let head = 0;
  let unannounced = 0;
  const spare = index >= eager;

  const fileWord = (file: number, field: number) =>
    layout.files + file * FILE_WORDS + field;

  function dropStale(): void {
    for (const [file, handle] of handles) {
      if (Atomics.load(i32, fileWord(file, F_GEN)) !== handle.gen) {
        handles.delete(file);
        handle.file.close();
      }
    }
  }

  function handleOf(file: number, gen: number): Deno.FsFile {
    const held = handles.get(file);
    if (held !== undefined && held.gen === gen) return held.file;
    if (held !== undefined) {
      handles.delete(file);
      held.file.close();
    }
    const flags = i32[fileWord(file, F_FLAGS)];
    const pathStart = layout.paths + file * PATH_MAX;
    const path = decoder.decode(
      u8.slice(pathStart, pathStart + i32[fileWord(file, F_PATH_LEN)]),
    );
    const opened = Deno.openSync(path, {
      read: (flags & F_READ) !== 0,
      write: (flags & F_WRITE) !== 0,
      append: (flags & F_APPEND) !== 0,
    });
    const { dev, ino } = opened.statSync();
    // The path may name another file now (renamed, replaced): never use it.
    if (
      dev !== f64[layout.identities + 2 * file] ||
      (ino ?? -1) !== f64[layout.identities + 2 * file + 1]
    ) {
      opened.close();
      throw new FileError("ESTALE");
    }
    // The file may have closed while it was being opened.
    if (Atomics.load(i32, fileWord(file, F_GEN)) !== gen) {
      opened.close();
      throw new FileError("EBADF");
    }
    handles.set(file, { gen, file: opened });
    return opened;
  }

  // Returns the bytes moved; throws for an error.
  function perform(slot: number): number {
    const base = layout.slots + slot * SLOT_WORDS;
    const op = i32[base + S_OP];
    const file = i32[base + S_FILE];
    const handle = handleOf(file, i32[base + S_GEN]);
    const flags = i32[fileWord(file, F_FLAGS)];
    const start = layout.staging + slot * CHUNK;
    const bytes = u8.subarray(start, start + i32[base + S_LEN]);
    const offset = f64[layout.offsets + slot];
    switch (op) {
      case OP_READ:
        if (
          (flags & F_SEEKABLE) !== 0 &&
          seekFor(handle, offset, "read") === 0
        ) return 0;
        return handle.readSync(bytes) ?? 0;
      case OP_WRITE:
        if (
          (flags & (F_SEEKABLE | F_APPEND)) === F_SEEKABLE &&
          seekFor(handle, offset, "write") !== undefined
        ) throw new FileError("EFBIG");
        return handle.writeSync(bytes);
      case OP_FSYNC:
        handle.syncSync();
        return 0;
      case OP_FDATASYNC:
        handle.syncDataSync();
        return 0;
    }
    throw new FileError("EINVAL");
  }

  function announce(): void {
    unannounced = 0;
    Atomics.notify(i32, DONE);
  }

  for (;;) {
    if (Atomics.load(i32, STOP) !== 0) break;
    const seen = Atomics.load(i32, EPOCH);
    if (seen !== epoch) {
      epoch = seen;
      dropStale();
    }
    const claimed = Atomics.load(i32, CLAIMED);
    const published = Atomics.load(i32, PUBLISHED);
    if (claimed === published) {
      if (unannounced > 0 && Atomics.load(i32, WAITING) !== 0) announce();
      unannounced = 0;
      // A spare sleeps on SPARE, read before the check: a bump after it
      // makes the wait return at once.
      const word = spare ? SPARE : PUBLISHED;
      const sleepers = spare ? SPARE_SLEEPERS : SLEEPERS;
      const seen = spare ? Atomics.load(i32, SPARE) : published;
      Atomics.add(i32, sleepers, 1);
      if (
        Atomics.load(i32, PUBLISHED) === published &&
        Atomics.load(i32, STOP) === 0
      ) {
        // The timeout only guards against a lost wake-up.
        Atomics.wait(i32, word, seen, 1000);
      }
      Atomics.sub(i32, sleepers, 1);
      continue;
    }
    // Read the entry before claiming it: the JS thread rewrites it only
    // after CLAIMED has passed it.
    const slot = Atomics.load(i32, REQUESTS + (claimed & (SLOTS - 1)));
    if (
      Atomics.compareExchange(i32, CLAIMED, claimed, (claimed + 1) | 0) !==
        claimed
    ) {
      continue;
    }
    const base = layout.slots + slot * SLOT_WORDS;
    const started = performance.now();
    try {
      i32[base + S_RESULT] = perform(slot);
    } catch (error) {
      i32[base + S_RESULT] = -1;
      i32[base + S_ERROR] = errorIndex(
        error instanceof FileError ? error.code : errorCode(error),
      );
    }
    Atomics.store(i32, ring + 1 + (head & (SLOTS - 1)), slot);
    head = (head + 1) | 0;
    Atomics.store(i32, ring, head);
    Atomics.add(i32, DONE, 1);
    unannounced++;
    const slow = performance.now() - started > SLOW_MS;
    if (Atomics.load(i32, SLOW) !== (slow ? 1 : 0)) {
      Atomics.store(i32, SLOW, slow ? 1 : 0);
    }
    const queued = Atomics.load(i32, CLAIMED) !== Atomics.load(i32, PUBLISHED);
    // Slow operations and requests waiting: a spare adds a read at the disk.
    if (slow && queued && Atomics.load(i32, SPARE_SLEEPERS) > 0) {
      Atomics.add(i32, SPARE, 1);
      Atomics.notify(i32, SPARE, 1);
    }
    if (
      Atomics.load(i32, WAITING) !== 0 &&
      (unannounced >= BATCH ||
        // A slow operation (the disk, not the page cache): holding it back
        // for a batch would leave its lane idle that long.
        slow || !queued)
    ) {
      announce();
    }
  }
  for (const handle of handles.values()) handle.file.close();
  handles.clear();
}

// The worker's global scope, typed here (the module is type-checked with
// the window's types).
interface WorkerScope {
  addEventListener(
    type: "message",
    listener: (event: MessageEvent<WorkerStart>) => void,
    options: { once: boolean },
  ): void;
  close(): void;
}

const scope = globalThis as unknown as WorkerScope;
scope.addEventListener("message", (event) => {
  run(event.data);
  scope.close();
}, { once: true });

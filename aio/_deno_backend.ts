// Copyright 2026 the @concurrent/futures authors. MIT license.
// The "deno" backend: a pool of Deno.FsFile handles on one file. Deno has no
// positional read or write, and a seek followed by a read on one handle must
// not interleave with another request's seek, so each operation borrows a
// handle for its whole duration. The pool grows on demand (to the queue
// depth) so independent requests really run in parallel. The seek is
// synchronous: one async op per request instead of two is what reaches
// Node's speed.

import type {
  Backend,
  BackendFile,
  BackendOp,
  Completion,
} from "./_backend.ts";
import { seekFor } from "./_positional.ts";
import { AioError } from "./aio_error.ts";

// Linux errno numbers of the errors Deno reports without a `code`.
const LINUX_ERRNO: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  5: "EIO",
  6: "ENXIO",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  19: "ENODEV",
  21: "EISDIR",
  22: "EINVAL",
  27: "EFBIG",
  28: "ENOSPC",
  29: "ESPIPE",
  30: "EROFS",
  32: "EPIPE",
  75: "EOVERFLOW",
  95: "EOPNOTSUPP",
  122: "EDQUOT",
};

/** Maps a Deno or OS error to the POSIX error name to report. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) return code;
  const errno = /\(os error (\d+)\)/.exec(String((error as Error)?.message));
  if (errno !== null && Deno.build.os === "linux") {
    const name = LINUX_ERRNO[Number(errno[1])];
    if (name !== undefined) return name;
  }
  if (error instanceof Deno.errors.BadResource) return "EBADF";
  if (
    error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable
  ) {
    return "EACCES";
  }
  return "EIO";
}

/** The access flags an extra handle is opened with (never create/truncate). */
function accessOf(options: Deno.OpenOptions): Deno.OpenOptions {
  return {
    read: options.read ?? false,
    write: options.write ?? false,
    append: options.append ?? false,
  };
}

class DenoFile implements BackendFile {
  #path: string | URL;
  #access: Deno.OpenOptions;
  #append: boolean;
  #seekable: boolean;
  #max: number;
  #identity: { dev: number; ino: number | null };
  #handles: Deno.FsFile[];
  #idle: Deno.FsFile[];
  #opening = 0;
  #busy = 0;
  // Each with its buffer's length at start: it may be detached or shrunk
  // while the operation waits for a handle.
  #waiting: [BackendOp, Completion, number][] = [];
  #closing = false;
  #drained: PromiseWithResolvers<void> | undefined;
  #closed: Promise<void> | undefined;

  constructor(
    first: Deno.FsFile,
    path: string | URL,
    options: Deno.OpenOptions,
    max: number,
  ) {
    this.#path = path;
    this.#access = accessOf(options);
    this.#append = options.append ?? false;
    this.#seekable = isSeekable(first);
    // A pipe, socket or terminal has no positions: as glibc does on
    // ESPIPE, ignore the offset, and keep one handle so requests stay in
    // order.
    this.#max = this.#seekable ? max : 1;
    const { dev, ino } = first.statSync();
    this.#identity = { dev, ino };
    this.#handles = [first];
    this.#idle = [first];
  }

  start(op: BackendOp, done: Completion): void {
    if (this.#closing) {
      queueMicrotask(() => done(-1, "EBADF"));
      return;
    }
    const handle = this.#idle.pop();
    if (handle !== undefined) {
      this.#run(handle, op, done);
      return;
    }
    this.#waiting.push([op, done, op.buffer.byteLength]);
    while (
      this.#waiting.length > this.#opening &&
      this.#handles.length + this.#opening < this.#max
    ) {
      this.#grow();
    }
  }

  close(): Promise<void> {
    this.#closing = true;
    this.#closed ??= this.#drain().then(() => {
      for (const handle of this.#handles) handle.close();
      this.#handles = this.#idle = [];
    });
    return this.#closed;
  }

  #drain(): Promise<void> {
    if (this.#busy === 0 && this.#waiting.length === 0 && this.#opening === 0) {
      return Promise.resolve();
    }
    this.#drained ??= Promise.withResolvers();
    return this.#drained.promise;
  }

  #settled(): void {
    if (
      this.#drained !== undefined && this.#busy === 0 &&
      this.#waiting.length === 0 && this.#opening === 0
    ) {
      this.#drained.resolve();
    }
  }

  #run(
    handle: Deno.FsFile,
    op: BackendOp,
    done: Completion,
    length = op.buffer.byteLength,
  ): void {
    this.#busy++;
    let pending: Promise<number | null | void>;
    try {
      if (op.buffer.byteLength < length) {
        throw new AioError("EFAULT", "The buffer was detached or shrunk");
      }
      pending = this.#perform(handle, op);
    } catch (error) {
      // A synchronous failure (the seek) still completes asynchronously.
      pending = Promise.reject(error);
    }
    pending.then(
      (n) => {
        this.#release(handle);
        done(typeof n === "number" ? n : 0);
      },
      (error) => {
        this.#release(handle);
        done(-1, errorCode(error));
      },
    );
  }

  #perform(
    handle: Deno.FsFile,
    op: BackendOp,
  ): Promise<number | null | void> {
    switch (op.opcode) {
      case "read":
        // Past the largest file: nothing to read, as pread says.
        if (this.#seekable && seekFor(handle, op.offset, "read") === 0) {
          return Promise.resolve(0);
        }
        return handle.read(op.buffer);
      case "write":
        // O_APPEND ignores the position and appends each write whole.
        if (
          this.#seekable && !this.#append &&
          seekFor(handle, op.offset, "write") !== undefined
        ) {
          throw new AioError("EFBIG", "The offset is past the largest file");
        }
        return handle.write(op.buffer);
      case "fsync":
        return handle.sync();
      case "fdatasync":
        return handle.syncData();
    }
  }

  #release(handle: Deno.FsFile): void {
    this.#busy--;
    const next = this.#waiting.shift();
    if (next !== undefined) {
      this.#run(handle, next[0], next[1], next[2]);
    } else {
      this.#idle.push(handle);
      this.#settled();
    }
  }

  async #grow(): Promise<void> {
    this.#opening++;
    let handle: Deno.FsFile | undefined;
    try {
      handle = await Deno.open(this.#path, this.#access);
      const { dev, ino } = handle.statSync();
      // The path may now name another file (renamed, replaced): never use it.
      if (dev !== this.#identity.dev || ino !== this.#identity.ino) {
        handle.close();
        handle = undefined;
      }
    } catch {
      handle = undefined;
    }
    this.#opening--;
    if (handle === undefined || this.#closing) {
      handle?.close();
      // Stop growing; the handles we have serve the waiting operations.
      if (handle === undefined) this.#max = this.#handles.length;
      this.#settled();
      return;
    }
    this.#handles.push(handle);
    const next = this.#waiting.shift();
    if (next !== undefined) this.#run(handle, next[0], next[1], next[2]);
    else this.#idle.push(handle);
  }
}

function isSeekable(file: Deno.FsFile): boolean {
  try {
    file.seekSync(0, Deno.SeekMode.Current);
    return true;
  } catch {
    return false;
  }
}

async function realPath(path: string | URL): Promise<string | URL> {
  try {
    return await Deno.realPath(path);
  } catch {
    // No read permission, say: the identity check still guards the reopen.
    return path;
  }
}

/** Deno's async file APIs, with a handle pool per file. */
export const denoBackend: Backend = {
  name: "deno",
  async open(
    path: string | URL,
    options: Deno.OpenOptions,
    queueDepth: number,
  ): Promise<BackendFile> {
    const first = await Deno.open(path, options);
    try {
      // Reopen by absolute, resolved path: the working directory may change.
      return new DenoFile(first, await realPath(path), options, queueDepth);
    } catch (error) {
      first.close();
      throw error;
    }
  },
};

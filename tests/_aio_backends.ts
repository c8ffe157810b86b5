// Copyright 2026 the @concurrent/futures authors. MIT license.
// The aio suite runs once per backend that can run here. Every aio test file
// registers its tests with `aioTest`, which sets the backend (and any
// settings the test needs) at the start and restores the previous settings
// after, since aioInit is process-wide state.

import {
  type AioCb,
  aioError,
  aioInit,
  type AioInitOptions,
  aioSuspend,
} from "../mod.ts";

/** A backend the aio tests run against. */
export type BackendName = "deno" | "threads" | "io_uring" | "linux-aio";

function available(): BackendName[] {
  const found: BackendName[] = ["deno", "threads"];
  const before = aioInit();
  for (const backend of ["io_uring", "linux-aio"] as const) {
    try {
      aioInit({ backend });
      found.push(backend);
    } catch (error) {
      console.log(
        `aio tests: ${backend} pass skipped: ${(error as Error).message}`,
      );
    } finally {
      aioInit({ backend: before.backend });
    }
  }
  return found;
}

/** The backends to test: "deno", "threads", plus "io_uring" and "linux-aio"
 * where they can run. */
export const backends: readonly BackendName[] = available();

/** What an aio test receives. */
export interface AioTestContext {
  /** The backend in force for this run. */
  backend: BackendName;
  /** Deno's test context. */
  t: Deno.TestContext;
}

/**
 * Registers `fn` once per backend, named `name [backend]`. `init` is applied
 * with the backend; the previous settings are restored after.
 */
export function aioTest(
  name: string,
  fn: (ctx: AioTestContext) => Promise<void> | void,
  init: Omit<AioInitOptions, "backend"> = {},
): void {
  for (const backend of backends) {
    Deno.test(`${name} [${backend}]`, async (t) => {
      const before = aioInit();
      aioInit({ ...init, backend });
      try {
        await fn({ backend, t });
      } finally {
        aioInit(before);
      }
    });
  }
}

/** A temporary file, removed on dispose. */
export interface TempFile extends AsyncDisposable {
  /** Its path. */
  readonly path: string;
}

/** Creates a temporary file holding `content` (default: empty). */
export async function tempFile(content?: Uint8Array): Promise<TempFile> {
  const path = await Deno.makeTempFile({ prefix: "aio_test_" });
  if (content !== undefined) await Deno.writeFile(path, content);
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path).catch(() => {});
    },
  };
}

/** A temporary directory, removed with its contents on dispose. */
export async function tempDir(): Promise<TempFile> {
  const path = await Deno.makeTempDir({ prefix: "aio_test_" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** `n` bytes, byte `i` being `(seed + i) % 251`: easy to check, not zeros. */
export function pattern(n: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (seed + i) % 251;
  return bytes;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Waits until none of `cbs` is in progress (with aioSuspend). */
export async function settle(cbs: readonly AioCb[]): Promise<void> {
  for (;;) {
    const pending = cbs.filter((cb) => aioError(cb) === "EINPROGRESS");
    if (pending.length === 0) return;
    await aioSuspend(pending);
  }
}

/** A named pipe with its write end open, removed on dispose. */
export interface Fifo extends AsyncDisposable {
  /** Its path (open it for reading with aioOpen). */
  readonly path: string;
  /** Writes to it, which ends a read blocked on it. */
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * Makes a named pipe: a read from it stays in flight until `write`, which
 * lets a test hold a request in flight without any timing.
 * `open` opens the read end (it blocks until a writer exists).
 */
export async function fifo<T>(
  open: (path: string) => Promise<T>,
): Promise<[Fifo, T]> {
  const dir = await Deno.makeTempDir({ prefix: "aio_test_" });
  const path = `${dir}/fifo`;
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  if (!made.success) throw new Error("mkfifo failed");
  const [reader, writer] = await Promise.all([
    open(path),
    Deno.open(path, { write: true }),
  ]);
  return [{
    path,
    async write(bytes: Uint8Array) {
      let written = 0;
      while (written < bytes.length) {
        written += await writer.write(bytes.subarray(written));
      }
    },
    async [Symbol.asyncDispose]() {
      writer.close();
      await Deno.remove(dir, { recursive: true });
    },
  }, reader];
}

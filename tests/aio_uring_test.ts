// Copyright 2026 the @concurrent/futures authors. MIT license.
// The io_uring backend's own guarantees: memory safety (the kernel never
// writes into a user's buffer, and nothing is written after a request was
// cancelled or its file closed), the wait that never keeps a program alive,
// the ENOSYS answers, and a property test against an in-memory model. The
// shared aio suite runs on this backend too (tests/_aio_backends.ts).
//
// A FIFO gives reads that stay in flight until the test writes to it, which
// is how these tests hold a request in the kernel without timing anything.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { delay } from "@std/async";
import { toFileUrl } from "@std/path";
import type { BackendFile, BackendOp } from "../aio/_backend.ts";
import { uringBackend, uringUnavailable } from "../aio/_uring_backend.ts";
import {
  aioCancel,
  type AioCb,
  aioError,
  aioInit,
  aioOpen,
  aioRead,
  aioReturn,
  aioSuspend,
  aioWrite,
  lioListio,
} from "../mod.ts";

const reason = uringUnavailable();
const ignore = reason !== undefined;
if (ignore) console.log(`io_uring tests skipped: ${reason}`);

const SENTINEL = 0xa5;

/** Runs `fn` with the io_uring backend selected, restoring the settings. */
async function onUring(
  fn: () => Promise<void>,
  options: { queueDepth?: number; maxRequests?: number } = {},
): Promise<void> {
  const before = aioInit();
  aioInit({ backend: "io_uring", ...options });
  try {
    await fn();
  } finally {
    aioInit(before);
  }
}

/** A temporary FIFO, and a Deno handle on it to feed the backend's reads. */
async function withFifo(
  fn: (
    path: string,
    feed: (bytes: Uint8Array) => Promise<void>,
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/fifo`;
  try {
    const made = await new Deno.Command("mkfifo", { args: [path] }).output();
    assert(made.success, "mkfifo failed");
    // O_RDWR: opening a FIFO that way never waits for the other end.
    using writer = await Deno.open(path, { read: true, write: true });
    await fn(path, async (bytes) => {
      assertEquals(await writer.write(bytes), bytes.length);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Starts one operation on a backend file; resolves with its completion. */
function start(
  file: BackendFile,
  op: BackendOp,
): { ended: Promise<[number, string | undefined]>; calls: () => number } {
  let calls = 0;
  let settle!: (value: [number, string | undefined]) => void;
  const ended = new Promise<[number, string | undefined]>((r) => settle = r);
  file.start(op, (bytes, error) => {
    calls++;
    settle([bytes, error]);
  });
  return { ended, calls: () => calls };
}

function pattern(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed * 7 + 1) & 0xff;
  return bytes;
}

/** A macrotask: lets the kernel, the wait and any stray write happen. */
function tick(): Promise<void> {
  return delay(0);
}

Deno.test({
  name: "io_uring backend: reads, writes, fsync and errors through the seam",
  ignore,
  async fn() {
    const path = await Deno.makeTempFile();
    try {
      const backend = uringBackend();
      assertEquals(backend.name, "io_uring");
      const file = await backend.open(
        path,
        { read: true, write: true, truncate: true },
        16,
      );
      const data = pattern(10_000, 1);
      let synchronous = true;
      const write = start(file, { opcode: "write", buffer: data, offset: 0 });
      assertEquals(write.calls(), 0, "a completion is never synchronous");
      synchronous = false;
      assertEquals(await write.ended, [10_000, undefined]);
      assert(!synchronous);
      for (const opcode of ["fsync", "fdatasync"] as const) {
        const sync = start(file, {
          opcode,
          buffer: new Uint8Array(0),
          offset: 0,
        });
        assertEquals(await sync.ended, [0, undefined]);
      }
      const whole = new Uint8Array(10_000);
      const tail = new Uint8Array(100);
      const past = new Uint8Array(10);
      const empty = new Uint8Array(0);
      const reads = [
        start(file, { opcode: "read", buffer: whole, offset: 0 }),
        start(file, { opcode: "read", buffer: tail, offset: 9_950 }),
        start(file, { opcode: "read", buffer: past, offset: 20_000 }),
        start(file, { opcode: "read", buffer: empty, offset: 0 }),
      ];
      const results = await Promise.all(reads.map((r) => r.ended));
      assertEquals(results, [[10_000, undefined], [50, undefined], [
        0,
        undefined,
      ], [0, undefined]]);
      assertEquals(whole, data);
      assertEquals(tail.subarray(0, 50), data.subarray(9_950));
      assert(reads.every((r) => r.calls() === 1));
      await file.close();
      const late = start(file, { opcode: "read", buffer: whole, offset: 0 });
      assertEquals(await late.ended, [-1, "EBADF"]);

      const readOnly = await backend.open(toFileUrl(path), {
        read: true,
      }, 4);
      const denied = start(readOnly, {
        opcode: "write",
        buffer: data,
        offset: 0,
      });
      assertEquals(await denied.ended, [-1, "EBADF"]);
      await readOnly.close();
    } finally {
      await Deno.remove(path);
    }
  },
});

Deno.test({
  name:
    "io_uring backend: offsets beyond 4 GiB and reads beyond one staging size",
  ignore,
  async fn() {
    const path = await Deno.makeTempFile();
    try {
      const file = await uringBackend().open(
        path,
        { read: true, write: true },
        4,
      );
      const far = 5 * 2 ** 30 + 12_345; // sparse
      const big = pattern(3 << 20, 2);
      const results = await Promise.all([
        start(file, { opcode: "write", buffer: pattern(7, 3), offset: far })
          .ended,
        start(file, { opcode: "write", buffer: big, offset: 0 }).ended,
      ]);
      assertEquals(results, [[7, undefined], [3 << 20, undefined]]);
      const back = new Uint8Array(7);
      const bigBack = new Uint8Array(3 << 20);
      assertEquals(
        await Promise.all([
          start(file, { opcode: "read", buffer: back, offset: far }).ended,
          start(file, { opcode: "read", buffer: bigBack, offset: 0 }).ended,
        ]),
        [[7, undefined], [3 << 20, undefined]],
      );
      assertEquals(back, pattern(7, 3));
      assertEquals(bigBack, big);
      assertEquals((await Deno.stat(path)).size, far + 7);
      await file.close();
    } finally {
      await Deno.remove(path);
    }
  },
});

Deno.test({
  name: "aio on io_uring: buffers over a SharedArrayBuffer",
  ignore,
  async fn() {
    await onUring(async () => {
      const path = await Deno.makeTempFile();
      try {
        await using file = await aioOpen(path, { read: true, write: true });
        const shared = new Uint8Array(new SharedArrayBuffer(8192));
        shared.set(pattern(8192, 10));
        const write: AioCb = {
          file,
          offset: 0,
          buffer: shared.subarray(4096),
          opcode: "write",
        };
        await lioListio("wait", [write]);
        assertEquals(aioReturn(write), 4096);
        const back = new Uint8Array(new SharedArrayBuffer(4096 + 16));
        const read: AioCb = {
          file,
          offset: 100,
          buffer: back.subarray(16),
          opcode: "read",
        };
        await lioListio("wait", [read]);
        assertEquals(aioReturn(read), 3996);
        // Copies into plain ArrayBuffers, to compare like with like.
        const plain = (bytes: Uint8Array) => new Uint8Array(bytes);
        assertEquals(plain(back.subarray(0, 16)), new Uint8Array(16));
        assertEquals(
          plain(back.subarray(16, 16 + 3996)),
          plain(shared.subarray(4196)),
        );
      } finally {
        await Deno.remove(path);
      }
    });
  },
});

Deno.test({
  name: "aioOpen on io_uring: options and errors as Deno.open gives them",
  ignore,
  async fn() {
    await onUring(async () => {
      const dir = await Deno.makeTempDir();
      try {
        const path = `${dir}/f`;
        await Deno.writeTextFile(path, "0123456789");
        // createNew on an existing file; a missing file; a directory.
        const exists = await assertRejects(
          () => aioOpen(path, { write: true, createNew: true }),
          Deno.errors.AlreadyExists,
        );
        assertEquals((exists as { code?: string }).code, "EEXIST");
        const missing = await assertRejects(
          () => aioOpen(`${dir}/missing`),
          Deno.errors.NotFound,
        );
        assertEquals((missing as { code?: string }).code, "ENOENT");
        assertStringIncludes(missing.message, `${dir}/missing`);
        await assertRejects(
          () => aioOpen(dir, { write: true }),
          Deno.errors.IsADirectory,
        );
        // Option checks with Deno.open's own messages.
        for (
          const options of [{}, { truncate: true }, {
            read: true,
            create: true,
          }]
        ) {
          const ours = await assertRejects(() => aioOpen(path, options), Error);
          const deno = await assertRejects(
            () => Deno.open(path, options),
            Error,
          );
          assertEquals(ours.message, deno.message);
        }
        // truncate, create + mode, append.
        {
          await using file = await aioOpen(path, {
            write: true,
            truncate: true,
          });
          assertEquals(file.backend, "io_uring");
        }
        assertEquals(await Deno.readTextFile(path), "");
        {
          await using file = await aioOpen(`${dir}/new`, {
            write: true,
            createNew: true,
            mode: 0o600,
          });
          const cb = {
            file,
            offset: 0,
            buffer: new TextEncoder().encode("abc"),
          };
          aioWrite(cb);
          await aioSuspend([cb]);
          assertEquals(aioReturn(cb), 3);
        }
        assertEquals((await Deno.stat(`${dir}/new`)).mode! & 0o777, 0o600);
        {
          await using file = await aioOpen(`${dir}/new`, { append: true });
          const cb = {
            file,
            offset: 0,
            buffer: new TextEncoder().encode("def"),
          };
          aioWrite(cb);
          await aioSuspend([cb]);
          assertEquals(aioReturn(cb), 3);
        }
        assertEquals(await Deno.readTextFile(`${dir}/new`), "abcdef");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});

Deno.test({
  name: "io_uring backend: close cancels reads in flight (ASYNC_CANCEL); " +
    "their buffers are never written",
  ignore,
  async fn() {
    await withFifo(async (fifo, feed) => {
      const file = await uringBackend().open(
        fifo,
        { read: true, write: true },
        8,
      );
      const buffers = Array.from(
        { length: 4 },
        () => new Uint8Array(16).fill(SENTINEL),
      );
      const reads = buffers.map((buffer) =>
        start(file, { opcode: "read", buffer, offset: 0 })
      );
      await tick(); // the reads wait in the kernel for data
      await file.close();
      for (const read of reads) {
        assertEquals(read.calls(), 1);
        assertEquals(await read.ended, [-1, "ECANCELED"]);
      }
      // Data arriving now has no reader of ours left to land in.
      await feed(pattern(64, 4));
      await tick();
      for (const buffer of buffers) {
        assertEquals(buffer, new Uint8Array(16).fill(SENTINEL));
      }
    });
  },
});

Deno.test({
  name: "io_uring backend: close cancels more stuck reads than the rings hold",
  ignore,
  async fn() {
    await withFifo(async (fifo) => {
      const file = await uringBackend().open(
        fifo,
        { read: true, write: true },
        1024,
      );
      // 600 > the 512 CQ entries: some wait in the backlog, and the cancels
      // need room in a CQ full of requests that never end on their own.
      const reads = Array.from({ length: 600 }, () =>
        start(file, {
          opcode: "read",
          buffer: new Uint8Array(1).fill(SENTINEL),
          offset: 0,
        }));
      await tick();
      await file.close();
      for (const read of reads) {
        assertEquals(read.calls(), 1);
        assertEquals(await read.ended, [-1, "ECANCELED"]);
      }
    });
  },
});

Deno.test({
  name: "io_uring backend: after close resolves, no buffer changes " +
    "(regular file, requests racing the close)",
  ignore,
  async fn() {
    const path = await Deno.makeTempFile();
    try {
      const data = pattern(64 * 4096, 5);
      await Deno.writeFile(path, data);
      const backend = uringBackend();
      const other = await backend.open(path, { read: true }, 4);
      const file = await backend.open(path, { read: true }, 64);
      const buffers = Array.from(
        { length: 64 },
        () => new Uint8Array(4096).fill(SENTINEL),
      );
      const reads = buffers.map((buffer, i) =>
        start(file, { opcode: "read", buffer, offset: i * 4096 })
      );
      await file.close();
      const snapshot = buffers.map((b) => b.slice());
      for (const [i, read] of reads.entries()) {
        assertEquals(read.calls(), 1, "ended before close resolved");
        const [bytes, error] = await read.ended;
        if (error === undefined) {
          assertEquals(bytes, 4096);
          assertEquals(buffers[i], data.subarray(i * 4096, (i + 1) * 4096));
        } else {
          assertEquals([bytes, error], [-1, "ECANCELED"]);
          assertEquals(buffers[i], new Uint8Array(4096).fill(SENTINEL));
        }
      }
      // More traffic on the same ring, then look again.
      const more = new Uint8Array(4096);
      assertEquals(
        await start(other, { opcode: "read", buffer: more, offset: 0 }).ended,
        [4096, undefined],
      );
      await tick();
      assertEquals(buffers, snapshot);
      await other.close();
    } finally {
      await Deno.remove(path);
    }
  },
});

Deno.test({
  name: "io_uring backend: a buffer detached or shrunk while its read is in " +
    "flight gets EFAULT and no byte (the kernel writes to staging memory)",
  ignore,
  async fn() {
    await withFifo(async (fifo, feed) => {
      const file = await uringBackend().open(
        fifo,
        { read: true, write: true },
        8,
      );
      // Detached: ArrayBuffer.prototype.transfer may hand the same memory to
      // the new buffer, which the kernel must not write either.
      const detachable = new ArrayBuffer(8);
      new Uint8Array(detachable).fill(SENTINEL);
      const first = start(file, {
        opcode: "read",
        buffer: new Uint8Array(detachable),
        offset: 0,
      });
      const moved = detachable.transfer();
      // Shrunk: a resizable buffer cut below the request's end.
      const resizable = new ArrayBuffer(8, { maxByteLength: 8 });
      new Uint8Array(resizable).fill(SENTINEL);
      await feed(pattern(8, 6));
      assertEquals(await first.ended, [-1, "EFAULT"]);
      const second = start(file, {
        opcode: "read",
        buffer: new Uint8Array(resizable, 0, 8),
        offset: 0,
      });
      resizable.resize(4);
      await feed(pattern(8, 7));
      assertEquals(await second.ended, [-1, "EFAULT"]);
      await tick();
      assertEquals(new Uint8Array(moved), new Uint8Array(8).fill(SENTINEL));
      assertEquals(new Uint8Array(resizable), new Uint8Array(4).fill(SENTINEL));
      await file.close();
    });
  },
});

Deno.test({
  name: "aio on io_uring: close ends reads stuck in flight, aioCancel says " +
    "AIO_NOTCANCELED, and nothing lands in their buffers afterwards",
  ignore,
  async fn() {
    await onUring(async () => {
      await withFifo(async (fifo, feed) => {
        const file = await aioOpen(fifo, { read: true, write: true });
        const cbs: AioCb[] = Array.from({ length: 3 }, () => ({
          file,
          offset: 0,
          buffer: new Uint8Array(8).fill(SENTINEL),
        }));
        for (const cb of cbs) aioRead(cb);
        await tick();
        assertEquals(aioCancel(file), "AIO_NOTCANCELED");
        assert(cbs.every((cb) => aioError(cb) === "EINPROGRESS"));
        await file.close();
        for (const cb of cbs) {
          assertEquals(aioError(cb), "ECANCELED");
          assertEquals(aioReturn(cb), -1);
        }
        await feed(pattern(8, 8));
        await tick();
        for (const cb of cbs) {
          assertEquals(cb.buffer, new Uint8Array(8).fill(SENTINEL));
        }
      });
    });
  },
});

Deno.test({
  name: "aio on io_uring: a read finished by the wait, and more requests " +
    "than the rings hold at once",
  ignore,
  async fn() {
    await onUring(async () => {
      // The wait: a FIFO read completes only after the test writes.
      await withFifo(async (fifo, feed) => {
        await using file = await aioOpen(fifo, { read: true, write: true });
        const cb = { file, offset: 0, buffer: new Uint8Array(5) };
        aioRead(cb);
        await tick();
        assertEquals(aioError(cb), "EINPROGRESS");
        await feed(new TextEncoder().encode("hello"));
        await aioSuspend([cb]);
        assertEquals(new TextDecoder().decode(cb.buffer), "hello");
      });
      // 1500 requests in one go: beyond the 256 SQ / 512 CQ entries.
      const path = await Deno.makeTempFile();
      try {
        const data = pattern(1500 * 16, 9);
        await Deno.writeFile(path, data);
        await using file = await aioOpen(path);
        const cbs = Array.from({ length: 1500 }, (_, i) => ({
          file,
          offset: i * 16,
          buffer: new Uint8Array(16),
          opcode: "read" as const,
        }));
        await lioListio("wait", cbs);
        for (const [i, cb] of cbs.entries()) {
          assertEquals(aioReturn(cb), 16);
          assertEquals(cb.buffer, data.subarray(i * 16, i * 16 + 16));
        }
      } finally {
        await Deno.remove(path);
      }
    }, { queueDepth: 1024, maxRequests: 2048 });
  },
});

// ---------------------------------------------------------------------------
// Subprocesses: a program exits on its own; a Worker terminated mid-read;
// ENOSYS without --allow-ffi.

async function runScript(
  source: string,
  permissions: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/script.ts`;
    const mod = import.meta.resolve("../mod.ts");
    await Deno.writeTextFile(script, source.replaceAll("MOD", mod));
    const config = new URL("../deno.json", import.meta.url).pathname;
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-prompt",
        "--no-lock",
        "--config",
        config,
        ...permissions,
        script,
      ],
      // A guard against a hang, not a speed check.
      signal: AbortSignal.timeout(20_000),
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code, stdout: decode(stdout), stderr: decode(stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "io_uring: a program that reads and returns exits on its own",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/data`;
      await Deno.writeTextFile(path, "hello");
      const made = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] })
        .output();
      assert(made.success);
      const { code, stdout, stderr } = await runScript(
        `
        import { aioInit, aioOpen, aioRead, aioReturn, aioSuspend } from "MOD";
        aioInit({ backend: "io_uring" });
        // One cached read (it completes inside io_uring_enter), never closed.
        const file = await aioOpen(${JSON.stringify(path)});
        const cb = { file, offset: 0, buffer: new Uint8Array(5) };
        aioRead(cb);
        await aioSuspend([cb]);
        console.log("read", aioReturn(cb));
        // One read that needs the wait: a FIFO, fed after the read started.
        const fifo = await aioOpen(${
          JSON.stringify(`${dir}/fifo`)
        }, { read: true, write: true });
        const slow = { file: fifo, offset: 0, buffer: new Uint8Array(3) };
        aioRead(slow);
        await new Promise((r) => setTimeout(r, 10));
        const feeder = await Deno.open(${
          JSON.stringify(`${dir}/fifo`)
        }, { read: true, write: true });
        await feeder.write(new Uint8Array([1, 2, 3]));
        await aioSuspend([slow]);
        console.log("fifo", aioReturn(slow));
        `,
        ["--allow-ffi", "--allow-read", "--allow-write"],
      );
      assertEquals(stderr, "");
      assertEquals(code, 0);
      assertEquals(stdout, "read 5\nfifo 3\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// In a subprocess: what becomes of a terminated Worker's read is up to the
// kernel and Deno's worker teardown. The kernel cancels it once the Worker's
// thread has exited, or it completes into the leaked staging mapping if data
// comes first; either way the data fed may stay in the FIFO. Any hang there
// fails the test (runScript's timeout) instead of blocking the suite, and the
// leaked ring does not outlive the test.
Deno.test({
  name: "io_uring: a Worker terminated with a read in flight leaves the " +
    "process sound",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      // One FIFO for the dead Worker's read, one for the read after it: the
      // second read sees only the bytes fed for it.
      for (const name of ["dead", "live"]) {
        const made = await new Deno.Command("mkfifo", {
          args: [`${dir}/${name}`],
        }).output();
        assert(made.success, "mkfifo failed");
      }
      const worker = `${dir}/worker.js`;
      await Deno.writeTextFile(
        worker,
        `
        import { aioError, aioInit, aioOpen, aioRead } from ${
          JSON.stringify(import.meta.resolve("../mod.ts"))
        };
        aioInit({ backend: "io_uring" });
        const file = await aioOpen(${
          JSON.stringify(`${dir}/dead`)
        }, { read: true, write: true });
        const cb = { file, offset: 0, buffer: new Uint8Array(65536) };
        aioRead(cb);
        // The ring enters the kernel in a microtask: a macrotask later, the
        // read is in the kernel, waiting for data.
        await new Promise((resolve) => setTimeout(resolve, 0));
        self.postMessage(aioError(cb));
        `,
      );
      const { code, stdout, stderr } = await runScript(
        `
        import { aioError, aioInit, aioOpen, aioRead, aioReturn, aioSuspend }
          from "MOD";
        const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
        const worker = new Worker(${
          JSON.stringify(toFileUrl(worker).href)
        }, { type: "module" });
        const state = await new Promise((resolve, reject) => {
          worker.onmessage = (event) => resolve(event.data);
          worker.onerror = reject;
        });
        console.log("worker read", state);
        worker.terminate();
        // Memory the dead isolate freed gets reused; the kernel may still
        // complete the read, into its staging mapping, never into these.
        const fresh = Array.from({ length: 64 }, () => new Uint8Array(65536));
        using dead = await Deno.open(${
          JSON.stringify(`${dir}/dead`)
        }, { read: true, write: true });
        // One page: it fits an empty pipe whether or not a read takes it.
        await dead.write(new Uint8Array(4096).fill(0xee));
        await tick();
        console.log("fresh", fresh.every((b) => b.every((x) => x === 0)));
        // This isolate's ring works: a read that needs the wait.
        aioInit({ backend: "io_uring" });
        await using file = await aioOpen(${
          JSON.stringify(`${dir}/live`)
        }, { read: true, write: true });
        const cb = { file, offset: 0, buffer: new Uint8Array(3) };
        aioRead(cb);
        await tick();
        console.log("live read", aioError(cb));
        using live = await Deno.open(${
          JSON.stringify(`${dir}/live`)
        }, { read: true, write: true });
        await live.write(new Uint8Array([1, 2, 3]));
        while (aioError(cb) === "EINPROGRESS") await aioSuspend([cb]);
        console.log("live read", aioReturn(cb), cb.buffer.join(","));
        `,
        ["--allow-ffi", "--allow-read", "--allow-write"],
      );
      assertEquals(stderr, "");
      assertEquals(code, 0);
      assertEquals(
        stdout,
        "worker read EINPROGRESS\nfresh true\nlive read EINPROGRESS\n" +
          "live read 3 1,2,3\n",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("io_uring: without --allow-ffi, ENOSYS says why and auto picks threads", async () => {
  const { code, stdout, stderr } = await runScript(
    `
    import { AioError, aioInit } from "MOD";
    let error;
    try {
      aioInit({ backend: "io_uring" });
    } catch (e) {
      error = e;
    }
    console.log(JSON.stringify({
      isAioError: error instanceof AioError,
      code: error?.code,
      message: error?.message,
      after: aioInit().backend,
      auto: aioInit({ backend: "auto" }).backend,
    }));
    `,
    ["--allow-read"],
  );
  assertEquals(stderr, "");
  assertEquals(code, 0);
  const result = JSON.parse(stdout);
  assertEquals(result.isAioError, true);
  assertEquals(result.code, "ENOSYS");
  assertStringIncludes(result.message, "--allow-ffi");
  assertEquals(result.after, "deno", "a refused aioInit changes nothing");
  assertEquals(result.auto, "threads");
});

Deno.test({
  name: "io_uring: opening applies Deno's read/write permissions anyway",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const inside = `${dir}/inside`;
      await Deno.writeTextFile(inside, "x");
      const outside = await Deno.makeTempFile();
      try {
        const { code, stdout, stderr } = await runScript(
          `
          import { aioInit, aioOpen } from "MOD";
          aioInit({ backend: "io_uring" });
          const attempts = [
            [${JSON.stringify(inside)}, { read: true }],
            [${JSON.stringify(outside)}, { read: true }],
            [${JSON.stringify(inside)}, { read: true, write: true }],
          ];
          for (const [path, options] of attempts) {
            try {
              await (await aioOpen(path, options)).close();
              console.log("opened");
            } catch (error) {
              console.log(error.name);
            }
          }
          `,
          ["--allow-ffi", `--allow-read=${dir}`],
        );
        assertEquals(stderr, "");
        assertEquals(code, 0);
        assertEquals(stdout, "opened\nNotCapable\nNotCapable\n");
      } finally {
        await Deno.remove(outside);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "io_uring: aioInit reports it, and auto picks it where it runs",
  ignore,
  fn() {
    const before = aioInit();
    try {
      assertEquals(aioInit({ backend: "io_uring" }).backend, "io_uring");
      aioInit({ backend: "deno" });
      assertEquals(aioInit({ backend: "auto" }).backend, "io_uring");
    } finally {
      aioInit(before);
    }
    assertInstanceOf(uringBackend(), Object);
  },
});

// ---------------------------------------------------------------------------
// Property test: random reads, writes, cancels and closes against a model.

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test({
  name: "aio on io_uring: random reads, writes, cancels and closes match an " +
    "in-memory model",
  ignore,
  async fn() {
    await onUring(async () => {
      const SIZE = 32 * 1024;
      const path = await Deno.makeTempFile();
      try {
        for (let seed = 1; seed <= 12; seed++) {
          await runSequence(path, SIZE, seed);
        }
      } finally {
        await Deno.remove(path);
      }
    }, { queueDepth: 4 });
  },
});

async function runSequence(path: string, size: number, seed: number) {
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const model = pattern(size, seed);
  await Deno.writeFile(path, model);
  let file = await aioOpen(path, { read: true, write: true });
  for (let round = 0; round < 15; round++) {
    // A batch of requests on disjoint ranges (so any order of execution
    // gives one answer), a few of them cancelled, maybe a close midway.
    const count = 1 + int(12);
    const slot = Math.floor(size / count);
    type Req = { cb: AioCb; kind: "read" | "write"; data?: Uint8Array };
    const batch: Req[] = [];
    for (let i = 0; i < count; i++) {
      const length = 1 + int(Math.min(slot, 3000));
      const offset = i * slot + int(slot - length + 1);
      // Reads may run past the end of the file.
      const kind = random() < 0.5 ? "read" : "write";
      const req: Req = kind === "read"
        ? {
          kind,
          cb: {
            file,
            offset: i === count - 1 ? size - int(64) : offset,
            buffer: new Uint8Array(length).fill(SENTINEL),
            reqprio: int(3),
          },
        }
        : {
          kind,
          data: pattern(length, seed * 1000 + round * 20 + i),
          cb: { file, offset, buffer: new Uint8Array(0), reqprio: int(3) },
        };
      if (req.data) req.cb.buffer = req.data.slice();
      if (kind === "read") aioRead(req.cb);
      else aioWrite(req.cb);
      batch.push(req);
    }
    const cancelled = new Set<AioCb>();
    for (const req of batch) {
      if (random() < 0.25 && aioCancel(file, req.cb) === "AIO_CANCELED") {
        cancelled.add(req.cb);
        assertEquals(aioError(req.cb), "ECANCELED");
      }
    }
    const closing = random() < 0.2;
    if (closing) await file.close();
    await lioWait(batch.map((r) => r.cb));
    // Reads saw the file as it was before the batch (ranges are disjoint).
    const before = model.slice();
    for (const { cb, kind, data } of batch) {
      const status = aioError(cb);
      const result = aioReturn(cb);
      if (cancelled.has(cb)) assertEquals(status, "ECANCELED");
      if (status !== 0) {
        assertEquals(status, "ECANCELED", `seed ${seed}`);
        assertEquals(result, -1);
        if (kind === "read") {
          assertEquals(
            cb.buffer,
            new Uint8Array(cb.buffer.length).fill(SENTINEL),
          );
        }
        continue;
      }
      if (kind === "read") {
        const expected = before.subarray(
          cb.offset,
          cb.offset + cb.buffer.length,
        );
        assertEquals(result, expected.length, `seed ${seed}`);
        assertEquals(cb.buffer.subarray(0, result), expected, `seed ${seed}`);
      } else {
        assertEquals(result, data!.length);
        model.set(data!, cb.offset);
      }
    }
    if (closing) {
      assertEquals(
        (() => {
          try {
            aioRead({ file, offset: 0, buffer: new Uint8Array(1) });
            return "queued";
          } catch (error) {
            return (error as { code?: string }).code;
          }
        })(),
        "EBADF",
      );
      file = await aioOpen(path, { read: true, write: true });
    }
  }
  await file.close();
  assertEquals(await Deno.readFile(path), model, `seed ${seed}`);
}

/** Waits until every request has ended (whatever the outcome). */
async function lioWait(cbs: AioCb[]): Promise<void> {
  while (cbs.some((cb) => aioError(cb) === "EINPROGRESS")) {
    await aioSuspend(cbs.filter((cb) => aioError(cb) === "EINPROGRESS"));
  }
}

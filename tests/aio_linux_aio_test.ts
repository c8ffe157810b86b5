// Copyright 2026 the @concurrent/futures authors. MIT license.
// The "linux-aio" backend's own guarantees, beyond the shared aio suite
// (which runs on it too, tests/_aio_backends.ts): io_cancel stops a read that
// waits on a pipe, the kernel context and its eventfd go away with the last
// file, more requests than the context holds wait their turn, the ENOSYS
// answer, and the seam's contract (a completion is never synchronous).

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { delay } from "@std/async";
import {
  linuxAioBackend,
  linuxAioUnavailable,
} from "../aio/_linux_aio_backend.ts";
import type { BackendFile, BackendOp } from "../aio/_backend.ts";
import {
  type AioCb,
  aioError,
  aioInit,
  aioOpen,
  aioRead,
  aioReturn,
  aioWrite,
  ECANCELED,
  lioListio,
} from "../mod.ts";
import { fifo, pattern, settle, tempFile } from "./_aio_backends.ts";

const reason = linuxAioUnavailable();
const ignore = reason !== undefined;
if (ignore) console.log(`linux-aio tests skipped: ${reason}`);

/** Runs `fn` with the linux-aio backend selected, restoring the settings. */
async function onLinuxAio(
  fn: () => Promise<void>,
  options: { queueDepth?: number; maxRequests?: number } = {},
): Promise<void> {
  const before = aioInit();
  aioInit({ backend: "linux-aio", ...options });
  try {
    await fn();
  } finally {
    aioInit(before);
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

Deno.test({
  name: "linux-aio backend: reads, writes, fsync and errors through the seam",
  ignore,
  async fn() {
    const path = await Deno.makeTempFile();
    try {
      const backend = linuxAioBackend();
      assertEquals(backend.name, "linux-aio");
      const file = await backend.open(
        path,
        { read: true, write: true, truncate: true },
        16,
      );
      const data = pattern(10_000, 1);
      const write = start(file, { opcode: "write", buffer: data, offset: 0 });
      assertEquals(write.calls(), 0, "a completion is never synchronous");
      assertEquals(await write.ended, [10_000, undefined]);
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
      assertEquals(results, [
        [10_000, undefined],
        [50, undefined],
        [0, undefined],
        [0, undefined],
      ]);
      assertEquals(whole, data);
      assertEquals(tail.subarray(0, 50), data.subarray(9_950));
      assert(reads.every((r) => r.calls() === 1));
      await file.close();
      const late = start(file, { opcode: "read", buffer: whole, offset: 0 });
      assertEquals(await late.ended, [-1, "EBADF"]);
      // The kernel refuses a write on a descriptor opened read-only.
      const readOnly = await backend.open(path, { read: true }, 4);
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
  name: "linux-aio: close stops a read waiting on a pipe (io_cancel)",
  ignore,
  async fn() {
    await onLinuxAio(async () => {
      const [pipe, file] = await fifo((path) => aioOpen(path));
      await using _pipe = pipe;
      const cb: AioCb = { file, offset: 0, buffer: new Uint8Array(3) };
      aioRead(cb);
      // No data ever comes: only the cancel of its poll can end the read.
      await file.close();
      assertEquals(aioError(cb), ECANCELED);
      assertEquals(aioReturn(cb), -1);
    }, { queueDepth: 1 });
  },
});

Deno.test({
  name: "linux-aio: a pipe read waits for data, then reads it",
  ignore,
  async fn() {
    await onLinuxAio(async () => {
      const [pipe, file] = await fifo((path) => aioOpen(path));
      await using _pipe = pipe;
      await using _file = file;
      const cbs: AioCb[] = [0, 1].map(() => ({
        file,
        offset: 0,
        buffer: new Uint8Array(4),
      }));
      for (const cb of cbs) aioRead(cb);
      await delay(20);
      assertEquals(cbs.map(aioError), ["EINPROGRESS", "EINPROGRESS"]);
      // Two reads wait; one write of 4 bytes satisfies the first, and the
      // second, whose read found nothing, polls again until more comes.
      await pipe.write(new TextEncoder().encode("abcd"));
      await pipe.write(new TextEncoder().encode("efgh"));
      await settle(cbs);
      // Which waiting read gets which write is the kernel's choice.
      const texts = cbs.map((cb) =>
        new TextDecoder().decode(cb.buffer.subarray(0, aioReturn(cb)))
      );
      assertEquals(texts.sort(), ["abcd", "efgh"]);
    });
  },
});

Deno.test({
  name: "linux-aio: the kernel context and its eventfd go with the last file",
  ignore,
  async fn() {
    // In a fresh process: /proc/self is shared with whatever else runs in
    // this one (parallel test files).
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/data`;
      await Deno.writeFile(path, pattern(4096));
      const { code, stdout, stderr } = await runScript(
        `
        import { aioInit, aioOpen, aioRead, aioSuspend } from "MOD";
        async function objects() {
          const maps = await Deno.readTextFile("/proc/self/maps");
          const rings = maps.split("\\n").filter((l) => l.includes("[aio]")).length;
          let eventfds = 0;
          for await (const entry of Deno.readDir("/proc/self/fd")) {
            try {
              const target = await Deno.readLink("/proc/self/fd/" + entry.name);
              if (target.includes("eventfd")) eventfds++;
            } catch {
              // The directory's own descriptor, gone by now.
            }
          }
          return { rings, eventfds };
        }
        aioInit({ backend: "linux-aio" });
        const out = { before: await objects() };
        const a = await aioOpen(${JSON.stringify(path)});
        const b = await aioOpen(${JSON.stringify(path)});
        out.open = await objects();
        const cb = { file: a, offset: 0, buffer: new Uint8Array(16) };
        aioRead(cb);
        await aioSuspend([cb]);
        await a.close();
        out.oneClosed = await objects();
        await b.close();
        out.closed = await objects();
        const c = await aioOpen(${JSON.stringify(path)});
        out.reopened = await objects();
        await c.close();
        console.log(JSON.stringify(out));
        `,
        ["-A"],
      );
      assertEquals(stderr, "");
      assertEquals(code, 0);
      const out = JSON.parse(stdout);
      const { rings, eventfds } = out.before;
      // One context (and one eventfd) for every file, gone with the last.
      assertEquals(out.open, { rings: rings + 1, eventfds: eventfds + 1 });
      assertEquals(out.oneClosed, out.open);
      assertEquals(out.closed, out.before);
      assertEquals(out.reopened, out.open);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "linux-aio: more requests than the context holds wait their turn",
  ignore,
  async fn() {
    // The context holds 256 requests; 1000 at once must all end, correctly.
    await onLinuxAio(async () => {
      const size = 1000 * 64;
      await using tmp = await tempFile(pattern(size));
      await using file = await aioOpen(tmp.path, { read: true, write: true });
      const reads: AioCb[] = Array.from({ length: 1000 }, (_, i) => ({
        file,
        offset: i * 64,
        buffer: new Uint8Array(64),
        opcode: "read",
      }));
      await lioListio("wait", reads);
      const whole = pattern(size);
      reads.forEach((cb, i) => {
        assertEquals(aioReturn(cb), 64);
        assertEquals(cb.buffer, whole.subarray(i * 64, i * 64 + 64));
      });
      const writes: AioCb[] = reads.map((cb, i) => ({
        file,
        offset: cb.offset,
        buffer: new Uint8Array(64).fill(i % 256),
      }));
      for (const cb of writes) aioWrite(cb);
      await settle(writes);
      assert(writes.every((cb) => aioReturn(cb) === 64));
      const back = await Deno.readFile(tmp.path);
      for (let i = 0; i < 1000; i++) assertEquals(back[i * 64 + 63], i % 256);
    }, { queueDepth: 1000, maxRequests: 4096 });
  },
});

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

Deno.test("linux-aio: without --allow-ffi, ENOSYS says why and nothing changes", async () => {
  const { code, stdout, stderr } = await runScript(
    `
    import { AioError, aioInit } from "MOD";
    let error;
    try {
      aioInit({ backend: "linux-aio", queueDepth: 3 });
    } catch (e) {
      error = e;
    }
    console.log(JSON.stringify({
      isAioError: error instanceof AioError,
      code: error?.code,
      message: error?.message,
      after: aioInit(),
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
  assertStringIncludes(result.message, "linux-aio");
  assertStringIncludes(result.message, "--allow-ffi");
  assertEquals(
    result.after.backend,
    "deno",
    "a refused aioInit changes nothing",
  );
  assertEquals(result.after.queueDepth, 16);
  // "auto" never picks linux-aio: io_uring, else threads.
  assertEquals(result.auto, "threads");
});

Deno.test({
  name: 'linux-aio: "auto" stays io_uring where it can run',
  ignore,
  fn() {
    const before = aioInit();
    try {
      const auto = aioInit({ backend: "auto" }).backend;
      assert(auto === "io_uring" || auto === "threads", auto);
    } finally {
      aioInit(before);
    }
  },
});

Deno.test({
  name: "linux-aio: opening applies Deno's read/write permissions anyway",
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/data`;
      await Deno.writeTextFile(path, "x");
      const { code, stdout, stderr } = await runScript(
        `
        import { aioInit, aioOpen } from "MOD";
        aioInit({ backend: "linux-aio" });
        const out = [];
        for (const options of [{ read: true }, { write: true }]) {
          try {
            await (await aioOpen(${JSON.stringify(path)}, options)).close();
            out.push("opened");
          } catch (e) {
            out.push(e.name);
          }
        }
        console.log(JSON.stringify(out));
        `,
        ["--allow-ffi", `--allow-read=${dir}`],
      );
      assertEquals(stderr, "");
      assertEquals(code, 0);
      assertEquals(JSON.parse(stdout), ["opened", "NotCapable"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "linux-aio: open errors are Deno's",
  ignore,
  async fn() {
    await onLinuxAio(async () => {
      await assertRejects(
        () => aioOpen("/nonexistent/aio/file"),
        Deno.errors.NotFound,
      );
      await using tmp = await tempFile();
      await assertRejects(
        () => aioOpen(tmp.path, { write: true, createNew: true }),
        Deno.errors.AlreadyExists,
      );
    });
  },
});

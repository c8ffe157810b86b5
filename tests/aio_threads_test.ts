// Copyright 2026 the @concurrent/futures authors. MIT license.
// What only the "threads" backend has: its option, requests longer than a
// staging slot, the workers' lifetime (they stop with the last file, so
// programs exit), only --allow-read needed, and the robustness of its one
// Atomics.waitAsync (deno issues 14786/15358): many cycles in one process
// and many fresh processes, none may hang.

import {
  assert,
  assertEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  type AioCb,
  AioError,
  aioError,
  aioFsync,
  aioInit,
  aioOpen,
  aioRead,
  aioReturn,
  aioSuspend,
  aioWrite,
  lioListio,
} from "../mod.ts";
import { runningWorkers } from "../aio/_threads_backend.ts";
import { EAGER } from "../aio/_threads_layout.ts";
import { fifo, pattern, prng, settle, tempFile } from "./_aio_backends.ts";

/** Runs `fn` with the "threads" backend, restoring the settings after. */
function threadsTest(
  name: string,
  fn: () => Promise<void>,
  threads?: number,
): void {
  Deno.test(`threads: ${name}`, async () => {
    const before = aioInit();
    aioInit({ backend: "threads", threads: threads ?? before.threads });
    try {
      await fn();
    } finally {
      aioInit(before);
    }
  });
}

Deno.test("threads: aioInit validates and reports the worker count", () => {
  const before = aioInit();
  try {
    assertEquals(aioInit({ threads: 3 }), { ...before, threads: 3 });
    for (const threads of [0, -1, 1.5, NaN, "2"]) {
      assertThrows(
        () =>
          aioInit({
            threads: threads as number,
            queueDepth: 5,
            backend: "threads",
          }),
        AioError,
        "'threads' must be an integer >= 1",
      );
      // Refused, so nothing changed.
      assertEquals(aioInit(), { ...before, threads: 3 });
    }
    assertEquals(aioInit({ backend: "threads" }).backend, "threads");
  } finally {
    aioInit(before);
  }
});

threadsTest(
  "the workers run while a file is open, and stop after",
  async () => {
    await using tmp = await tempFile(pattern(10));
    assertEquals(runningWorkers(), 0);
    const a = await aioOpen(tmp.path);
    const b = await aioOpen(tmp.path);
    const cb: AioCb = { file: a, offset: 2, buffer: new Uint8Array(3) };
    aioRead(cb);
    await aioSuspend([cb]);
    assertEquals(runningWorkers(), 2);
    await a.close();
    assertEquals(runningWorkers(), 2);
    await b.close();
    assertEquals(runningWorkers(), 0);
    // And they start again for the next file.
    await using c = await aioOpen(tmp.path);
    const again: AioCb = { file: c, offset: 0, buffer: new Uint8Array(10) };
    aioRead(again);
    await aioSuspend([again]);
    assertEquals(aioReturn(again), 10);
    assertEquals(again.buffer, pattern(10));
  },
  2,
);

threadsTest("requests longer than a staging slot, in chunks", async () => {
  const size = 1_000_003;
  const content = pattern(size, 7);
  await using tmp = await tempFile(content);
  await using file = await aioOpen(tmp.path, { read: true, write: true });
  // A read across the end of the file: short, every byte in place.
  const read: AioCb = { file, offset: 3, buffer: new Uint8Array(size + 5000) };
  aioRead(read);
  await aioSuspend([read]);
  assertEquals(aioReturn(read), size - 3);
  assertEquals(read.buffer.subarray(0, size - 3), content.subarray(3));
  assertEquals(read.buffer.subarray(size - 3).every((b) => b === 0), true);
  // A long write, then an fsync behind it, then read back.
  const written = pattern(300_000, 99);
  const write: AioCb = { file, offset: 500_000, buffer: written };
  const sync: AioCb = { file, offset: 0, buffer: new Uint8Array(0) };
  aioWrite(write);
  aioFsync("sync", sync);
  await settle([write, sync]);
  assertEquals([aioReturn(write), aioReturn(sync)], [300_000, 0]);
  const back = await Deno.readFile(tmp.path);
  assertEquals(back.subarray(500_000, 800_000), written);
  assertEquals(back.subarray(0, 500_000), content.subarray(0, 500_000));
});

threadsTest("a long append lands whole, at the end", async () => {
  await using tmp = await tempFile(pattern(100));
  await using file = await aioOpen(tmp.path, { append: true });
  const bytes = pattern(200_000, 3);
  const cb: AioCb = { file, offset: 0, buffer: bytes };
  aioWrite(cb);
  await aioSuspend([cb]);
  assertEquals(aioReturn(cb), bytes.length);
  const back = await Deno.readFile(tmp.path);
  assertEquals(back.length, 200_100);
  assertEquals(back.subarray(100), bytes);
});

threadsTest("reads from a pipe stay in order", async () => {
  const [pipe, file] = await fifo((path) => aioOpen(path));
  await using _pipe = pipe;
  await using _file = file;
  const cbs: AioCb[] = [0, 1, 2, 3].map(() => ({
    file,
    offset: 0,
    buffer: new Uint8Array(4),
  }));
  for (const cb of cbs) aioRead(cb);
  await pipe.write(new TextEncoder().encode("aaaabbbbccccdddd"));
  await settle(cbs);
  assertEquals(
    cbs.map((cb) => new TextDecoder().decode(cb.buffer)),
    ["aaaa", "bbbb", "cccc", "dddd"],
  );
});

threadsTest("random reads at depth, against the file's bytes", async () => {
  const content = pattern(1 << 20, 5);
  await using tmp = await tempFile(content);
  await using file = await aioOpen(tmp.path);
  const random = prng(42);
  for (let round = 0; round < 20; round++) {
    const cbs: AioCb[] = Array.from({ length: 64 }, () => ({
      file,
      offset: Math.floor(random() * (1 << 20)),
      buffer: new Uint8Array(1 + Math.floor(random() * 9000)),
      opcode: "read" as const,
    }));
    await lioListio("wait", cbs);
    for (const cb of cbs) {
      const n = aioReturn(cb);
      assertEquals(n, Math.min(cb.buffer.length, (1 << 20) - cb.offset));
      assertEquals(
        cb.buffer.subarray(0, n),
        content.subarray(cb.offset, cb.offset + n),
      );
    }
  }
});

threadsTest(
  "a read into a buffer detached in flight fails EFAULT",
  async () => {
    await using tmp = await tempFile(pattern(64));
    await using file = await aioOpen(tmp.path);
    const buffer = new Uint8Array(new ArrayBuffer(64));
    const cb: AioCb = { file, offset: 0, buffer };
    aioRead(cb);
    structuredClone(buffer.buffer, { transfer: [buffer.buffer] });
    await aioSuspend([cb]);
    assertEquals(aioError(cb), "EFAULT");
    assertEquals(aioReturn(cb), -1);
  },
);

threadsTest("the event loop runs during a long stream", async () => {
  await using tmp = await tempFile(pattern(1 << 20));
  await using file = await aioOpen(tmp.path);
  let ticks = 0;
  let streaming = true;
  const tick = () => {
    ticks++;
    if (streaming) timer = setTimeout(tick, 0);
  };
  let timer = setTimeout(tick, 0);
  const cbs: AioCb[] = Array.from({ length: 64 }, () => ({
    file,
    offset: 0,
    buffer: new Uint8Array(4096),
    opcode: "read" as const,
  }));
  for (let round = 0; round < 100; round++) {
    for (const cb of cbs) cb.offset = (round * 64 % 256) * 4096;
    await lioListio("wait", cbs);
  }
  streaming = false;
  clearTimeout(timer);
  assert(ticks > 0, "no timer ran while 6400 reads completed");
});

threadsTest("120 open/read/close cycles never hang", async () => {
  await using tmp = await tempFile(pattern(8192));
  for (let cycle = 0; cycle < 120; cycle++) {
    await using file = await aioOpen(tmp.path);
    const cbs: AioCb[] = [0, 1 + cycle % 7].map((k) => ({
      file,
      offset: k * 1000,
      buffer: new Uint8Array(100),
    }));
    for (const cb of cbs) aioRead(cb);
    // A timeout turns a lost wake-up into a failure, not a hung suite.
    await aioSuspend(cbs, 20_000);
    await settle(cbs);
    for (const cb of cbs) assertEquals(aioReturn(cb), 100);
  }
}, 2);

const child = (mod: string) => `
import { aioInit, aioOpen, aioRead, aioReturn, aioSuspend, lioListio } from "${mod}";
const [path] = Deno.args;
aioInit({ backend: "threads", threads: 2 });
const file = await aioOpen(path);
let sum = 0;
for (let round = 0; round < 20; round++) {
  const cbs = Array.from({ length: 1 + (round % 8) }, (_, i) => ({
    file, offset: (round * 7 + i) % 16, buffer: new Uint8Array(1), opcode: "read",
  }));
  await lioListio("wait", cbs);
  for (const cb of cbs) sum += aioReturn(cb) === 1 ? cb.buffer[0] : 1000;
}
const last = { file, offset: 3, buffer: new Uint8Array(1) };
aioRead(last);
await aioSuspend([last]);
console.log("done", sum, last.buffer[0]); // file left open on purpose
`;

Deno.test("threads: 40 fresh processes, only --allow-read, all exit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_threads_" });
  try {
    const path = `${dir}/data`;
    await Deno.writeFile(path, pattern(16));
    const main = `${dir}/main.ts`;
    await Deno.writeTextFile(main, child(import.meta.resolve("../mod.ts")));
    const root = new URL("..", import.meta.url).pathname;
    const run = async () => {
      const process = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          `--allow-read=${root},${dir}`,
          "--config",
          `${root}deno.json`,
          main,
          path,
        ],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      let hung = false;
      const guard = setTimeout(() => {
        hung = true;
        process.kill("SIGKILL");
      }, 60_000);
      const { code, stdout, stderr } = await process.output();
      clearTimeout(guard);
      assertEquals(hung, false, "a process hung");
      assertEquals(code, 0, new TextDecoder().decode(stderr));
      return new TextDecoder().decode(stdout);
    };
    // The expected sum, computed the same way here.
    let sum = 0;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 1 + (round % 8); i++) sum += (round * 7 + i) % 16;
    }
    for (let batch = 0; batch < 10; batch++) {
      const outs = await Promise.all([run(), run(), run(), run()]);
      for (const out of outs) assertStringIncludes(out, `done ${sum} 3`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const noRead = (mod: string) => `
import { aioInit } from "${mod}";
const out = {};
try {
  aioInit({ backend: "threads" });
  out.threads = "ok";
} catch (error) {
  out.threads = { code: error.code, message: error.message };
}
out.after = aioInit().backend;
out.auto = aioInit({ backend: "auto" }).backend;
console.log(JSON.stringify(out));
`;

Deno.test("threads: without read access to its worker module, ENOSYS says why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_threads_" });
  try {
    const main = `${dir}/main.ts`;
    await Deno.writeTextFile(main, noRead(import.meta.resolve("../mod.ts")));
    const root = new URL("..", import.meta.url).pathname;
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      // Read access to the script's directory only, not to this module.
      args: [
        "run",
        `--allow-read=${dir}`,
        "--config",
        `${root}deno.json`,
        main,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    const out = JSON.parse(new TextDecoder().decode(stdout));
    assertEquals(out.threads.code, "ENOSYS");
    assertStringIncludes(out.threads.message, "_threads_worker.ts");
    assertStringIncludes(out.threads.message, "--allow-read");
    assertEquals(out.after, "deno", "a refused aioInit changes nothing");
    assertEquals(out.auto, "deno");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

threadsTest("spare workers join while operations are slow", async () => {
  // EAGER + 1 workers: one spare. EAGER + 2 pipes, one read each: the eager
  // workers block on the first EAGER pipes, the last two reads wait. Pipe
  // 0's read ends slow, so its worker wakes the spare: one takes the
  // next-to-last read (still blocked), the other the last, which then ends
  // while the other blocks. With EAGER workers (or a spare never woken) the
  // last read waits behind the other and aioSuspend times out.
  const pipes = await Promise.all(
    Array.from({ length: EAGER + 2 }, () => fifo((path) => aioOpen(path))),
  );
  const cbs: AioCb[] = pipes.map(([, file]) => ({
    file,
    offset: 0,
    buffer: new Uint8Array(2),
  }));
  const last = EAGER + 1;
  const feed = (i: number) =>
    pipes[i][0].write(new TextEncoder().encode(`p${i}`));
  try {
    for (const cb of cbs) aioRead(cb);
    await feed(0);
    await aioSuspend([cbs[0]]);
    await feed(last);
    await aioSuspend([cbs[last]], 10_000);
    assertEquals(aioError(cbs[last]), 0);
    assertEquals(aioError(cbs[last - 1]), "EINPROGRESS");
  } finally {
    for (let i = 1; i < last; i++) await feed(i);
    await settle(cbs);
    for (const [pipe, file] of pipes) {
      await file.close();
      await pipe[Symbol.asyncDispose]();
    }
  }
  assertEquals(
    cbs.map((cb) => new TextDecoder().decode(cb.buffer)),
    cbs.map((_, i) => `p${i}`),
  );
}, EAGER + 1);

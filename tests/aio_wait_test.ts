// Copyright 2026 the @concurrent/futures authors. MIT license.
// aioSuspend and lioListio.

import { assert, assertEquals, assertRejects } from "@std/assert";
import { delay } from "@std/async";
import {
  aioCancel,
  type AioCb,
  AioError,
  aioError,
  aioOpen,
  aioRead,
  aioReturn,
  aioSuspend,
  EINPROGRESS,
  lioListio,
} from "../mod.ts";
import { aioTest, fifo, pattern, settle, tempFile } from "./_aio_backends.ts";

const tick = () => delay(0);

aioTest("aioSuspend resolves when one of the requests ended", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path);
  const cbs: AioCb[] = Array.from({ length: 4 }, (_, i) => ({
    file,
    offset: i * 16,
    buffer: new Uint8Array(16),
  }));
  for (const cb of cbs) aioRead(cb);
  await aioSuspend([null, ...cbs, null]);
  assert(cbs.some((cb) => aioError(cb) === 0));
  await settle(cbs);
  cbs.forEach((cb, i) =>
    assertEquals(cb.buffer, pattern(64).subarray(16 * i, 16 * i + 16))
  );
});

aioTest("aioSuspend resolves at once with nothing in progress", async () => {
  await using tmp = await tempFile(pattern(8));
  await using file = await aioOpen(tmp.path);
  await aioSuspend([]);
  await aioSuspend([null, null]);
  const done: AioCb = { file, offset: 0, buffer: new Uint8Array(1) };
  aioRead(done);
  await settle([done]);
  aioReturn(done);
  // A request that ended (even returned) ends the wait, as in glibc.
  const running: AioCb = { file, offset: 0, buffer: new Uint8Array(1) };
  aioRead(running);
  await aioSuspend([running, done], 0);
  await settle([running]);
});

aioTest("aioSuspend's timeout rejects EAGAIN and cancels nothing", async () => {
  // A read from a pipe stays in flight until something is written to it.
  const [pipe, file] = await fifo((path) => aioOpen(path));
  await using _pipe = pipe;
  await using _file = file;
  const cb: AioCb = { file, offset: 0, buffer: new Uint8Array(5) };
  const queued: AioCb = { file, offset: 0, buffer: new Uint8Array(5) };
  aioRead(cb);
  aioRead(queued); // behind it (depth 1)
  for (const timeout of [0, 1, 5]) {
    const error = await assertRejects(
      () => aioSuspend([cb, queued], timeout),
      AioError,
    );
    assertEquals(error.code, "EAGAIN");
    assertEquals([aioError(cb), aioError(queued)], [EINPROGRESS, EINPROGRESS]);
  }
  await pipe.write(new TextEncoder().encode("hello"));
  await aioSuspend([cb, queued], 60_000);
  assertEquals(aioReturn(cb), 5);
  assertEquals(new TextDecoder().decode(cb.buffer), "hello");
  assertEquals(aioCancel(file, queued), "AIO_NOTCANCELED");
  await pipe.write(new TextEncoder().encode("world"));
  await settle([queued]);
  assertEquals(aioReturn(queued), 5);
}, { queueDepth: 1 });

aioTest("lioListio wait resolves once every request ended", async () => {
  await using tmp = await tempFile(pattern(4096));
  await using file = await aioOpen(tmp.path);
  const cbs: AioCb[] = Array.from({ length: 40 }, (_, i) => ({
    file,
    offset: i * 100,
    buffer: new Uint8Array(100),
    opcode: "read",
    reqprio: i % 3,
  }));
  const list = [null, ...cbs, { ...cbs[0], opcode: "nop" as const }];
  await lioListio("wait", list);
  assertEquals(cbs.map(aioError), Array(40).fill(0));
  cbs.forEach((cb, i) => {
    assertEquals(aioReturn(cb), i < 40 ? Math.min(100, 4096 - i * 100) : 0);
  });
});

aioTest(
  "lioListio wait rejects EIO after all ended, if one failed",
  async ({ backend }) => {
    await using tmp = await tempFile(pattern(64));
    await using mem = await aioOpen("/proc/self/mem");
    await using file = await aioOpen(tmp.path);
    const good: AioCb[] = Array.from({ length: 8 }, (_, i) => ({
      file,
      offset: i,
      buffer: new Uint8Array(8),
      opcode: "read",
    }));
    const bad: AioCb = {
      file: mem,
      offset: 0,
      buffer: new Uint8Array(8),
      opcode: "read",
    };
    const error = await assertRejects(
      () => lioListio("wait", [bad, ...good]),
      AioError,
    );
    assertEquals(error.code, "EIO");
    // Kernel AIO refuses /proc/self/mem (no read_iter) with EINVAL.
    assertEquals(aioError(bad), backend === "linux-aio" ? "EINVAL" : "EIO");
    assertEquals(good.map(aioError), Array(8).fill(0));
  },
);

aioTest(
  "lioListio nowait resolves once queued, notifies once after",
  async () => {
    await using tmp = await tempFile(pattern(4096));
    await using file = await aioOpen(tmp.path);
    const order: string[] = [];
    const cbs: AioCb[] = Array.from({ length: 24 }, (_, i) => ({
      file,
      offset: i * 64,
      buffer: new Uint8Array(64),
      opcode: "read",
      notify: () => order.push(`r${i}`),
    }));
    const queued = lioListio("nowait", cbs, () => order.push("list"));
    assertEquals(cbs.map(aioError), Array(24).fill(EINPROGRESS));
    await queued;
    await settle(cbs);
    await tick();
    assertEquals(order.length, 25);
    assertEquals(order.at(-1), "list");
    assertEquals(new Set(order).size, 25);
    // Nothing queued: notify still runs exactly once, later.
    let empty = 0;
    const none = lioListio(
      "nowait",
      [null, { ...cbs[0], opcode: "nop" }],
      () => empty++,
    );
    assertEquals(empty, 0);
    await none;
    await tick();
    assertEquals(empty, 1);
  },
);

aioTest("lioListio wait ignores notify; nowait without notify", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path);
  let called = 0;
  const cb: AioCb = {
    file,
    offset: 0,
    buffer: new Uint8Array(4),
    opcode: "read",
  };
  await lioListio("wait", [cb], () => called++);
  await tick();
  assertEquals(called, 0);
  aioReturn(cb);
  await lioListio("nowait", [cb]);
  await settle([cb]);
  assertEquals(aioReturn(cb), 4);
});

aioTest("aioCancel while lioListio waits: the list ends, EIO", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path);
  const cbs: AioCb[] = Array.from({ length: 6 }, (_, i) => ({
    file,
    offset: i,
    buffer: new Uint8Array(1),
    opcode: "read",
  }));
  const waiting = lioListio("wait", cbs);
  assertEquals(aioCancel(file), "AIO_NOTCANCELED");
  const error = await assertRejects(() => waiting, AioError);
  assertEquals(error.code, "EIO");
  assertEquals(cbs.map(aioError).filter((s) => s === "ECANCELED").length, 4);
}, { queueDepth: 2 });

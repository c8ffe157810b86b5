// Copyright 2026 the @concurrent/futures authors. MIT license.

import { assert, assertEquals, assertFalse, assertThrows } from "@std/assert";
import { delay } from "@std/async";
import {
  type AioCb,
  AioError,
  aioError,
  aioFsync,
  aioOpen,
  aioRead,
  aioReturn,
  aioSuspend,
  aioWrite,
  EINPROGRESS,
  lioListio,
} from "../mod.ts";
import {
  aioTest,
  pattern,
  settle,
  tempDir,
  tempFile,
} from "./_aio_backends.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

aioTest("aioRead reads at the offset it is given", async ({ backend }) => {
  await using tmp = await tempFile(encoder.encode("hello, aio world"));
  await using file = await aioOpen(tmp.path);
  assertEquals(file.backend, backend);
  const cb: AioCb = { file, offset: 7, buffer: new Uint8Array(3) };
  aioRead(cb);
  await aioSuspend([cb]);
  assertEquals(aioError(cb), 0);
  assertEquals(aioReturn(cb), 3);
  assertEquals(decoder.decode(cb.buffer), "aio");
});

aioTest("a request never completes synchronously", async () => {
  await using tmp = await tempFile(pattern(100));
  await using file = await aioOpen(tmp.path, { read: true, write: true });
  let notified = 0;
  const notify = () => notified++;
  const read: AioCb = { file, offset: 0, buffer: new Uint8Array(10), notify };
  const write: AioCb = { file, offset: 200, buffer: pattern(5), notify };
  const sync: AioCb = { file, offset: 0, buffer: new Uint8Array(0), notify };
  const listed: AioCb[] = [
    { file, offset: 0, buffer: new Uint8Array(1), opcode: "read", notify },
    { file, offset: 300, buffer: pattern(1), opcode: "write", notify },
  ];
  aioRead(read);
  aioWrite(write);
  aioFsync("dsync", sync);
  const listing = lioListio("nowait", listed);
  for (const cb of [read, write, sync, ...listed]) {
    assertEquals(aioError(cb), EINPROGRESS);
    assertThrows(() => aioReturn(cb), AioError, "in progress");
  }
  assertEquals(notified, 0);
  await listing;
  await settle([read, write, sync, ...listed]);
  // Each notify ran exactly once, after its request ended.
  await Promise.resolve();
  assertEquals(notified, 5);
});

aioTest("notify runs once, after the request ended", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path);
  const seen: (0 | string)[] = [];
  const { promise, resolve } = Promise.withResolvers<void>();
  const cb: AioCb = {
    file,
    offset: 0,
    buffer: new Uint8Array(64),
    notify(c) {
      assert(c === cb);
      seen.push(aioError(c));
      resolve();
    },
  };
  aioRead(cb);
  assertEquals(seen, []);
  await promise;
  await delay(0);
  assertEquals(seen, [0]);
  assertEquals(aioReturn(cb), 64);
  assertEquals(cb.buffer, pattern(64));
});

aioTest("reads at and past the end of the file", async () => {
  await using tmp = await tempFile(pattern(10));
  await using file = await aioOpen(tmp.path);
  const short: AioCb = { file, offset: 6, buffer: new Uint8Array(8) };
  const atEnd: AioCb = { file, offset: 10, buffer: new Uint8Array(8) };
  const past: AioCb = { file, offset: 1 << 20, buffer: new Uint8Array(8) };
  const empty: AioCb = {
    file,
    offset: 0,
    buffer: new Uint8Array(8),
    nbytes: 0,
  };
  await lioListio(
    "wait",
    [short, atEnd, past, empty].map((cb) => {
      cb.opcode = "read";
      return cb;
    }),
  );
  assertEquals(aioReturn(short), 4);
  assertEquals(short.buffer.subarray(0, 4), pattern(10).subarray(6));
  assertEquals(aioReturn(atEnd), 0);
  assertEquals(aioReturn(past), 0);
  assertEquals(aioReturn(empty), 0);
  assertEquals(empty.buffer, new Uint8Array(8));
});

aioTest("nbytes limits the transfer to the start of the buffer", async () => {
  await using tmp = await tempFile();
  await using file = await aioOpen(tmp.path, { read: true, write: true });
  const write: AioCb = { file, offset: 2, buffer: pattern(8), nbytes: 3 };
  aioWrite(write);
  await aioSuspend([write]);
  assertEquals(aioReturn(write), 3);
  const read: AioCb = { file, offset: 0, buffer: new Uint8Array(8), nbytes: 4 };
  aioRead(read);
  await aioSuspend([read]);
  assertEquals(aioReturn(read), 4);
  assertEquals(read.buffer, new Uint8Array([0, 0, 0, 1, 0, 0, 0, 0]));
  assertEquals(await Deno.readFile(tmp.path), new Uint8Array([0, 0, 0, 1, 2]));
});

aioTest("aioReturn once; aioError stays readable", async () => {
  await using tmp = await tempFile(pattern(4));
  await using file = await aioOpen(tmp.path);
  const cb: AioCb = { file, offset: 0, buffer: new Uint8Array(4) };
  assertThrows(() => aioError(cb), AioError, "no request");
  assertThrows(() => aioReturn(cb), AioError, "no request");
  aioRead(cb);
  await aioSuspend([cb]);
  assertEquals(aioReturn(cb), 4);
  const again = assertThrows(() => aioReturn(cb), AioError);
  assertEquals(again.code, "EINVAL");
  assertEquals(aioError(cb), 0);
  assertEquals(aioError(cb), 0);
});

aioTest("an aiocb can be reused once its request ended", async () => {
  await using tmp = await tempFile(pattern(32));
  await using file = await aioOpen(tmp.path);
  const cb: AioCb = { file, offset: 0, buffer: new Uint8Array(8) };
  for (const offset of [0, 8, 16, 28]) {
    cb.offset = offset;
    aioRead(cb);
    await aioSuspend([cb]);
    assertEquals(aioReturn(cb), Math.min(8, 32 - offset));
    assertEquals(cb.buffer[0], offset % 251);
  }
  // Without aioReturn in between, too: the old status is replaced.
  aioRead(cb);
  await aioSuspend([cb]);
  aioRead(cb);
  assertEquals(aioError(cb), EINPROGRESS);
  await aioSuspend([cb]);
  assertEquals(aioReturn(cb), 4);
});

aioTest("aioWrite and aioRead round trip many blocks", async () => {
  await using tmp = await tempFile();
  await using file = await aioOpen(tmp.path, { read: true, write: true });
  const block = 4096;
  const writes: AioCb[] = Array.from({ length: 64 }, (_, i) => ({
    file,
    offset: i * block,
    buffer: pattern(block, i),
    opcode: "write",
  }));
  await lioListio("wait", writes);
  assert(writes.every((cb) => aioReturn(cb) === block));
  const reads: AioCb[] = writes.map((w) => ({
    file,
    offset: w.offset,
    buffer: new Uint8Array(block),
    opcode: "read",
  }));
  await lioListio("wait", reads);
  reads.forEach((cb, i) => {
    assertEquals(aioReturn(cb), block);
    assertEquals(cb.buffer, pattern(block, i));
  });
});

aioTest("append mode appends whole records", async () => {
  await using tmp = await tempFile(encoder.encode("head\n"));
  await using file = await aioOpen(tmp.path, { append: true });
  const records = Array.from(
    { length: 200 },
    (_, i) => `record ${String(i).padStart(4, "0")} ${"x".repeat(i % 50)}\n`,
  );
  const cbs: AioCb[] = records.map((text) => ({
    file,
    offset: 0, // ignored in append mode
    buffer: encoder.encode(text),
    opcode: "write",
  }));
  await lioListio("wait", cbs);
  const lines = (await Deno.readTextFile(tmp.path)).split("\n");
  assertEquals(lines.shift(), "head");
  assertEquals(lines.pop(), "");
  assertEquals(lines.map((l) => l + "\n").sort(), [...records].sort());
});

aioTest("aioOpen's create and truncate take effect once", async () => {
  await using tmp = await tempFile(pattern(1 << 16));
  const block = 512;
  const n = 32;
  {
    await using file = await aioOpen(tmp.path, {
      read: true,
      write: true,
      truncate: true,
    });
    // Many requests at once make the backend use many handles/descriptors:
    // none of them may truncate what the others wrote.
    for (let round = 0; round < 2; round++) {
      const cbs: AioCb[] = Array.from({ length: n }, (_, i) => ({
        file,
        offset: (round * n + i) * block,
        buffer: pattern(block, round * n + i),
        opcode: "write",
      }));
      await lioListio("wait", cbs);
    }
  }
  const data = await Deno.readFile(tmp.path);
  assertEquals(data.length, 2 * n * block);
  for (let i = 0; i < 2 * n; i++) {
    assertEquals(data.subarray(i * block, (i + 1) * block), pattern(block, i));
  }
});

aioTest("aioOpen's createNew and mode apply to the new file", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/new.bin`;
  {
    await using file = await aioOpen(path, {
      write: true,
      createNew: true,
      mode: 0o640,
    });
    const cbs: AioCb[] = Array.from({ length: 32 }, (_, i) => ({
      file,
      offset: i * 100,
      buffer: pattern(100, i),
      opcode: "write",
    }));
    await lioListio("wait", cbs);
    assert(cbs.every((cb) => aioReturn(cb) === 100));
  }
  assertEquals((await Deno.stat(path)).mode! & 0o777, 0o640);
  assertEquals((await Deno.readFile(path)).length, 3200);
  let error: unknown;
  try {
    await aioOpen(path, { write: true, createNew: true });
  } catch (e) {
    error = e;
  }
  assert(error instanceof Deno.errors.AlreadyExists);
});

aioTest("aioFsync ends after the writes queued before it", async () => {
  await using tmp = await tempFile();
  await using file = await aioOpen(tmp.path, { write: true });
  const order: string[] = [];
  const writes: AioCb[] = Array.from({ length: 20 }, (_, i) => ({
    file,
    offset: i * 1000,
    buffer: pattern(1000, i),
    reqprio: 3,
    notify: () => order.push(`w${i}`),
  }));
  for (const cb of writes) aioWrite(cb);
  let pendingAtSync = -1;
  const sync: AioCb = {
    file,
    offset: 0,
    buffer: new Uint8Array(0),
    notify() {
      pendingAtSync = writes.filter((w) => aioError(w) === EINPROGRESS).length;
      order.push("sync");
    },
  };
  aioFsync("sync", sync);
  const later: AioCb = { file, offset: 50_000, buffer: pattern(10) };
  aioWrite(later);
  await settle([...writes, sync, later]);
  assertEquals(pendingAtSync, 0);
  assertEquals(aioError(sync), 0);
  assertEquals(aioReturn(sync), 0);
  assertEquals(order.indexOf("sync"), 20);
  assertFalse(order.slice(0, 20).includes("sync"));
});

aioTest("a notify that throws is reported; the others still run", async () => {
  await using tmp = await tempFile(pattern(16));
  await using file = await aioOpen(tmp.path);
  const reported: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => reported.push(args.at(-1));
  try {
    let ran = 0;
    const boom = new Error("boom");
    const cbs: AioCb[] = Array.from({ length: 4 }, (_, i) => ({
      file,
      offset: i,
      buffer: new Uint8Array(1),
      opcode: "read",
      notify() {
        ran++;
        if (i % 2 === 0) throw boom;
      },
    }));
    let listRan = 0;
    await lioListio("nowait", cbs, () => {
      listRan++;
      throw boom;
    });
    await settle(cbs);
    await delay(0);
    assertEquals([ran, listRan], [4, 1]);
    assertEquals(reported, [boom, boom, boom]);
    assertEquals(cbs.map((cb) => aioReturn(cb)), [1, 1, 1, 1]);
  } finally {
    console.error = original;
  }
});

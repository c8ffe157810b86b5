// Copyright 2026 the @concurrent/futures authors. MIT license.
// The depth-limited queue: depth, priorities, limits, aioInit while busy.

import { assertEquals } from "@std/assert";
import {
  aioCancel,
  type AioCb,
  aioError,
  aioFsync,
  aioInit,
  aioOpen,
  aioRead,
  aioReturn,
  aioWrite,
  EINPROGRESS,
} from "../mod.ts";
import { aioTest, pattern, settle, tempFile } from "./_aio_backends.ts";

aioTest("requests beyond the queue depth wait, queued", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path);
  const cbs: AioCb[] = Array.from({ length: 6 }, (_, i) => ({
    file,
    offset: i,
    buffer: new Uint8Array(1),
  }));
  for (const cb of cbs) aioRead(cb);
  // Two are in flight; the others are queued and so cancellable.
  assertEquals(cbs.map((cb) => aioCancel(file, cb)), [
    "AIO_NOTCANCELED",
    "AIO_NOTCANCELED",
    "AIO_CANCELED",
    "AIO_CANCELED",
    "AIO_CANCELED",
    "AIO_CANCELED",
  ]);
  await settle(cbs);
  assertEquals(cbs.map((cb) => aioReturn(cb)), [1, 1, -1, -1, -1, -1]);
}, { queueDepth: 2 });

aioTest("queued requests start in reqprio order, FIFO on ties", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path);
  const order: string[] = [];
  const cb = (name: string, reqprio?: number): AioCb => ({
    file,
    offset: 0,
    buffer: new Uint8Array(1),
    reqprio,
    notify: () => order.push(name),
  });
  // The first starts at once (depth 1); the rest queue behind it.
  const cbs = [
    cb("first", 9),
    cb("p2a", 2),
    cb("p1a", 1),
    cb("p0a"),
    cb("p2b", 2),
    cb("p0b", 0),
    cb("p1b", 1),
    cb("p20", 20),
  ];
  for (const c of cbs) aioRead(c);
  await settle(cbs);
  assertEquals(order, [
    "first",
    "p0a",
    "p0b",
    "p1a",
    "p1b",
    "p2a",
    "p2b",
    "p20",
  ]);
}, { queueDepth: 1 });

aioTest("maxRequests counts queued and in-flight requests only", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path, { read: true, write: true });
  const cbs: AioCb[] = Array.from({ length: 3 }, (_, i) => ({
    file,
    offset: i,
    buffer: new Uint8Array(1),
  }));
  aioRead(cbs[0]); // in flight
  aioWrite(cbs[1]); // queued
  aioFsync("sync", cbs[2]); // waits for the write
  const extra: AioCb = { file, offset: 0, buffer: new Uint8Array(1) };
  let error: unknown;
  try {
    aioRead(extra);
  } catch (e) {
    error = e;
  }
  assertEquals((error as { code?: string }).code, "EAGAIN");
  // A cancelled request no longer counts either.
  assertEquals(aioCancel(file, cbs[2]), "AIO_CANCELED");
  aioRead(extra);
  await settle([...cbs, extra]);
  aioRead(cbs[0]);
  aioRead(cbs[1]);
  await settle(cbs);
}, { queueDepth: 1, maxRequests: 3 });

aioTest("a deeper queue from aioInit starts waiting requests", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path);
  const cbs: AioCb[] = Array.from({ length: 4 }, (_, i) => ({
    file,
    offset: i,
    buffer: new Uint8Array(1),
  }));
  const { queueDepth } = aioInit({ queueDepth: 1 });
  try {
    for (const cb of cbs) aioRead(cb);
    aioInit({ queueDepth: 16 });
    // All four are in flight now: none can be cancelled.
    assertEquals(cbs.map((cb) => aioCancel(file, cb)), [
      "AIO_NOTCANCELED",
      "AIO_NOTCANCELED",
      "AIO_NOTCANCELED",
      "AIO_NOTCANCELED",
    ]);
  } finally {
    aioInit({ queueDepth });
  }
  await settle(cbs);
  assertEquals(cbs.map(aioError), [0, 0, 0, 0]);
});

aioTest("a file keeps the depth it was opened with", async () => {
  await using tmp = await tempFile(pattern(64));
  aioInit({ queueDepth: 2 });
  await using narrow = await aioOpen(tmp.path);
  aioInit({ queueDepth: 8 });
  await using wide = await aioOpen(tmp.path);
  const on = (file: typeof narrow, n: number): AioCb[] =>
    Array.from({ length: n }, (_, i) => ({
      file,
      offset: i,
      buffer: new Uint8Array(1),
    }));
  const a = on(narrow, 4);
  const b = on(wide, 4);
  for (const cb of [...a, ...b]) aioRead(cb);
  // The narrow file's third request waits, but does not hold up the other
  // file's requests behind it.
  assertEquals(a.map((cb) => aioError(cb)), Array(4).fill(EINPROGRESS));
  assertEquals(aioCancel(narrow), "AIO_NOTCANCELED");
  assertEquals(aioError(a[2]), "ECANCELED");
  assertEquals(aioError(a[3]), "ECANCELED");
  assertEquals(aioCancel(wide), "AIO_NOTCANCELED");
  assertEquals(b.map((cb) => aioError(cb)), Array(4).fill(EINPROGRESS));
  await settle([...a, ...b]);
  assertEquals(b.map((cb) => aioReturn(cb)), [1, 1, 1, 1]);
});

aioTest(
  "fsync waits for earlier writes even at a higher priority",
  async () => {
    await using tmp = await tempFile();
    await using file = await aioOpen(tmp.path, { write: true });
    const order: string[] = [];
    const write = (i: number): AioCb => ({
      file,
      offset: i * 10,
      buffer: pattern(10, i),
      reqprio: 5,
      notify: () => order.push(`w${i}`),
    });
    const writes = [write(0), write(1), write(2)];
    for (const cb of writes) aioWrite(cb);
    const sync: AioCb = {
      file,
      offset: 0,
      buffer: new Uint8Array(0),
      notify: () => order.push("sync"),
    };
    aioFsync("dsync", sync);
    const after = write(3);
    after.reqprio = 9;
    aioWrite(after);
    await settle([...writes, sync, after]);
    assertEquals(order, ["w0", "w1", "w2", "sync", "w3"]);
    // Cancelling an earlier write releases the fsync, too.
    const blocked = [write(4), write(5)];
    for (const cb of blocked) aioWrite(cb);
    const sync2: AioCb = { file, offset: 0, buffer: new Uint8Array(0) };
    aioFsync("sync", sync2);
    assertEquals(aioCancel(file, blocked[1]), "AIO_CANCELED");
    await settle([...blocked, sync2]);
    assertEquals(aioError(sync2), 0);
    assertEquals(aioError(blocked[1]), "ECANCELED");
  },
  { queueDepth: 1 },
);

// Copyright 2026 the @concurrent/futures authors. MIT license.
// aioCancel and close().

import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { delay } from "@std/async";
import {
  AIO_ALLDONE,
  AIO_CANCELED,
  AIO_NOTCANCELED,
  aioCancel,
  type AioCb,
  aioError,
  aioFsync,
  aioOpen,
  aioRead,
  aioReturn,
  aioWrite,
  ECANCELED,
  EINPROGRESS,
  lioListio,
} from "../mod.ts";
import { aioTest, fifo, pattern, settle, tempFile } from "./_aio_backends.ts";

function reads(file: AioCb["file"], n: number, notify?: (cb: AioCb) => void) {
  return Array.from({ length: n }, (_, i): AioCb => ({
    file,
    offset: i,
    buffer: new Uint8Array(1),
    notify,
  }));
}

/** The file that the writes among `cbs` that succeeded make. */
function expectedFile(cbs: AioCb[]): Uint8Array {
  const done = cbs.filter((cb) => aioError(cb) === 0);
  const size = Math.max(0, ...done.map((cb) => cb.offset + cb.buffer.length));
  const bytes = new Uint8Array(size);
  for (const cb of done) bytes.set(cb.buffer, cb.offset);
  return bytes;
}

aioTest("a cancelled request ends at once with ECANCELED", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path);
  const notified: AioCb[] = [];
  const [running, queued] = reads(file, 2, (cb) => notified.push(cb));
  aioRead(running);
  aioRead(queued);
  // In flight: not cancelled, and it completes normally.
  assertEquals(aioCancel(file, running), AIO_NOTCANCELED);
  assertEquals(aioCancel(file, queued), AIO_CANCELED);
  assertEquals(aioError(queued), ECANCELED);
  // Its notify runs, but not inside aioCancel.
  assertEquals(notified, []);
  assertEquals(aioReturn(queued), -1);
  await Promise.resolve();
  assert(notified.includes(queued));
  await settle([running]);
  assertEquals(aioReturn(running), 1);
  assertEquals(new Set(notified), new Set([queued, running]));
  assertEquals(notified.length, 2);
  // Nothing left.
  assertEquals(aioCancel(file, running), AIO_ALLDONE);
  assertEquals(aioCancel(file, queued), AIO_ALLDONE);
  assertEquals(aioCancel(file), AIO_ALLDONE);
  const never: AioCb = { file, offset: 0, buffer: new Uint8Array(1) };
  assertEquals(aioCancel(file, never), AIO_ALLDONE);
}, { queueDepth: 1 });

aioTest("aioCancel(file) cancels every queued request", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path, { read: true, write: true });
  await using other = await aioOpen(tmp.path);
  let notified = 0;
  const cbs = reads(file, 5, () => notified++);
  const others = reads(other, 2);
  for (const cb of others) aioRead(cb);
  for (const cb of cbs) aioRead(cb);
  const sync: AioCb = { file, offset: 0, buffer: new Uint8Array(0) };
  aioFsync("sync", sync);
  const status = aioCancel(file);
  // One of the other file's requests holds the only slot: all of file's
  // requests were queued.
  assertEquals(status, AIO_CANCELED);
  assertEquals([...cbs, sync].map(aioError), Array(6).fill(ECANCELED));
  // The other file's requests were not touched.
  assertEquals(aioError(others[1]), EINPROGRESS);
  await settle(others);
  assertEquals(others.map((cb) => aioReturn(cb)), [1, 1]);
  assertEquals(notified, 5);
}, { queueDepth: 1 });

aioTest("a cancelled request inside lioListio fails the list", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path);
  const cbs = reads(file, 4).map((cb) => ({ ...cb, opcode: "read" as const }));
  let listNotified = 0;
  const perRequest: string[] = [];
  for (const cb of cbs) cb.notify = () => perRequest.push(`r${cb.offset}`);
  const waiting = lioListio("wait", cbs);
  assertEquals(aioCancel(file, cbs[3]), AIO_CANCELED);
  const error = await waiting.then(() => undefined, (e) => e);
  assertEquals(error?.code, "EIO");
  assertEquals(cbs.map(aioError), [0, 0, 0, ECANCELED]);
  const more = cbs.map((cb) => ({ ...cb, buffer: new Uint8Array(1) }));
  await lioListio("nowait", more, () => {
    listNotified++;
    // After every request's own notify.
    perRequest.push("list");
  });
  aioCancel(file);
  await settle(more);
  await delay(0);
  assertEquals(listNotified, 1);
  assertEquals(perRequest.at(-1), "list");
  assertEquals(perRequest.length, 9);
}, { queueDepth: 1 });

aioTest(
  "close cancels queued requests and waits for those in flight",
  async () => {
    await using tmp = await tempFile();
    const file = await aioOpen(tmp.path, { write: true });
    const block = 4096;
    let notified = 0;
    const cbs: AioCb[] = Array.from({ length: 12 }, (_, i) => ({
      file,
      offset: i * block,
      buffer: pattern(block, i),
      notify: () => notified++,
    }));
    for (const cb of cbs) aioWrite(cb);
    const closing = file.close();
    assertStrictEquals(file.close(), closing);
    // Queued requests ended at once; the ones in flight go on.
    const statuses = cbs.map(aioError);
    const inFlight = statuses.filter((s) => s === EINPROGRESS).length;
    assertEquals(inFlight, 3);
    assertEquals(statuses.slice(3), Array(9).fill(ECANCELED));
    await closing;
    // Once closed, every request has ended (a backend may stop those in
    // flight, as POSIX allows close to), and the file holds exactly the writes
    // that completed.
    const ended = cbs.map(aioError);
    assert(ended.slice(0, 3).every((s) => s === 0 || s === ECANCELED));
    assertEquals(ended.slice(3), Array(9).fill(ECANCELED));
    const data = await Deno.readFile(tmp.path);
    assertEquals(data, expectedFile(cbs));
    await delay(0);
    assertEquals(notified, 12);
    // Nothing more is written later, either.
    await delay(20);
    assertEquals(await Deno.readFile(tmp.path), data);
  },
  { queueDepth: 3 },
);

aioTest("close with fsyncs waiting cancels them too", async () => {
  await using tmp = await tempFile();
  const file = await aioOpen(tmp.path, { write: true });
  const write: AioCb = { file, offset: 0, buffer: pattern(10) };
  const queuedWrite: AioCb = { file, offset: 10, buffer: pattern(10) };
  const sync: AioCb = { file, offset: 0, buffer: new Uint8Array(0) };
  aioWrite(write);
  aioWrite(queuedWrite);
  aioFsync("sync", sync);
  await file.close();
  const [first, ...rest] = [write, queuedWrite, sync].map(aioError);
  assert(first === 0 || first === ECANCELED);
  assertEquals(rest, [ECANCELED, ECANCELED]);
  assertEquals(await Deno.readFile(tmp.path), expectedFile([write]));
}, { queueDepth: 1 });

aioTest("await using closes the file", async () => {
  await using tmp = await tempFile(pattern(8));
  let cb: AioCb;
  {
    await using file = await aioOpen(tmp.path);
    cb = { file, offset: 0, buffer: new Uint8Array(8) };
    aioRead(cb);
  }
  assertEquals(aioError(cb), 0);
  assertEquals(aioReturn(cb), 8);
  let threw = false;
  try {
    aioRead(cb);
  } catch (error) {
    threw = (error as { code?: string }).code === "EBADF";
  }
  assert(threw);
});

aioTest(
  "close resolves only once the request in flight has ended",
  async () => {
    const [pipe, file] = await fifo((path) => aioOpen(path));
    await using _pipe = pipe;
    const cb: AioCb = { file, offset: 0, buffer: new Uint8Array(3) };
    const queued: AioCb = { file, offset: 0, buffer: new Uint8Array(3) };
    aioRead(cb);
    aioRead(queued);
    let closed = false;
    const closing = file.close().then(() => closed = true);
    assertEquals(aioError(queued), ECANCELED);
    // Let the backend do whatever it does on close: either it stops the read
    // (as POSIX allows close to) or the read goes on until data arrives.
    for (let i = 0; i < 5; i++) await delay(1);
    if (closed) {
      assertEquals(aioError(cb), ECANCELED);
    } else {
      assertEquals(aioError(cb), EINPROGRESS);
      await pipe.write(new TextEncoder().encode("abc"));
      await closing;
      assertEquals(aioError(cb), 0);
      assertEquals(new TextDecoder().decode(cb.buffer), "abc");
    }
    await closing;
  },
  { queueDepth: 1 },
);

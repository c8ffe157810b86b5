// Copyright 2026 the @concurrent/futures authors. MIT license.
// Every bad input of the contract gives its error code.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import {
  aioCancel,
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

function code(fn: () => unknown): string {
  const error = assertThrows(fn, AioError);
  assertEquals(error.name, "AioError");
  assertInstanceOf(error, Error);
  return error.code;
}

async function rejectCode(fn: () => Promise<unknown>): Promise<string> {
  const error = await assertRejects(fn, AioError);
  return error.code;
}

aioTest("invalid aiocb fields throw EINVAL synchronously", async () => {
  await using tmp = await tempFile(pattern(16));
  await using file = await aioOpen(tmp.path, { read: true, write: true });
  const ok = (): AioCb => ({ file, offset: 0, buffer: new Uint8Array(8) });
  const bad: [string, unknown][] = [
    ["null cb", null],
    ["number cb", 42],
    ["offset -1", { ...ok(), offset: -1 }],
    ["offset 1.5", { ...ok(), offset: 1.5 }],
    ["offset NaN", { ...ok(), offset: NaN }],
    ["offset Infinity", { ...ok(), offset: Infinity }],
    ["offset string", { ...ok(), offset: "0" }],
    ["offset missing", { file, buffer: new Uint8Array(8) }],
    ["offset 2^53", { ...ok(), offset: 2 ** 53 }],
    ["nbytes -1", { ...ok(), nbytes: -1 }],
    ["nbytes 0.5", { ...ok(), nbytes: 0.5 }],
    ["nbytes past the buffer", { ...ok(), nbytes: 9 }],
    ["nbytes string", { ...ok(), nbytes: "4" }],
    ["buffer ArrayBuffer", { ...ok(), buffer: new ArrayBuffer(8) }],
    ["buffer Uint16Array", { ...ok(), buffer: new Uint16Array(4) }],
    ["buffer array", { ...ok(), buffer: [1, 2, 3] }],
    ["buffer DataView", { ...ok(), buffer: new DataView(new ArrayBuffer(8)) }],
    ["buffer missing", { file, offset: 0 }],
    ["reqprio -1", { ...ok(), reqprio: -1 }],
    ["reqprio 0.5", { ...ok(), reqprio: 0.5 }],
    ["opcode unknown", { ...ok(), opcode: "erase" }],
    ["notify not a function", { ...ok(), notify: "call me" }],
  ];
  for (const [what, cb] of bad) {
    for (const submit of [aioRead, aioWrite]) {
      assertEquals(code(() => submit(cb as AioCb)), "EINVAL", what);
    }
  }
  // aioFsync uses only file, reqprio and notify.
  for (const [what, cb] of bad.slice(0, 2).concat(bad.slice(-3))) {
    assertEquals(code(() => aioFsync("sync", cb as AioCb)), "EINVAL", what);
  }
  assertEquals(code(() => aioFsync("fsync" as "sync", ok())), "EINVAL");
  assertEquals(code(() => aioFsync(undefined as never, ok())), "EINVAL");
  // Nothing was queued by any of it.
  assertEquals(aioCancel(file), "AIO_ALLDONE");
  // aioFsync ignores the buffer and offset.
  const sync = { file, offset: -5, buffer: null } as unknown as AioCb;
  aioFsync("dsync", sync);
  await settle([sync]);
  assertEquals(aioReturn(sync), 0);
});

aioTest("a file that is not an open AioFile gives EBADF", async () => {
  await using tmp = await tempFile(pattern(16));
  const file = await aioOpen(tmp.path, { read: true, write: true });
  const buffer = new Uint8Array(4);
  const notFiles: unknown[] = [
    undefined,
    null,
    3,
    {},
    await Deno.open(tmp.path),
  ];
  for (const f of notFiles) {
    const cb = { file: f, offset: 0, buffer } as AioCb;
    assertEquals(code(() => aioRead(cb)), "EBADF");
    assertEquals(code(() => aioWrite(cb)), "EBADF");
    assertEquals(code(() => aioFsync("sync", cb)), "EBADF");
    assertEquals(code(() => aioCancel(f as never)), "EBADF");
  }
  (notFiles[4] as Deno.FsFile).close();
  const closing = file.close();
  const cb: AioCb = { file, offset: 0, buffer };
  assertEquals(code(() => aioRead(cb)), "EBADF");
  await closing;
  assertEquals(code(() => aioRead(cb)), "EBADF");
  assertEquals(code(() => aioWrite(cb)), "EBADF");
  assertEquals(code(() => aioFsync("dsync", cb)), "EBADF");
  assertEquals(code(() => aioCancel(file)), "EBADF");
  assertEquals(code(() => aioCancel(file, cb)), "EBADF");
});

aioTest("the open mode is checked: EBADF", async () => {
  await using tmp = await tempFile(pattern(16));
  {
    await using reader = await aioOpen(tmp.path);
    const cb: AioCb = { file: reader, offset: 0, buffer: pattern(4) };
    assertEquals(code(() => aioWrite(cb)), "EBADF");
    assertEquals(code(() => aioFsync("sync", cb)), "EBADF");
  }
  {
    await using writer = await aioOpen(tmp.path, { write: true });
    const cb: AioCb = { file: writer, offset: 0, buffer: new Uint8Array(4) };
    assertEquals(code(() => aioRead(cb)), "EBADF");
  }
  {
    await using appender = await aioOpen(tmp.path, { append: true });
    const cb: AioCb = { file: appender, offset: 0, buffer: new Uint8Array(4) };
    assertEquals(code(() => aioRead(cb)), "EBADF");
  }
});

aioTest("an aiocb whose request is in progress gives EINVAL", async () => {
  await using tmp = await tempFile(pattern(16));
  await using file = await aioOpen(tmp.path, { read: true, write: true });
  const cb: AioCb = { file, offset: 0, buffer: new Uint8Array(4) };
  aioRead(cb);
  assertEquals(code(() => aioRead(cb)), "EINVAL");
  assertEquals(code(() => aioWrite(cb)), "EINVAL");
  assertEquals(code(() => aioFsync("sync", cb)), "EINVAL");
  assertEquals(aioError(cb), EINPROGRESS);
  await settle([cb]);
  assertEquals(aioReturn(cb), 4);
});

aioTest("beyond maxRequests: EAGAIN", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path);
  const cbs: AioCb[] = Array.from({ length: 5 }, (_, i) => ({
    file,
    offset: i,
    buffer: new Uint8Array(1),
  }));
  for (const cb of cbs.slice(0, 4)) aioRead(cb);
  assertEquals(code(() => aioRead(cbs[4])), "EAGAIN");
  assertThrows(() => aioError(cbs[4]), AioError); // nothing recorded
  await settle(cbs.slice(0, 4));
  // Ended requests no longer count, aioReturn or not.
  aioRead(cbs[4]);
  await settle([cbs[4]]);
  assertEquals(aioReturn(cbs[4]), 1);
}, { maxRequests: 4, queueDepth: 2 });

aioTest(
  "lioListio records each request's error and queues the rest",
  async () => {
    await using tmp = await tempFile(pattern(64));
    await using dir = await tempDir();
    await using file = await aioOpen(tmp.path);
    const closed = await aioOpen(tmp.path);
    await closed.close();
    const good: AioCb = {
      file,
      offset: 0,
      buffer: new Uint8Array(8),
      opcode: "read",
    };
    const badOffset = { ...good, buffer: new Uint8Array(8), offset: -1 };
    const badOpcode = {
      ...good,
      buffer: new Uint8Array(8),
      opcode: "x",
    } as never;
    const noOpcode: AioCb = { file, offset: 0, buffer: new Uint8Array(8) };
    const badFile: AioCb = { ...good, buffer: new Uint8Array(8), file: closed };
    const readOnly: AioCb = {
      ...good,
      buffer: new Uint8Array(8),
      opcode: "write",
    };
    const nop: AioCb = { ...good, buffer: new Uint8Array(8), opcode: "nop" };
    const list = [
      good,
      null,
      badOffset,
      badOpcode,
      noOpcode,
      badFile,
      readOnly,
      nop,
    ];
    assertEquals(await rejectCode(() => lioListio("wait", list)), "EIO");
    assertEquals(aioError(good), 0);
    assertEquals(aioReturn(good), 8);
    for (const cb of [badOffset, badOpcode, noOpcode]) {
      assertEquals(aioError(cb), "EINVAL");
      assertEquals(aioReturn(cb), -1);
    }
    assertEquals(aioError(badFile), "EBADF");
    assertEquals(aioError(readOnly), "EBADF");
    assertThrows(() => aioError(nop), AioError); // a nop is no request
    // nowait: EIO for invalid entries, after queueing the valid ones.
    const again: AioCb = { ...good, buffer: new Uint8Array(8) };
    let notified = 0;
    assertEquals(
      await rejectCode(() =>
        lioListio("nowait", [again, badOffset], () => notified++)
      ),
      "EIO",
    );
    await settle([again]);
    assertEquals(aioReturn(again), 8);
    await delay(0);
    assertEquals(notified, 1);
    void dir;
  },
);

aioTest("lioListio beyond maxRequests records EAGAIN", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path);
  const cbs: AioCb[] = Array.from({ length: 6 }, (_, i) => ({
    file,
    offset: i,
    buffer: new Uint8Array(1),
    opcode: "read",
  }));
  let notified = 0;
  const error = await assertRejects(
    () => lioListio("nowait", cbs, () => notified++),
    AioError,
  );
  assertEquals(error.code, "EAGAIN");
  assertEquals(cbs.map(aioError).slice(3), ["EAGAIN", "EAGAIN", "EAGAIN"]);
  await settle(cbs);
  assertEquals(cbs.map((cb) => aioReturn(cb)), [1, 1, 1, -1, -1, -1]);
  await delay(0);
  assertEquals(notified, 1);
  // "wait" reports EIO, after the queued ones ended.
  const more = cbs.map((cb) => ({ ...cb, buffer: new Uint8Array(1) }));
  assertEquals(await rejectCode(() => lioListio("wait", more)), "EIO");
  assertEquals(more.map(aioError), [0, 0, 0, "EAGAIN", "EAGAIN", "EAGAIN"]);
}, { maxRequests: 3 });

aioTest("lioListio's own arguments: EINVAL, nothing queued", async () => {
  await using tmp = await tempFile(pattern(8));
  await using file = await aioOpen(tmp.path);
  const cb: AioCb = {
    file,
    offset: 0,
    buffer: new Uint8Array(1),
    opcode: "read",
  };
  assertEquals(
    await rejectCode(() => lioListio("now" as never, [cb])),
    "EINVAL",
  );
  assertEquals(
    await rejectCode(() => lioListio("wait", cb as never)),
    "EINVAL",
  );
  assertEquals(
    await rejectCode(() => lioListio("nowait", [cb], "x" as never)),
    "EINVAL",
  );
  assertThrows(() => aioError(cb), AioError);
  assertEquals(aioCancel(file), "AIO_ALLDONE");
});

aioTest("aioSuspend's arguments: EINVAL", async () => {
  await using tmp = await tempFile(pattern(8));
  await using file = await aioOpen(tmp.path);
  const cb: AioCb = { file, offset: 0, buffer: new Uint8Array(1) };
  aioRead(cb);
  for (const timeout of [-1, NaN, "10"]) {
    assertEquals(
      await rejectCode(() => aioSuspend([cb], timeout as number)),
      "EINVAL",
    );
  }
  assertEquals(await rejectCode(() => aioSuspend(cb as never)), "EINVAL");
  assertEquals(await rejectCode(() => aioSuspend([cb, 7 as never])), "EINVAL");
  await settle([cb]);
});

aioTest("aioCancel with another file's aiocb: EINVAL", async () => {
  await using tmp = await tempFile(pattern(8));
  await using a = await aioOpen(tmp.path);
  await using b = await aioOpen(tmp.path);
  const cb: AioCb = { file: a, offset: 0, buffer: new Uint8Array(1) };
  aioRead(cb);
  assertEquals(code(() => aioCancel(b, cb)), "EINVAL");
  assertEquals(code(() => aioCancel(a, 5 as never)), "EINVAL");
  await settle([cb]);
});

aioTest("aioInit refuses invalid options and changes nothing", () => {
  const before = aioInit();
  const bad: unknown[] = [
    5,
    "deep",
    { queueDepth: 0 },
    { queueDepth: -3 },
    { queueDepth: 2.5 },
    { queueDepth: "8" },
    { queueDepth: NaN },
    { queueDepth: Infinity },
    { maxRequests: 0 },
    { maxRequests: 1.5 },
    { backend: "posix" },
    { backend: 1 },
    { queueDepth: 4, maxRequests: -1 },
    { queueDepth: 4, backend: "thread-pool" },
    { maxRequests: 8, queueDepth: 0 },
  ];
  for (const options of bad) {
    assertEquals(code(() => aioInit(options as never)), "EINVAL");
    assertEquals(aioInit(), before);
  }
  assertEquals(aioInit(undefined), before);
  assertEquals(aioInit({}), before);
});

aioTest(
  "I/O failures are reported by aioError, not thrown",
  async ({ backend }) => {
    // /proc/self/mem reads at an unmapped address fail with EIO; kernel AIO
    // refuses the file itself with EINVAL (it has no read_iter).
    await using mem = await aioOpen("/proc/self/mem");
    const cb: AioCb = { file: mem, offset: 0, buffer: new Uint8Array(16) };
    aioRead(cb);
    assertEquals(aioError(cb), EINPROGRESS);
    await settle([cb]);
    assertEquals(aioError(cb), backend === "linux-aio" ? "EINVAL" : "EIO");
    assertEquals(aioReturn(cb), -1);
    // A directory opened for reading: the OS's EISDIR.
    await using dir = await tempDir();
    await using d = await aioOpen(dir.path);
    const read: AioCb = { file: d, offset: 0, buffer: new Uint8Array(16) };
    aioRead(read);
    await settle([read]);
    assertEquals(aioError(read), "EISDIR");
    assert(aioReturn(read) === -1);
  },
);

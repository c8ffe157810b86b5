// Copyright 2026 the @concurrent/futures authors. MIT license.
// Edges where the backends used to disagree: offsets past the file system's
// largest file, buffers detached or shrunk under a request, and an aiocb
// given twice.

import {
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  aioCancel,
  type AioCb,
  AioError,
  aioError,
  aioOpen,
  aioRead,
  aioReturn,
  aioSuspend,
  aioWrite,
  EINPROGRESS,
  lioListio,
} from "../mod.ts";
import { aioTest, pattern, settle, tempFile } from "./_aio_backends.ts";

// ---------------------------------------------------------------------------
// Offsets past the largest file.

/**
 * The file system's largest file size for `path`, where lseek draws the line
 * (2^44 - 4 KiB on ext4), or `undefined` when it lies beyond
 * `Number.MAX_SAFE_INTEGER` (tmpfs, xfs, btrfs).
 */
function largestFile(path: string): number | undefined {
  using file = Deno.openSync(path);
  const fits = (offset: number) => {
    try {
      file.seekSync(offset, Deno.SeekMode.Start);
      return true;
    } catch {
      return false;
    }
  };
  if (fits(Number.MAX_SAFE_INTEGER)) return undefined;
  let low = 0; // fits
  let high = Number.MAX_SAFE_INTEGER; // does not
  while (high - low > 1) {
    const mid = low + Math.floor((high - low) / 2);
    if (fits(mid)) low = mid;
    else high = mid;
  }
  return low;
}

aioTest(
  "a read past the largest file returns 0; a write there fails with EFBIG",
  async () => {
    await using tmp = await tempFile(pattern(16));
    await using file = await aioOpen(tmp.path, { read: true, write: true });
    const limit = largestFile(tmp.path);
    const huge = [2 ** 44, 2 ** 50, Number.MAX_SAFE_INTEGER];
    const reads: AioCb[] = [...huge, ...(limit === undefined ? [] : [limit])]
      .map((offset) => ({
        file,
        offset,
        buffer: new Uint8Array(4).fill(7),
        opcode: "read",
      }));
    await lioListio("wait", reads);
    for (const cb of reads) {
      assertEquals([aioError(cb), aioReturn(cb)], [0, 0], `at ${cb.offset}`);
      assertEquals(cb.buffer, new Uint8Array(4).fill(7));
    }
    if (limit === undefined) {
      console.log("  (this file system has no size limit below 2^53)");
      return;
    }
    const writes: AioCb[] = [limit, limit + 1, Number.MAX_SAFE_INTEGER].map(
      (offset) => ({ file, offset, buffer: pattern(4), opcode: "write" }),
    );
    const error = await assertRejects(
      () => lioListio("wait", writes),
      AioError,
    );
    assertEquals(error.code, "EIO");
    for (const cb of writes) {
      assertEquals(
        [aioError(cb), aioReturn(cb)],
        ["EFBIG", -1],
        `at ${cb.offset}`,
      );
    }
    // One write alone, as aioWrite: the same.
    const alone: AioCb = { file, offset: limit + 4096, buffer: pattern(1) };
    aioWrite(alone);
    await settle([alone]);
    assertEquals(aioError(alone), "EFBIG");
    // Straddling the limit: the bytes below it, as pwrite.
    const straddle: AioCb = { file, offset: limit - 2, buffer: pattern(4) };
    aioWrite(straddle);
    await settle([straddle]);
    assertEquals([aioError(straddle), aioReturn(straddle)], [0, 2]);
    assertEquals((await Deno.stat(tmp.path)).size, limit);
  },
);

// ---------------------------------------------------------------------------
// Buffers detached or shrunk under a request.

type Spoil = (cb: AioCb) => void;
const spoilers: [string, () => Uint8Array, Spoil][] = [
  [
    "detached",
    () => new Uint8Array(new ArrayBuffer(16)).fill(9),
    (cb) => void (cb.buffer.buffer as ArrayBuffer).transfer(),
  ],
  [
    "shrunk (a length-tracking view)",
    () => new Uint8Array(new ArrayBuffer(16, { maxByteLength: 16 })).fill(9),
    (cb) => (cb.buffer.buffer as ArrayBuffer).resize(4),
  ],
  [
    "shrunk (a fixed view)",
    () =>
      new Uint8Array(new ArrayBuffer(16, { maxByteLength: 16 }), 0, 16).fill(
        9,
      ),
    (cb) => (cb.buffer.buffer as ArrayBuffer).resize(8),
  ],
];

for (const [how, make, spoil] of spoilers) {
  aioTest(
    `a buffer ${how} while its request is queued: EFAULT, nothing moved`,
    async () => {
      await using tmp = await tempFile(pattern(64));
      await using file = await aioOpen(tmp.path, { read: true, write: true });
      let notified = 0;
      const notify = () => notified++;
      // Depth 1: the first request is in flight, the others wait.
      const first: AioCb = { file, offset: 0, buffer: new Uint8Array(8) };
      const read: AioCb = { file, offset: 0, buffer: make(), notify };
      const write: AioCb = { file, offset: 32, buffer: make(), notify };
      aioRead(first);
      aioRead(read);
      aioWrite(write);
      spoil(read);
      spoil(write);
      await settle([first, read, write]);
      assertEquals(aioReturn(first), 8);
      for (const cb of [read, write]) {
        assertEquals([aioError(cb), aioReturn(cb)], ["EFAULT", -1]);
      }
      assertEquals(notified, 2);
      assertEquals(await Deno.readFile(tmp.path), pattern(64));
      if (read.buffer.byteLength > 0) {
        assertEquals(read.buffer, new Uint8Array(read.buffer.length).fill(9));
      }
    },
    { queueDepth: 1 },
  );

  aioTest(
    `a buffer ${how} while its request is in flight: EFAULT`,
    async () => {
      await using tmp = await tempFile(pattern(64));
      await using file = await aioOpen(tmp.path, { read: true, write: true });
      const read: AioCb = { file, offset: 0, buffer: make() };
      const write: AioCb = { file, offset: 32, buffer: make() };
      aioRead(read);
      aioWrite(write);
      assertEquals([aioError(read), aioError(write)], [
        EINPROGRESS,
        EINPROGRESS,
      ]);
      spoil(read);
      spoil(write);
      await settle([read, write]);
      // Whatever the backend moved before it noticed, it is no success.
      for (const cb of [read, write]) {
        assertEquals([aioError(cb), aioReturn(cb)], ["EFAULT", -1]);
      }
    },
  );
}

aioTest(
  "a buffer detached after its request ended keeps its result",
  async () => {
    await using tmp = await tempFile(pattern(64));
    await using file = await aioOpen(tmp.path);
    const cb: AioCb = { file, offset: 0, buffer: new Uint8Array(8) };
    aioRead(cb);
    await settle([cb]);
    (cb.buffer.buffer as ArrayBuffer).transfer();
    assertEquals([aioError(cb), aioReturn(cb)], [0, 8]);
  },
);

// ---------------------------------------------------------------------------
// One aiocb given twice.

aioTest(
  "lioListio with an aiocb listed twice: EINVAL on it, nothing done",
  async () => {
    await using tmp = await tempFile(pattern(64));
    await using file = await aioOpen(tmp.path, { read: true, write: true });
    let notified = 0;
    const twice: AioCb = {
      file,
      offset: 0,
      buffer: new Uint8Array(8).fill(1),
      opcode: "write",
      notify: () => notified++,
    };
    const other: AioCb = {
      file,
      offset: 8,
      buffer: new Uint8Array(8),
      opcode: "read",
    };
    const nop: AioCb = {
      file,
      offset: 0,
      buffer: new Uint8Array(1),
      opcode: "nop",
    };
    const error = await assertRejects(
      () => lioListio("wait", [twice, nop, other, null, nop, twice]),
      AioError,
    );
    assertEquals(error.code, "EIO");
    // The message names the failed entries; aioError tells the same.
    assertMatch(error.message, /entry 0: EINVAL, entry 5: EINVAL/);
    assertEquals([aioError(twice), aioReturn(twice)], ["EINVAL", -1]);
    assertEquals([aioError(other), aioReturn(other)], [0, 8]);
    assertEquals(other.buffer, pattern(64).subarray(8, 16));
    assertEquals(notified, 0);
    assertEquals(await Deno.readFile(tmp.path), pattern(64));
    // nowait: the same, thrown at once.
    const thrown = await assertRejects(
      () => lioListio("nowait", [twice, twice]),
      AioError,
    );
    assertEquals(thrown.code, "EIO");
    assertEquals(aioError(twice), "EINVAL");
    // Once listed, it is queued as usual.
    await lioListio("wait", [twice]);
    assertEquals([aioError(twice), aioReturn(twice)], [0, 8]);
    assertEquals(notified, 1);
  },
);

aioTest("an aiocb in progress, given again, keeps its request", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path, { read: true, write: true });
  const blocker: AioCb = { file, offset: 0, buffer: new Uint8Array(4) };
  let notified = 0;
  const cb: AioCb = {
    file,
    offset: 16,
    buffer: new Uint8Array(4),
    opcode: "read",
    notify: () => notified++,
  };
  aioRead(blocker);
  aioRead(cb); // queued behind the blocker (depth 1)
  const code = (fn: () => unknown) => assertThrows(fn, AioError).code;
  assertEquals(code(() => aioRead(cb)), "EINVAL");
  assertEquals(code(() => aioWrite(cb)), "EINVAL");
  // lioListio records nothing on it: the aiocb's status is its request's.
  const listing = lioListio("wait", [cb]);
  const nowait = lioListio("nowait", [null, cb]);
  assertEquals(aioError(cb), EINPROGRESS);
  const error = await assertRejects(() => listing, AioError);
  assertEquals(error.code, "EIO");
  assertMatch(error.message, /entry 0: EINVAL/);
  await assertRejects(
    () => nowait,
    AioError,
    "entry 1: EINVAL",
  );
  await aioSuspend([cb, cb]);
  await settle([blocker, cb]);
  assertEquals([aioError(cb), aioReturn(cb)], [0, 4]);
  assertEquals(cb.buffer, pattern(64).subarray(16, 20));
  assertEquals(notified, 1);
  // Cancelling twice: the second finds nothing left.
  const queued: AioCb = { file, offset: 0, buffer: new Uint8Array(1) };
  aioRead(blocker);
  aioRead(queued);
  assertEquals(aioCancel(file, queued), "AIO_CANCELED");
  assertEquals(aioCancel(file, queued), "AIO_ALLDONE");
  await settle([blocker]);
}, { queueDepth: 1 });

aioTest("an aiocb requeued from its own notify runs again", async () => {
  await using tmp = await tempFile(pattern(64));
  await using file = await aioOpen(tmp.path);
  const seen: number[] = [];
  const { promise, resolve } = Promise.withResolvers<void>();
  const cb: AioCb = {
    file,
    offset: 0,
    buffer: new Uint8Array(8),
    notify() {
      seen.push(aioReturn(cb));
      // Ended: the aiocb is free again, from inside its notify too.
      if (seen.length < 8) {
        cb.offset += 8;
        aioRead(cb);
      } else resolve();
    },
  };
  aioRead(cb);
  await promise;
  assertEquals(seen, new Array(8).fill(8));
  assertEquals(cb.buffer, pattern(64).subarray(56));
});

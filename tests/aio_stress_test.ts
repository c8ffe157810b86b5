// Copyright 2026 the @concurrent/futures authors. MIT license.
// Many requests at once, and random request sequences checked against an
// in-memory model of the file.

import { assert, assertEquals } from "@std/assert";
import {
  aioCancel,
  type AioCb,
  aioError,
  type AioFile,
  aioFsync,
  aioInit,
  aioOpen,
  aioRead,
  aioReturn,
  aioWrite,
  EINPROGRESS,
  lioListio,
} from "../mod.ts";
import { aioTest, pattern, prng, settle, tempFile } from "./_aio_backends.ts";

aioTest("thousands of concurrent writes to disjoint blocks", async () => {
  await using tmp = await tempFile();
  await using file = await aioOpen(tmp.path, { read: true, write: true });
  const n = 3000;
  const block = 512;
  const writes: AioCb[] = Array.from({ length: n }, (_, i) => ({
    file,
    offset: i * block,
    buffer: pattern(block, i),
    reqprio: i % 4,
  }));
  for (const cb of writes) aioWrite(cb);
  await settle(writes);
  assert(writes.every((cb) => aioReturn(cb) === block));
  const data = await Deno.readFile(tmp.path);
  assertEquals(data.length, n * block);
  for (let i = 0; i < n; i++) {
    assertEquals(data.subarray(i * block, (i + 1) * block), pattern(block, i));
  }
  // And read back through the facade, all at once.
  const reads: AioCb[] = writes.map((w) => ({
    file,
    offset: w.offset,
    buffer: new Uint8Array(block),
    opcode: "read",
  }));
  await lioListio("wait", reads);
  reads.forEach((cb, i) => assertEquals(cb.buffer, pattern(block, i)));
}, { maxRequests: 4096, queueDepth: 64 });

aioTest("concurrent appends are all present and whole", async () => {
  await using tmp = await tempFile();
  await using file = await aioOpen(tmp.path, { append: true });
  const encoder = new TextEncoder();
  const records = Array.from(
    { length: 1000 },
    (_, i) => `<${i}:${"abcdefghij".repeat(1 + (i % 7))}:${i}>\n`,
  );
  const cbs: AioCb[] = records.map((text) => ({
    file,
    offset: 0,
    buffer: encoder.encode(text),
  }));
  for (const cb of cbs) aioWrite(cb);
  await settle(cbs);
  cbs.forEach((cb) => assertEquals(aioReturn(cb), cb.buffer.length));
  const lines = (await Deno.readTextFile(tmp.path)).split("\n");
  assertEquals(lines.pop(), "");
  assertEquals(lines.length, records.length);
  assertEquals(lines.map((l) => `${l}\n`).sort(), [...records].sort());
}, { maxRequests: 2048, queueDepth: 32 });

interface Planned {
  cb: AioCb;
  kind: "read" | "write" | "fsync";
  /** For reads: the bytes the model holds for the range at the start. */
  expected?: Uint8Array;
}

/**
 * One random run: batches of reads and writes whose ranges do not overlap
 * within the batch (so the outcome does not depend on scheduling), random
 * cancels and closes while they run; after each batch, the writes that
 * completed are applied to the model, the reads that completed must match
 * it, and after a close the file on disk must equal it.
 */
async function randomRun(seed: number, path: string): Promise<void> {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  let model = new Uint8Array(0);
  let file: AioFile = await aioOpen(path, { read: true, write: true });
  const span = 1 << 14;
  try {
    for (let batch = 0; batch < 12; batch++) {
      const size = model.length;
      const taken: [number, number][] = [];
      const free = (start: number, end: number) =>
        taken.every(([s, e]) => end <= s || start >= e);
      const grows = () => taken.some(([, e]) => e > size);
      const planned: Planned[] = [];
      const count = 1 + int(24);
      for (let i = 0; i < count; i++) {
        const roll = random();
        const offset = int(span);
        const length = 1 + int(2048);
        const reqprio = int(3);
        if (roll < 0.08) {
          const cb: AioCb = {
            file,
            offset: 0,
            buffer: new Uint8Array(0),
            reqprio,
          };
          aioFsync(random() < 0.5 ? "sync" : "dsync", cb);
          planned.push({ cb, kind: "fsync" });
        } else if (roll < 0.5) {
          // Reads past the old end only while no write in the batch grows
          // the file, so what they see does not depend on the order.
          const end = grows()
            ? Math.min(offset + length, size)
            : offset + length;
          if (end <= offset || !free(offset, end)) continue;
          const nbytes = end - offset;
          const cb: AioCb = {
            file,
            offset,
            buffer: new Uint8Array(nbytes + int(4)),
            nbytes,
            reqprio,
          };
          aioRead(cb);
          taken.push([offset, end]);
          planned.push({
            cb,
            kind: "read",
            expected: model.slice(offset, Math.min(end, size)),
          });
        } else {
          const end = offset + length;
          if (!free(offset, end)) continue;
          if (
            end > size &&
            planned.some((p) =>
              p.kind === "read" && p.cb.offset + p.cb.nbytes! > size
            )
          ) continue;
          const cb: AioCb = {
            file,
            offset,
            buffer: pattern(length, int(251)),
            reqprio,
          };
          aioWrite(cb);
          taken.push([offset, end]);
          planned.push({ cb, kind: "write" });
        }
      }
      // Random interference while the batch runs.
      const action = random();
      let closed = false;
      if (action < 0.2 && planned.length > 0) {
        aioCancel(file, planned[int(planned.length)].cb);
      } else if (action < 0.3) {
        aioCancel(file);
      } else if (action < 0.4) {
        await file.close();
        closed = true;
      }
      await settle(planned.map((p) => p.cb));
      for (const { cb, kind, expected } of planned) {
        const status = aioError(cb);
        assert(status === 0 || status === "ECANCELED", `${kind}: ${status}`);
        const result = aioReturn(cb);
        if (status !== 0) {
          assertEquals(result, -1);
          continue;
        }
        if (kind === "write") {
          assertEquals(result, cb.buffer.length);
          const end = cb.offset + cb.buffer.length;
          if (end > model.length) {
            const grown = new Uint8Array(end);
            grown.set(model);
            model = grown;
          }
          model.set(cb.buffer, cb.offset);
        } else if (kind === "read") {
          assertEquals(result, expected!.length);
          assertEquals(cb.buffer.subarray(0, result), expected);
        } else {
          assertEquals(result, 0);
        }
      }
      if (closed) {
        assertEquals(await Deno.readFile(path), model, `seed ${seed}`);
        file = await aioOpen(path, { read: true, write: true });
      }
    }
  } finally {
    await file.close();
  }
  assertEquals(await Deno.readFile(path), model, `seed ${seed}`);
}

aioTest("random reads, writes, cancels and closes match a model", async () => {
  for (const seed of [1, 2, 3, 42, 1234, 2026]) {
    await using tmp = await tempFile();
    for (const queueDepth of [1, 4, 16]) {
      const before = aioInit({ queueDepth });
      try {
        await Deno.truncate(tmp.path, 0);
        await randomRun(seed * 100 + queueDepth, tmp.path);
      } finally {
        aioInit({ queueDepth: before.queueDepth });
      }
    }
  }
});

aioTest(
  "a read right after queueing is in progress, however many",
  async () => {
    await using tmp = await tempFile(pattern(1 << 16));
    await using file = await aioOpen(tmp.path);
    const cbs: AioCb[] = Array.from({ length: 500 }, (_, i) => ({
      file,
      offset: (i * 97) % (1 << 16),
      buffer: new Uint8Array(64),
    }));
    for (const cb of cbs) {
      aioRead(cb);
      assertEquals(aioError(cb), EINPROGRESS);
    }
    await settle(cbs);
    cbs.forEach((cb) => {
      const n = aioReturn(cb);
      assertEquals(n, Math.min(64, (1 << 16) - cb.offset));
      assertEquals(
        cb.buffer.subarray(0, n),
        pattern(1 << 16).subarray(cb.offset, cb.offset + n),
      );
    });
  },
);

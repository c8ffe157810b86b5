// Copyright 2026 the @concurrent/futures authors. MIT license.
// Direct I/O (`aioOpen(path, { direct: true })`, O_DIRECT) on every backend:
// the backends with it (io_uring, linux-aio) read and write aligned requests
// past the page cache and refuse misaligned ones with EINVAL naming the
// alignment; the others refuse to open with EINVAL naming those that can.
// And alignedBuffer.

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  type AioCb,
  AioError,
  aioError,
  aioOpen,
  aioRead,
  aioReturn,
  aioWrite,
  alignedBuffer,
  lioListio,
} from "../mod.ts";
import { aioTest, pattern, prng, settle, tempFile } from "./_aio_backends.ts";

const DIRECT = new Set(["io_uring", "linux-aio"]);

function address(buffer: Uint8Array): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof AioError ? error.code : String(error);
  }
  return undefined;
}

Deno.test("alignedBuffer: aligned addresses, zero-filled, the size asked", () => {
  for (const alignment of [1, 2, 512, 4096, 65536, 1 << 21]) {
    for (const size of [0, 1, 512, 4096, 12345]) {
      const buffer = alignedBuffer(size, alignment);
      assertEquals(buffer.byteLength, size);
      if (size > 0) assertEquals(address(buffer) % alignment, 0);
      assert(buffer.every((byte) => byte === 0));
    }
  }
  // The default is 4096.
  for (let i = 0; i < 20; i++) {
    assertEquals(address(alignedBuffer(100 + i)) % 4096, 0);
  }
});

Deno.test("alignedBuffer: bad sizes and alignments are RangeErrors", () => {
  for (const size of [-1, 1.5, NaN, Infinity, "8" as unknown as number]) {
    assertThrows(() => alignedBuffer(size), RangeError, "'size'");
  }
  for (const alignment of [0, 3, 1000, -4096, 0.5, 2 ** 31]) {
    assertThrows(() => alignedBuffer(8, alignment), RangeError, "'alignment'");
  }
});

aioTest("a buffered file is not direct and takes any alignment", async () => {
  await using tmp = await tempFile(pattern(100));
  await using file = await aioOpen(tmp.path, { direct: false });
  assertEquals(file.direct, false);
  assertEquals(file.alignment, 1);
  const cb: AioCb = { file, offset: 3, buffer: new Uint8Array(7) };
  aioRead(cb);
  await settle([cb]);
  assertEquals(aioReturn(cb), 7);
  assertEquals(cb.buffer, pattern(100).subarray(3, 10));
});

aioTest(
  "direct: true opens with O_DIRECT where the backend can, else EINVAL",
  async ({ backend }) => {
    await using tmp = await tempFile(pattern(8192));
    if (!DIRECT.has(backend)) {
      const error = await assertRejects(
        () => aioOpen(tmp.path, { direct: true }),
        AioError,
      );
      assertEquals(error.code, "EINVAL");
      assertStringIncludes(error.message, '"io_uring"');
      assertStringIncludes(error.message, '"linux-aio"');
      assertStringIncludes(error.message, `"${backend}"`);
      return;
    }
    await using file = await aioOpen(tmp.path, { direct: true });
    assertEquals(file.direct, true);
    assertEquals(file.backend, backend);
    // A logical block size: a power of two, 512 or more, 64 KiB at most.
    const a = file.alignment;
    assert(a >= 512 && a <= 65536 && (a & (a - 1)) === 0, `alignment ${a}`);
  },
);

aioTest(
  "direct reads and writes move aligned blocks, coherent with the page cache",
  async ({ backend }) => {
    if (!DIRECT.has(backend)) return;
    const size = 64 * 4096;
    await using tmp = await tempFile(pattern(size));
    await using file = await aioOpen(tmp.path, {
      read: true,
      write: true,
      direct: true,
    });
    const block = Math.max(file.alignment, 4096);
    // Random aligned reads, many in flight.
    const random = prng(7);
    const reads: AioCb[] = Array.from({ length: 48 }, () => ({
      file,
      offset: Math.floor(random() * (size / block)) * block,
      buffer: alignedBuffer(block, file.alignment),
      opcode: "read",
    }));
    await lioListio("wait", reads);
    const whole = pattern(size);
    for (const cb of reads) {
      assertEquals(aioReturn(cb), block);
      assertEquals(cb.buffer, whole.subarray(cb.offset, cb.offset + block));
    }
    // Direct writes, then a buffered read sees them (the kernel keeps the
    // page cache coherent).
    const writes: AioCb[] = [0, 5, 9].map((i) => ({
      file,
      offset: i * block,
      buffer: alignedBuffer(block, file.alignment).fill(i + 1),
    }));
    for (const cb of writes) aioWrite(cb);
    await settle(writes);
    assertEquals(writes.map(aioReturn), [block, block, block]);
    const back = await Deno.readFile(tmp.path);
    for (const cb of writes) {
      assertEquals(back.subarray(cb.offset, cb.offset + block), cb.buffer);
    }
    // A short read at the end of the file still counts the bytes there.
    await Deno.truncate(tmp.path, size - 100);
    const last: AioCb = {
      file,
      offset: size - block,
      buffer: alignedBuffer(block, file.alignment),
    };
    aioRead(last);
    await settle([last]);
    assertEquals(aioReturn(last), block - 100);
  },
);

aioTest(
  "a misaligned offset, length or buffer address on a direct file is EINVAL naming the alignment",
  async ({ backend }) => {
    if (!DIRECT.has(backend)) return;
    await using tmp = await tempFile(pattern(3 * 4096));
    await using file = await aioOpen(tmp.path, {
      read: true,
      write: true,
      direct: true,
    });
    const a = file.alignment;
    const good = alignedBuffer(2 * a, a);
    // The address one byte in is misaligned, whatever the alignment.
    const shifted = alignedBuffer(2 * a + 1, a).subarray(1, 1 + a);
    const bad: [string, AioCb][] = [
      ["'offset' 1", { file, offset: 1, buffer: good }],
      [`'offset' ${a / 2}`, { file, offset: a / 2, buffer: good }],
      ["'nbytes' 100", { file, offset: 0, buffer: good, nbytes: 100 }],
      [`'nbytes' ${a + 1}`, {
        file,
        offset: 0,
        buffer: alignedBuffer(a + 1, a),
      }],
      ["the buffer's address", { file, offset: 0, buffer: shifted }],
    ];
    for (const [what, cb] of bad) {
      for (const op of [aioRead, aioWrite]) {
        const error = assertThrows(() => op(cb), AioError);
        assertEquals(error.code, "EINVAL");
        assertStringIncludes(error.message, `aligned to ${a} bytes`);
        assertStringIncludes(error.message, what);
      }
    }
    // lioListio records the error on that request and runs the others.
    const ok: AioCb = { file, offset: a, buffer: good, opcode: "read" };
    const list: AioCb[] = [{ ...bad[0][1], opcode: "read" }, ok];
    await assertRejects(() => lioListio("wait", list), AioError);
    assertEquals(aioError(list[0]), "EINVAL");
    assertEquals(aioReturn(ok), 2 * a);
    assertEquals(ok.buffer, pattern(3 * 4096).subarray(a, 3 * a));
    // An empty request needs no aligned address.
    const empty: AioCb = { file, offset: 0, buffer: new Uint8Array(0) };
    assertEquals(code(() => aioRead(empty)), undefined);
    await settle([empty]);
    assertEquals(aioReturn(empty), 0);
  },
);

aioTest(
  "a file system without direct I/O refuses direct: true with a clear EINVAL",
  async ({ backend }) => {
    if (!DIRECT.has(backend)) return;
    // procfs has no O_DIRECT.
    const error = await assertRejects(
      () => aioOpen("/proc/version", { direct: true }),
      AioError,
    );
    assertEquals(error.code, "EINVAL");
    assertStringIncludes(error.message, "does not support direct I/O");
    assertStringIncludes(error.message, "/proc/version");
  },
);

const exitScript = (mod: string) => `
import { aioInit, aioOpen, aioRead, aioReturn, aioSuspend, alignedBuffer } from "${mod}";
const [backend, path] = Deno.args;
aioInit({ backend });
const file = await aioOpen(path, { read: true, direct: true }); // never closed
const cbs = [0, 1, 2, 3].map((i) => ({
  file, offset: i * 4096, buffer: alignedBuffer(4096),
}));
for (const cb of cbs) aioRead(cb);
for (const cb of cbs) await aioSuspend([cb], 600_000); // long timers
console.log("read", cbs.map((cb) => aioReturn(cb) + ":" + cb.buffer[0]).join(","));
`;

aioTest(
  "a program with direct reads and nothing pending exits on its own",
  async ({ backend }) => {
    if (!DIRECT.has(backend)) return;
    const dir = await Deno.makeTempDir({ prefix: "aio_direct_" });
    try {
      const path = `${dir}/data`;
      const data = new Uint8Array(4 * 4096);
      for (let i = 0; i < 4; i++) data.fill(i + 1, i * 4096, (i + 1) * 4096);
      await Deno.writeFile(path, data);
      const main = `${dir}/main.ts`;
      await Deno.writeTextFile(
        main,
        exitScript(import.meta.resolve("../mod.ts")),
      );
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--config",
          new URL("../deno.json", import.meta.url).pathname,
          main,
          backend,
          path,
        ],
        // A hang must fail the test, not the suite.
        signal: AbortSignal.timeout(30_000),
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      assertEquals(code, 0, new TextDecoder().decode(stderr));
      assertStringIncludes(
        new TextDecoder().decode(stdout),
        "read 4096:1,4096:2,4096:3,4096:4",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

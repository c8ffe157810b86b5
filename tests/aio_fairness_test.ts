// Copyright 2026 the @concurrent/futures authors. MIT license.
// Fairness: a long stream of cached reads, where each completion queues the
// next, never keeps the thread from timers and other I/O. Each test reads
// until a 1 ms interval has ticked a few times (and other I/O has ended), up
// to a cap far beyond what a fair backend needs: a backend that ran the whole
// stream in one go reaches the cap with the interval silent. No timing is
// asserted.

import { assert, assertEquals } from "@std/assert";
import {
  type AioCb,
  aioError,
  aioOpen,
  aioRead,
  aioReturn,
  lioListio,
} from "../mod.ts";
import { aioTest, fifo, pattern, settle, tempFile } from "./_aio_backends.ts";

const MiB = 1 << 20;
const TICKS = 5;

/** A 1 ms interval's ticks, counted while `body` runs. */
async function ticking(
  body: (ticks: () => number) => Promise<void>,
): Promise<number> {
  let ticks = 0;
  const id = setInterval(() => ticks++, 1);
  try {
    await body(() => ticks);
  } finally {
    clearInterval(id);
  }
  return ticks;
}

aioTest(
  "timers and other I/O run during a stream of 1 MiB cached reads at depth 1",
  async () => {
    const size = 4 * MiB;
    await using tmp = await tempFile(pattern(size));
    await using file = await aioOpen(tmp.path);
    // A cap of 8 GiB read: seconds of work, where a fair backend needs
    // about TICKS of its slices.
    const cap = 8192;
    let reads = 0;
    let otherIo = false;
    const ticks = await ticking(async (ticks) => {
      const other = Deno.stat(tmp.path).then(() => otherIo = true);
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      const cb: AioCb = {
        file,
        offset: 0,
        buffer: new Uint8Array(MiB),
        notify() {
          if (aioReturn(cb) !== MiB) {
            reject(new Error(`read ${reads}: ${aioError(cb)}`));
          } else if (++reads === cap || (ticks() >= TICKS && otherIo)) {
            resolve();
          } else {
            cb.offset = (reads * MiB) % size;
            aioRead(cb);
          }
        },
      };
      aioRead(cb);
      await promise;
      await other;
    });
    assert(
      ticks >= TICKS,
      `a 1 ms interval ticked ${ticks} times during ${reads} reads of 1 MiB`,
    );
    assert(reads < cap, `other I/O waited for all ${cap} reads`);
  },
  { queueDepth: 1 },
);

aioTest(
  "timers run during lioListio rounds of 16 cached 4 KiB reads",
  async () => {
    const size = 4 * MiB;
    await using tmp = await tempFile(pattern(size));
    await using file = await aioOpen(tmp.path);
    const cbs: AioCb[] = Array.from({ length: 16 }, () => ({
      file,
      offset: 0,
      buffer: new Uint8Array(4096),
      opcode: "read",
    }));
    const cap = 20_000;
    let rounds = 0;
    const ticks = await ticking(async (ticks) => {
      while (rounds < cap && ticks() < TICKS) {
        cbs.forEach((cb, i) => cb.offset = ((rounds * 16 + i) * 4096) % size);
        await lioListio("wait", cbs);
        rounds++;
      }
    });
    assert(
      ticks >= TICKS,
      `a 1 ms interval ticked ${ticks} times during ${rounds} rounds`,
    );
    for (const cb of cbs) assertEquals(aioReturn(cb), 4096);
    const last = ((rounds - 1) * 16 + 15) * 4096 % size;
    assertEquals(cbs[15].buffer, pattern(size).subarray(last, last + 4096));
  },
);

aioTest(
  "timers run during a stream of cached reads while another read waits on a FIFO",
  async () => {
    // The waiting read keeps a backend's completion wait out all along (on
    // io_uring, one wait on the blocking pool), which must not keep the
    // stream from letting the timers run.
    const [pipe, piped] = await fifo((path) => aioOpen(path));
    await using _pipe = pipe;
    await using _piped = piped;
    const stuck: AioCb = { file: piped, offset: 0, buffer: new Uint8Array(3) };
    aioRead(stuck);
    const size = 4 * MiB;
    await using tmp = await tempFile(pattern(size));
    await using file = await aioOpen(tmp.path);
    const cap = 8192;
    let reads = 0;
    const ticks = await ticking(async (ticks) => {
      const { promise, resolve, reject } = Promise.withResolvers<void>();
      const cb: AioCb = {
        file,
        offset: 0,
        buffer: new Uint8Array(MiB),
        notify() {
          if (aioReturn(cb) !== MiB) {
            reject(new Error(`read ${reads}: ${aioError(cb)}`));
          } else if (++reads === cap || ticks() >= TICKS) resolve();
          else {
            cb.offset = (reads * MiB) % size;
            aioRead(cb);
          }
        },
      };
      aioRead(cb);
      await promise;
    });
    assert(
      ticks >= TICKS,
      `a 1 ms interval ticked ${ticks} times during ${reads} reads of 1 MiB`,
    );
    assertEquals(aioError(stuck), "EINPROGRESS");
    await pipe.write(new TextEncoder().encode("end"));
    await settle([stuck]);
    assertEquals(aioReturn(stuck), 3);
  },
  { queueDepth: 4 },
);

aioTest(
  "a TCP round trip on localhost completes during a stream of cached reads",
  async () => {
    // Sockets are polled by the runtime's reactor, not by op completions:
    // a backend's pause must let the reactor run too.
    const size = 4 * MiB;
    await using tmp = await tempFile(pattern(size));
    await using file = await aioOpen(tmp.path);
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const server = (async () => {
      using conn = await listener.accept();
      const buffer = new Uint8Array(4);
      const n = await conn.read(buffer);
      await conn.write(buffer.subarray(0, n ?? 0));
    })();
    using client = await Deno.connect({
      hostname: "127.0.0.1",
      port: (listener.addr as Deno.NetAddr).port,
    });
    const cap = 8192;
    let reads = 0;
    let echoed = false;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const cb: AioCb = {
      file,
      offset: 0,
      buffer: new Uint8Array(MiB),
      notify() {
        if (aioReturn(cb) !== MiB) {
          reject(new Error(`read ${reads}: ${aioError(cb)}`));
        } else if (++reads === cap || echoed) resolve();
        else {
          cb.offset = (reads * MiB) % size;
          aioRead(cb);
        }
      },
    };
    aioRead(cb);
    const echo = (async () => {
      await client.write(new TextEncoder().encode("ping"));
      const back = new Uint8Array(4);
      await client.read(back);
      echoed = true;
      assertEquals(new TextDecoder().decode(back), "ping");
    })();
    await promise;
    await echo;
    await server;
    assert(reads < cap, `the TCP round trip waited for all ${cap} reads`);
  },
  { queueDepth: 1 },
);

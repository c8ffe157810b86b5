// Copyright 2026 the @concurrent/futures authors. MIT license.
// Contract conformance: statements of the public API contract that the other
// test files do not already check, driven through the public entry only.

import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import { toFileUrl } from "@std/path";
import {
  AIO_ALLDONE,
  AIO_CANCELED,
  AIO_NOTCANCELED,
  aioCancel,
  type AioCb,
  AioError,
  aioError,
  type AioFile,
  aioFsync,
  aioInit,
  aioOpen,
  aioRead,
  aioReturn,
  aioSuspend,
  aioWrite,
  asCompleted,
  AsyncExecutor,
  type Callable,
  CancelledError,
  ECANCELED,
  EINPROGRESS,
  type Executor,
  ExecutorShutdownError,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  LIO_NOP,
  LIO_NOWAIT,
  LIO_READ,
  LIO_WAIT,
  LIO_WRITE,
  lioListio,
  ProcessPoolExecutor,
  type ReturnWhen,
  task,
  TimeoutError,
  type TimeStats,
  wait,
  WorkerPoolExecutor,
} from "../mod.ts";
import { POOLS } from "./fixtures/pool_helpers.ts";

// The first test of this module reads the aio defaults before anything here
// changes them (each test module runs in its own isolate).
Deno.test("aioInit() reads the defaults: depth 16, >= 512 requests, deno", () => {
  const settings = aioInit();
  assertEquals(Object.keys(settings).sort(), [
    "backend",
    "maxRequests",
    "queueDepth",
    "threads",
  ]);
  assertEquals(settings.queueDepth, 16);
  assert(Number.isSafeInteger(settings.threads) && settings.threads >= 1);
  assert(settings.maxRequests >= 512, `maxRequests ${settings.maxRequests}`);
  assertEquals(settings.backend, "deno");
});

// ---------------------------------------------------------------- futures

Deno.test("Future: cancel({ force: true }) of a pending future cancels it", async () => {
  const future = new Future<number>();
  const seen: string[] = [];
  future.addDoneCallback((f) => seen.push(f.state));
  assert(future.cancel({ force: true }));
  assertEquals(seen, ["cancelled"], "the callback ran inside cancel");
  assert(future.cancel({ force: true }), "already cancelled: true");
  const error = await assertRejects(() => future.result(), CancelledError);
  assertEquals(error.name, "CancelledError");
});

Deno.test("Future: callbacks run inside setException, in the order added", async () => {
  const future = new Future<number>();
  const seen: number[] = [];
  for (let i = 0; i < 4; i++) future.addDoneCallback(() => seen.push(i));
  const failure = new RangeError("no");
  future.setException(failure);
  assertEquals(seen, [0, 1, 2, 3]);
  assertStrictEquals(await future.exception(), failure);
  assertStrictEquals(await future.exception({ timeout: 0 }), failure);
  await assertRejects(() => future.result(), RangeError, "no");
});

Deno.test("Future: exception() resolves a non-Error failure value", async () => {
  const future = new Future<number>();
  future.setException("plain string");
  assertEquals(await future.exception(), "plain string");
  await assertRejects(
    async () => {
      try {
        await future;
      } catch (value) {
        assertEquals(value, "plain string");
        throw new Error("rethrown");
      }
    },
    Error,
    "rethrown",
  );
});

Deno.test("Future: errors raised by the library carry their class name", async () => {
  const future = new Future<number>();
  const timeout = await assertRejects(
    () => future.result({ timeout: 0 }),
    TimeoutError,
  );
  assertEquals(timeout.name, "TimeoutError");
  future.setResult(1);
  const invalid = assertThrows(() => future.setResult(2));
  assertEquals((invalid as Error).name, "InvalidStateError");
  const invalid2 = assertThrows(() => future.setException(new Error("x")));
  assertEquals((invalid2 as Error).name, "InvalidStateError");
});

// ---------------------------------------------------------------- waiting

Deno.test("wait(): FIRST_COMPLETED is met at once by a cancelled future", async () => {
  const cancelled = new Future<number>();
  cancelled.cancel();
  const pending = new Future<number>();
  const { done, notDone } = await wait([pending, cancelled, cancelled], {
    returnWhen: FIRST_COMPLETED,
  });
  assertEquals([...done], [cancelled]);
  assertEquals([...notDone], [pending]);
  pending.cancel();
});

Deno.test("wait(): FIRST_EXCEPTION is not met by a cancelled future", async () => {
  const cancelled = new Future<number>();
  cancelled.cancel();
  const pending = new Future<number>();
  const result = await wait([cancelled, pending], {
    returnWhen: FIRST_EXCEPTION,
    timeout: 0,
  });
  assertEquals([...result.notDone], [pending]);
  let returned = false;
  const waiting = wait([cancelled, pending], { returnWhen: FIRST_EXCEPTION })
    .then((r) => {
      returned = true;
      return r;
    });
  await delay(0);
  assertFalse(returned, "a cancellation is not an exception");
  pending.setException(new Error("now"));
  const { done, notDone } = await waiting;
  assertEquals(done, new Set([cancelled, pending]));
  assertEquals(notDone.size, 0);
});

Deno.test("wait(): FIRST_EXCEPTION is met by a failure whose value is undefined", async () => {
  const failed = new Future<number>();
  const pending = new Future<number>();
  const waiting = wait([failed, pending], { returnWhen: FIRST_EXCEPTION });
  failed.setException(undefined);
  const { done, notDone } = await waiting;
  assertEquals([...done], [failed]);
  assertEquals([...notDone], [pending]);
  pending.cancel();
});

Deno.test("asCompleted(): a cancelled future is yielded as completed", async () => {
  const a = new Future<number>();
  const b = new Future<number>();
  const seen: unknown[] = [];
  const collecting = (async () => {
    // (TypeScript types a for-await element as awaited; it is the Future.)
    for await (const f of asCompleted([a, b, a])) seen.push(f);
  })();
  b.cancel();
  a.setResult(1);
  await collecting;
  assertEquals(seen, [b, a]);
});

Deno.test("asCompleted({ timeout: 0 }) with nothing done throws TimeoutError at once", async () => {
  const a = new Future<number>();
  const iterator = asCompleted([a], { timeout: 0 });
  const error = await assertRejects(() => iterator.next(), TimeoutError);
  assertEquals(error.name, "TimeoutError");
  assertEquals(a.state, "pending");
});

// ---------------------------------------------------------------- executors

/** Polls `condition` (no timing assumed), failing after ~10 s rather than hanging. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i === 2000) throw new Error("condition never met");
    await delay(5);
  }
}

function executors(): [string, () => Executor][] {
  return [
    ["AsyncExecutor", () => new AsyncExecutor({ maxConcurrency: 2 })],
    [
      "WorkerPoolExecutor",
      () => new WorkerPoolExecutor({ maxWorkers: 1, idleTimeout: 10 }),
    ],
    [
      "ProcessPoolExecutor",
      () => new ProcessPoolExecutor({ maxWorkers: 1, idleTimeout: 10 }),
    ],
  ];
}

for (const [kind, make] of executors()) {
  Deno.test(`${kind}: submit/run/map throw ExecutorShutdownError once shutdown() began`, async () => {
    const executor = make();
    const before = executor.submit((n: number) => n + 1, 1);
    const stopping = executor.shutdown();
    const error = assertThrows(
      () => executor.submit((n: number) => n, 1),
      ExecutorShutdownError,
    );
    assertEquals(error.name, "ExecutorShutdownError");
    assertThrows(
      () => executor.run((n: number) => n, [1]),
      ExecutorShutdownError,
    );
    assertThrows(
      () => executor.map((n: number) => n, [1]),
      ExecutorShutdownError,
    );
    await Promise.all([stopping, executor.shutdown(), executor.shutdown()]);
    assertEquals(await before, 2, "work submitted before still ran");
  });

  Deno.test(`${kind}: map() over an endless generator holds at most buffersize`, async () => {
    await using executor = make();
    let pulled = 0;
    function* naturals() {
      for (let i = 0;; i++) {
        pulled++;
        yield i;
      }
    }
    const results: number[] = [];
    for await (
      const value of executor.map((n: number) => n * 3, naturals(), {
        buffersize: 3,
      })
    ) {
      results.push(value);
      assert(pulled <= results.length + 3, `pulled ${pulled}`);
      if (results.length === 8) break;
    }
    assertEquals(results, [0, 3, 6, 9, 12, 15, 18, 21]);
  });
}

Deno.test("WorkerPoolExecutor: map({ timeout }) throws TimeoutError, cancels what it holds", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, idleTimeout: 10 });
  const gate = new SharedArrayBuffer(4);
  // Each task blocks its worker until the gate opens, so the timeout passes
  // first however slow the machine is.
  const blocked = (buffer: SharedArrayBuffer) => {
    Atomics.wait(new Int32Array(buffer), 0, 0);
    return 1;
  };
  const iterator = pool.map(blocked, [gate, gate, gate, gate, gate], {
    timeout: 5,
    buffersize: 5,
  });
  const error = await assertRejects(() => iterator.next(), TimeoutError);
  assertEquals(error.name, "TimeoutError");
  assertEquals(await iterator.next(), { done: true, value: undefined });
  const flag = new Int32Array(gate);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  await pool.shutdown();
  const stats = pool.stats();
  // One runs, one more may have been sent ahead; the rest were cancelled.
  assert(stats.cancelled >= 3, `cancelled ${stats.cancelled}`);
  assertEquals(stats.queued, 0);
});

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: every numeric option refuses bad values and types`, () => {
    const numeric: [string, unknown[]][] = [
      ["maxWorkers", [0, -1, 1.5, NaN, Infinity]],
      ["minWorkers", [-1, 0.5, NaN, Infinity]],
      ["idleTimeout", [-1, NaN]],
      ["maxTasksPerWorker", [0, -1, 2.5, NaN]],
      ["concurrentTasksPerWorker", [0, -1, 1.5, NaN, Infinity]],
    ];
    for (const [option, values] of numeric) {
      for (const value of values) {
        assertThrows(
          () => new Pool({ [option]: value }),
          RangeError,
          undefined,
          `${option}: ${value}`,
        );
      }
      for (const value of ["2", true, {}, 2n]) {
        assertThrows(
          () => new Pool({ [option]: value }),
          TypeError,
          undefined,
          `${option}: ${typeof value}`,
        );
      }
    }
  });
}

for (const [kind, make] of executors()) {
  Deno.test(`${kind}: run/map numeric options refuse bad values and types`, async () => {
    await using executor = make();
    const id = (n: number) => n;
    for (const timeout of [-1, NaN]) {
      assertThrows(() => executor.run(id, [1], { timeout }), RangeError);
      assertThrows(() => executor.map(id, [1], { timeout }), RangeError);
    }
    for (const chunksize of [0, -1, 1.5, NaN, Infinity]) {
      assertThrows(() => executor.map(id, [1], { chunksize }), RangeError);
    }
    for (const buffersize of [0, -1, 1.5, NaN]) {
      assertThrows(() => executor.map(id, [1], { buffersize }), RangeError);
    }
    for (const key of ["timeout", "chunksize", "buffersize"]) {
      for (const value of ["1", true, 1n]) {
        assertThrows(
          () => executor.map(id, [1], { [key]: value }),
          TypeError,
          undefined,
          `${key}: ${typeof value}`,
        );
      }
    }
    assertThrows(
      () => executor.run(id, [1], { timeout: true as never }),
      TypeError,
    );
    assertThrows(
      () => executor.map(id, [1], { ordered: 1 as never }),
      TypeError,
    );
    await assertRejects(() => executor.shutdown(5 as never), TypeError);
    assertEquals(await executor.submit(id, 4), 4, "nothing was broken");
  });
}

Deno.test("AsyncExecutor: maxConcurrency refuses bad values and types", () => {
  for (const value of ["2", true, {}, 2n]) {
    assertThrows(
      () => new AsyncExecutor({ maxConcurrency: value as never }),
      TypeError,
    );
  }
});

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: cancel({ force: true }) runs callbacks inside the call`, async () => {
    await using pool = new Pool({ maxWorkers: 1, idleTimeout: 10 });
    const stuck = pool.submit(() => new Promise<never>(() => {}));
    // Wait until it runs on the worker.
    const started = pool.submit(() => 1);
    await until(() => stuck.running());
    const seen: string[] = [];
    stuck.addDoneCallback((f) => seen.push(f.state));
    assert(stuck.cancel({ force: true }));
    assertEquals(seen, ["cancelled"]);
    assert(stuck.cancelled());
    assert(stuck.cancel(), "already cancelled: true");
    await assertRejects(() => stuck.result(), CancelledError);
    assertEquals(await started, 1, "the pool went on");
  });
}

Deno.test("WorkerPoolExecutor: result({ timeout }) does not cancel a worker task", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, idleTimeout: 10 });
  const gate = new SharedArrayBuffer(4);
  const future = pool.submit((buffer: SharedArrayBuffer) => {
    const flag = new Int32Array(buffer);
    Atomics.wait(flag, 0, 0);
    return "done";
  }, gate);
  await assertRejects(() => future.result({ timeout: 1 }), TimeoutError);
  assertFalse(future.cancelled());
  const flag = new Int32Array(gate);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  assertEquals(await future, "done");
});

// ---------------------------------------------------------------- aio

Deno.test("aio constants have the contract's string values", () => {
  assertEquals(
    [LIO_READ, LIO_WRITE, LIO_NOP, LIO_WAIT, LIO_NOWAIT],
    ["read", "write", "nop", "wait", "nowait"],
  );
  assertEquals(
    [AIO_CANCELED, AIO_NOTCANCELED, AIO_ALLDONE],
    ["AIO_CANCELED", "AIO_NOTCANCELED", "AIO_ALLDONE"],
  );
  assertEquals([EINPROGRESS, ECANCELED], ["EINPROGRESS", "ECANCELED"]);
});

/** The backends that can run here. */
function backends(): ("deno" | "io_uring")[] {
  const before = aioInit();
  try {
    aioInit({ backend: "io_uring" });
    return ["deno", "io_uring"];
  } catch {
    return ["deno"];
  } finally {
    aioInit(before);
  }
}

function aioTest(
  name: string,
  fn: () => Promise<void>,
  init: { queueDepth?: number; maxRequests?: number } = {},
): void {
  for (const backend of backends()) {
    Deno.test(`${name} [${backend}]`, async () => {
      const before = aioInit();
      aioInit({ ...init, backend });
      try {
        await fn();
      } finally {
        aioInit(before);
      }
    });
  }
}

async function withTemp(
  content: Uint8Array,
  fn: (path: string) => Promise<void>,
): Promise<void> {
  const path = await Deno.makeTempFile({ prefix: "contract_" });
  try {
    await Deno.writeFile(path, content);
    await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

async function settle(cbs: AioCb[]): Promise<void> {
  for (;;) {
    const left = cbs.filter((cb) => aioError(cb) === EINPROGRESS);
    if (left.length === 0) return;
    await aioSuspend(left);
  }
}

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i + 1);

aioTest(
  "aioCancel(file) with requests in flight and queued: AIO_NOTCANCELED",
  async () => {
    await withTemp(bytes(16), async (path) => {
      await using file = await aioOpen(path);
      let notified = 0;
      const cbs: AioCb[] = [0, 1, 2].map((i) => ({
        file,
        offset: i,
        buffer: new Uint8Array(1),
        notify: () => notified++,
      }));
      for (const cb of cbs) aioRead(cb);
      assertEquals(aioCancel(file), AIO_NOTCANCELED);
      assertEquals(cbs.map(aioError).slice(1), [ECANCELED, ECANCELED]);
      assertEquals(aioReturn(cbs[1]), -1);
      await settle(cbs);
      assertEquals(aioReturn(cbs[0]), 1);
      await delay(0);
      assertEquals(notified, 3, "cancelled requests notify too");
      assertEquals(aioCancel(file), AIO_ALLDONE);
    });
  },
  { queueDepth: 1 },
);

aioTest("maxRequests: a cancelled request no longer counts", async () => {
  await withTemp(bytes(16), async (path) => {
    await using file = await aioOpen(path);
    const cb = (offset: number): AioCb => ({
      file,
      offset,
      buffer: new Uint8Array(1),
    });
    const [a, b, c] = [cb(0), cb(1), cb(2)];
    aioRead(a);
    aioRead(b);
    const error = assertThrows(() => aioRead(c), AioError);
    assertEquals(error.code, "EAGAIN");
    assertEquals(error.name, "AioError");
    assertEquals(aioCancel(file, b), AIO_CANCELED);
    aioRead(c); // b's place is free again
    await settle([a, b, c]);
    assertEquals([a, b, c].map((x) => aioReturn(x)), [1, -1, 1]);
    assertEquals([a.buffer[0], c.buffer[0]], [1, 3]);
  });
}, { queueDepth: 1, maxRequests: 2 });

aioTest(
  "aioSuspend: only nulls, or requests already ended, resolve at once",
  async () => {
    await withTemp(bytes(4), async (path) => {
      await using file = await aioOpen(path);
      await aioSuspend([], 0);
      await aioSuspend([null], 0);
      const cb: AioCb = { file, offset: 0, buffer: new Uint8Array(4) };
      aioRead(cb);
      await aioSuspend([null, cb]);
      // Ended (not yet returned): resolves even with timeout 0.
      await aioSuspend([cb, null], 0);
      assertEquals(aioReturn(cb), 4);
      await aioSuspend([cb], 0);
    });
  },
);

aioTest(
  "aioFsync: EINVAL for an unknown op, EBADF for a closed file",
  async () => {
    await withTemp(bytes(4), async (path) => {
      const file = await aioOpen(path, { read: true, write: true });
      const cb: AioCb = { file, offset: 0, buffer: new Uint8Array(0) };
      for (const op of ["SYNC", "", null, 1]) {
        const error = assertThrows(() => aioFsync(op as never, cb), AioError);
        assertEquals(error.code, "EINVAL", String(op));
      }
      aioFsync("sync", cb);
      assertEquals(aioError(cb), EINPROGRESS);
      await settle([cb]);
      assertEquals(aioReturn(cb), 0);
      await file.close();
      const error = assertThrows(() => aioFsync("dsync", cb), AioError);
      assertEquals(error.code, "EBADF");
    });
  },
);

aioTest(
  "lioListio: invalid requests are recorded EINVAL, not thrown",
  async () => {
    await withTemp(bytes(8), async (path) => {
      await using file = await aioOpen(path);
      const bad: AioCb[] = [
        { file, offset: 1.5, buffer: new Uint8Array(1), opcode: "read" },
        {
          file,
          offset: 0,
          buffer: new Uint8Array(1),
          nbytes: 2,
          opcode: "read",
        },
        {
          file,
          offset: 0,
          buffer: new Uint16Array(1) as never,
          opcode: "read",
        },
        { file, offset: 0, buffer: new Uint8Array(1), opcode: "READ" as never },
      ];
      const good: AioCb = {
        file,
        offset: 4,
        buffer: new Uint8Array(4),
        opcode: "read",
      };
      const error = await assertRejects(
        () => lioListio("wait", [...bad, good]),
        AioError,
      );
      assertEquals(error.code, "EIO");
      assertEquals(bad.map(aioError), ["EINVAL", "EINVAL", "EINVAL", "EINVAL"]);
      assertEquals(bad.map((cb) => aioReturn(cb)), [-1, -1, -1, -1]);
      assertEquals(aioReturn(good), 4);
      assertEquals(good.buffer, bytes(8).subarray(4));
    });
  },
);

aioTest(
  "a write then a read at the end of file: short read, then 0",
  async () => {
    await withTemp(new Uint8Array(0), async (path) => {
      await using file = await aioOpen(path, { read: true, write: true });
      const write: AioCb = { file, offset: 0, buffer: bytes(6) };
      aioWrite(write);
      await settle([write]);
      assertEquals(aioReturn(write), 6);
      const short: AioCb = { file, offset: 2, buffer: new Uint8Array(10) };
      const past: AioCb = { file, offset: 7, buffer: new Uint8Array(10) };
      aioRead(short);
      aioRead(past);
      await settle([short, past]);
      assertEquals(aioReturn(short), 4);
      assertEquals(short.buffer.subarray(0, 4), bytes(6).subarray(2));
      assertEquals(aioReturn(past), 0);
    });
  },
);

aioTest("aioOpen takes a file URL", async () => {
  const dir = await Deno.makeTempDir({ prefix: "contract_" });
  try {
    const url = toFileUrl(`${dir}/with space.bin`);
    const file = await aioOpen(url, { read: true, write: true, create: true });
    const write: AioCb = { file, offset: 0, buffer: bytes(3) };
    aioWrite(write);
    await settle([write]);
    assertEquals(aioReturn(write), 3);
    await file.close();
    assertEquals(await Deno.readFile(`${dir}/with space.bin`), bytes(3));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

aioTest(
  "a buffer that is a view into a larger one is used in place",
  async () => {
    await withTemp(bytes(32), async (path) => {
      await using file = await aioOpen(path, { read: true, write: true });
      const whole = new Uint8Array(24).fill(0xee);
      const read: AioCb = { file, offset: 4, buffer: whole.subarray(8, 16) };
      aioRead(read);
      await settle([read]);
      assertEquals(aioReturn(read), 8);
      const expected = new Uint8Array(24).fill(0xee);
      expected.set(bytes(32).subarray(4, 12), 8);
      assertEquals(whole, expected);
      const source = Uint8Array.from({ length: 20 }, (_, i) => 100 + i);
      const write: AioCb = {
        file,
        offset: 0,
        buffer: source.subarray(5, 15),
        nbytes: 3,
      };
      aioWrite(write);
      await settle([write]);
      assertEquals(aioReturn(write), 3);
      const data = await Deno.readFile(path);
      assertEquals(data.subarray(0, 4), Uint8Array.of(105, 106, 107, 4));
    });
  },
);

aioTest(
  "lioListio wait: queued requests are in progress at return; empty lists resolve",
  async () => {
    await withTemp(bytes(8), async (path) => {
      await using file = await aioOpen(path);
      await lioListio(LIO_WAIT, []);
      await lioListio(LIO_WAIT, [null, null]);
      const cbs: AioCb[] = [0, 4].map((offset) => ({
        file,
        offset,
        buffer: new Uint8Array(4),
        opcode: LIO_READ,
      }));
      const waiting = lioListio(LIO_WAIT, cbs);
      assertEquals(cbs.map(aioError), [EINPROGRESS, EINPROGRESS]);
      await waiting;
      assertEquals(cbs.map((cb) => aioReturn(cb)), [4, 4]);
      // Nothing valid in the list: still EIO, each one's error recorded.
      const bad: AioCb = {
        file,
        offset: -1,
        buffer: new Uint8Array(1),
        opcode: LIO_READ,
      };
      const error = await assertRejects(
        () => lioListio(LIO_WAIT, [bad]),
        AioError,
      );
      assertEquals(error.code, "EIO");
      assertEquals(aioError(bad), "EINVAL");
    });
  },
);

aioTest(
  "a cancelled request returns -1 once; its status stays readable",
  async () => {
    await withTemp(bytes(8), async (path) => {
      await using file = await aioOpen(path);
      const running: AioCb = { file, offset: 0, buffer: new Uint8Array(1) };
      const queued: AioCb = { file, offset: 1, buffer: new Uint8Array(1) };
      aioRead(running);
      aioRead(queued);
      assertEquals(aioCancel(file, queued), AIO_CANCELED);
      assertEquals(aioReturn(queued), -1);
      const again = assertThrows(() => aioReturn(queued), AioError);
      assertEquals(again.code, "EINVAL");
      assertEquals(aioError(queued), ECANCELED);
      await settle([running]);
      assertEquals(aioReturn(running), 1);
    });
  },
  { queueDepth: 1 },
);

aioTest("lioListio's requests start in reqprio order too", async () => {
  await withTemp(bytes(8), async (path) => {
    await using file = await aioOpen(path);
    const order: string[] = [];
    const cb = (name: string, reqprio?: number): AioCb => ({
      file,
      offset: 0,
      buffer: new Uint8Array(1),
      opcode: LIO_READ,
      reqprio,
      notify: () => order.push(name),
    });
    const first = cb("first");
    aioRead(first);
    const list = [cb("p3", 3), cb("p1a", 1), cb("p2", 2), cb("p1b", 1)];
    await lioListio(LIO_WAIT, list);
    await settle([first]);
    await delay(0);
    assertEquals(order, ["first", "p1a", "p1b", "p2", "p3"]);
  });
}, { queueDepth: 1 });

Deno.test("WorkerPoolExecutor: map() stopped early cancels what it holds", async () => {
  const pool = new WorkerPoolExecutor({ maxWorkers: 1, idleTimeout: 10 });
  const gate = new SharedArrayBuffer(4);
  const blocked = (buffer: SharedArrayBuffer) => {
    Atomics.wait(new Int32Array(buffer), 0, 0);
    return 1;
  };
  const iterator = pool.map(blocked, Array(6).fill(gate), { buffersize: 6 });
  const first = iterator.next();
  // Once map() holds all six (one running, the rest waiting), stop.
  await until(() => pool.stats().queued + pool.stats().running === 6);
  assertEquals(await iterator.return!(), { done: true, value: undefined });
  const flag = new Int32Array(gate);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  await first.catch(() => {});
  await pool.shutdown();
  const stats = pool.stats();
  // One ran, one more may have been sent ahead; the rest were cancelled.
  assert(stats.cancelled >= 4, `cancelled ${stats.cancelled}`);
  assertEquals(stats.completed + stats.cancelled, 6);
});

for (const Pool of POOLS) {
  Deno.test(`${Pool.name}: shutdown({ wait: false }) stops even minWorkers once done`, async () => {
    const pool = new Pool({
      maxWorkers: 2,
      minWorkers: 2,
      idleTimeout: 10,
    });
    const future = pool.submit((n: number) => n + 1, 1);
    await pool.shutdown({ wait: false });
    assertEquals(await future, 2);
    await pool.shutdown(); // resolves once every worker is stopped
    assertEquals(pool.stats().workers, 0);
  });
}

for (const [kind, make] of executors()) {
  Deno.test(`${kind}: run() moves every buffer of transfer, used in args or not`, async () => {
    await using executor = make();
    const unused = new ArrayBuffer(8);
    const used = new Uint8Array(4).fill(7);
    const future = executor.run(
      (view: Uint8Array) => view.reduce((a, b) => a + b, 0),
      [used],
      { transfer: [unused, used.buffer] },
    );
    assertEquals([unused.byteLength, used.byteLength], [0, 0]);
    assertEquals(await future, 28);
  });
}

aioTest("maxRequests counts the requests of every file together", async () => {
  await withTemp(bytes(8), async (path) => {
    await using a = await aioOpen(path);
    await using b = await aioOpen(path);
    const cbs: AioCb[] = [a, b, a].map((file, offset) => ({
      file,
      offset,
      buffer: new Uint8Array(1),
    }));
    aioRead(cbs[0]);
    aioRead(cbs[1]);
    const error = assertThrows(() => aioRead(cbs[2]), AioError);
    assertEquals(error.code, "EAGAIN");
    await settle(cbs.slice(0, 2));
    assertEquals(cbs.slice(0, 2).map((cb) => aioReturn(cb)), [1, 1]);
    assertEquals([cbs[0].buffer[0], cbs[1].buffer[0]], [1, 2]);
  });
}, { queueDepth: 1, maxRequests: 2 });

Deno.test("the contract's type names are exported with its shapes", async () => {
  // Mostly checked by the type checker: each line fails to compile if a name
  // or a shape drifts from the contract.
  const double: Callable<[number], number> = (n: number) => n * 2;
  const byName: Callable<[number], number> = task<(n: number) => number>(
    "file:///m.ts",
  );
  const when: ReturnWhen = FIRST_EXCEPTION;
  const thenable: PromiseLike<number> = new Future<number>();
  const settings: {
    queueDepth: number;
    maxRequests: number;
    backend: "deno" | "threads" | "io_uring" | "linux-aio";
    threads: number;
  } = aioInit();
  const status: (cb: AioCb) => 0 | string = aioError;
  const cancel: (
    file: AioFile,
    cb?: AioCb,
  ) => "AIO_CANCELED" | "AIO_NOTCANCELED" | "AIO_ALLDONE" = aioCancel;
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, idleTimeout: 10 });
  const executor: Executor = pool;
  const stats: {
    workers: number;
    busy: number;
    queued: number;
    running: number;
    completed: number;
    failed: number;
    cancelled: number;
    runTime: TimeStats;
    waitTime: TimeStats;
    utilization: number;
  } = pool.stats();
  assertEquals(await executor.submit(double, 4), 8);
  assertEquals(typeof byName, "object");
  assertEquals(when, "FIRST_EXCEPTION");
  assertEquals(typeof thenable.then, "function");
  assertEquals(typeof settings.queueDepth, "number");
  assertEquals([typeof status, typeof cancel], ["function", "function"]);
  assertEquals(Object.keys(stats).length, 10);
  const error = new AioError("EIO");
  assertEquals([error.name, error.code], ["AioError", "EIO"]);
});

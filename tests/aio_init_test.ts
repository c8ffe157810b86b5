// Copyright 2026 the @concurrent/futures authors. MIT license.
// aioInit: defaults, partial updates, and backend selection where io_uring
// cannot run (a child process without --allow-ffi): "auto" is "threads".

import { assertEquals } from "@std/assert";
import { type AioCb, aioInit, aioOpen, aioRead, aioReturn } from "../mod.ts";
import { aioTest, pattern, settle, tempFile } from "./_aio_backends.ts";

aioTest("aioInit changes only the options given", () => {
  const before = aioInit();
  assertEquals(aioInit({ queueDepth: 3 }), { ...before, queueDepth: 3 });
  assertEquals(aioInit({ maxRequests: 77 }), {
    ...before,
    queueDepth: 3,
    maxRequests: 77,
  });
  assertEquals(aioInit(), { ...before, queueDepth: 3, maxRequests: 77 });
});

aioTest(
  "the backend applies to files opened afterwards",
  async ({ backend }) => {
    await using tmp = await tempFile(pattern(16));
    await using first = await aioOpen(tmp.path);
    aioInit({ backend: "deno" });
    await using second = await aioOpen(tmp.path);
    assertEquals([first.backend, second.backend], [backend, "deno"]);
    const cbs: AioCb[] = [first, second].map((file) => ({
      file,
      offset: 4,
      buffer: new Uint8Array(4),
    }));
    for (const cb of cbs) aioRead(cb);
    await settle(cbs);
    assertEquals(cbs.map((cb) => aioReturn(cb)), [4, 4]);
  },
);

const script = (mod: string) => `
import { AioError, aioInit } from "${mod}";
const out = { defaults: aioInit() };
try {
  aioInit({ backend: "io_uring", queueDepth: 3 });
  out.uring = "ok";
} catch (error) {
  out.uring = { name: error.name, code: error.code, message: error.message, isAioError: error instanceof AioError };
}
out.after = aioInit();
out.auto = aioInit({ backend: "auto" });
console.log(JSON.stringify(out));
`;

Deno.test("without --allow-ffi: io_uring is ENOSYS, auto is threads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "aio_init_" });
  try {
    const main = `${dir}/main.ts`;
    await Deno.writeTextFile(main, script(import.meta.resolve("../mod.ts")));
    const root = new URL("..", import.meta.url).pathname;
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-read=${root},${dir}`,
        "--config",
        `${root}deno.json`,
        main,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    const out = JSON.parse(new TextDecoder().decode(stdout));
    assertEquals(out.defaults.queueDepth, 16);
    assertEquals(out.defaults.backend, "deno");
    assertEquals(out.defaults.maxRequests >= 512, true);
    assertEquals(out.uring.isAioError, true);
    assertEquals(out.uring.name, "AioError");
    assertEquals(out.uring.code, "ENOSYS");
    assertEquals(typeof out.uring.message, "string");
    assertEquals(out.uring.message.length > 10, true);
    // Refused, so nothing changed: not the queue depth given alongside.
    assertEquals(out.after, out.defaults);
    assertEquals(out.auto, { ...out.defaults, backend: "threads" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

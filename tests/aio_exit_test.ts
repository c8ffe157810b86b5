// Copyright 2026 the @concurrent/futures authors. MIT license.
// A program with no request pending exits on its own: timers end when an
// aioSuspend settles, and an open AioFile does not keep the process alive.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { aioTest } from "./_aio_backends.ts";

const script = (mod: string) => `
import { aioInit, aioOpen, aioRead, aioReturn, aioSuspend, lioListio } from "${mod}";
const [backend, path] = Deno.args;
aioInit({ backend });
const file = await aioOpen(path, { read: true, write: true }); // never closed
const cb = { file, offset: 0, buffer: new Uint8Array(5) };
aioRead(cb);
await aioSuspend([cb], 600_000); // a long timeout that must not hold the exit
const notified = Promise.withResolvers();
const more = [{ file, offset: 1, buffer: new Uint8Array(2), opcode: "read" }];
await lioListio("nowait", more, notified.resolve);
await notified.promise;
await aioSuspend([more[0]], 600_000);
console.log("read", aioReturn(cb), new TextDecoder().decode(cb.buffer));
`;

aioTest(
  "a program with no request pending exits on its own",
  async ({ backend }) => {
    const dir = await Deno.makeTempDir({ prefix: "aio_exit_" });
    try {
      const path = `${dir}/data.txt`;
      await Deno.writeTextFile(path, "hello");
      const main = `${dir}/main.ts`;
      await Deno.writeTextFile(main, script(import.meta.resolve("../mod.ts")));
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--config",
          new URL("../deno.json", import.meta.url).pathname,
          main,
          backend,
          path,
        ],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      // A hang must fail the test, not the suite: kill the child after long.
      let hung = false;
      const guard = setTimeout(() => {
        hung = true;
        child.kill("SIGKILL");
      }, 30_000);
      const { code, stdout, stderr } = await child.output();
      clearTimeout(guard);
      const out = new TextDecoder().decode(stdout);
      assertEquals(hung, false, "the program did not exit on its own");
      assertEquals(code, 0, new TextDecoder().decode(stderr));
      assertStringIncludes(out, "read 5 hello");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

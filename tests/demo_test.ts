// Copyright 2026 the @concurrent/futures authors. MIT license.
// `deno task demo` as a first-time user runs it: Deno cached and nothing
// else (a fresh module cache, every registry unreachable), its output going
// to a log or a pipe rather than a terminal.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { join } from "@std/path";
import { deno } from "./fixtures/pool_helpers.ts";

Deno.test("deno task demo needs no registry and logs plain lines when piped", async () => {
  const cache = await Deno.makeTempDir({ prefix: "demo_cache_" });
  try {
    const { code, stdout, stderr } = await deno(["task", "demo"], {
      cwd: join(import.meta.dirname!, ".."),
      env: {
        DENO_DIR: cache,
        JSR_URL: "http://127.0.0.1:9/",
        NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
      },
    });
    assertEquals(code, 0, stderr);
    // No terminal: no carriage-return frames, a line per progress step.
    assert(!stdout.includes("\r"), JSON.stringify(stdout));
    for (let done = 20; done <= 200; done += 20) {
      assertMatch(stdout, new RegExp(`^ {3}\\[[#.]{20}\\] ${done}/200$`, "m"));
    }
    // The speedup is the best of several rounds, and says so.
    assertMatch(stdout, /speedup {2}: \d+\.\d\dx on \d+ cores \(best of 3\)/);
    assertMatch(stdout, /read it back in \d+ ms: intact/);
    assertEquals(stderr.includes("Download"), false, stderr);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

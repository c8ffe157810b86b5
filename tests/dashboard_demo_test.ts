// Copyright 2026 the @concurrent/futures authors. MIT license.
// `deno task demo --dashboard` as a first-time user runs it (a fresh module
// cache, no registry reachable): after the demo it prints the dashboard's
// URL, serves the same work live, and stops cleanly on Ctrl-C.

import { assertEquals, assertGreater, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";

Deno.test("deno task demo --dashboard prints a URL that serves the work live; SIGINT ends it", async () => {
  const cache = await Deno.makeTempDir({ prefix: "demo_dash_cache_" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "demo", "--dashboard"],
    cwd: join(import.meta.dirname!, ".."),
    env: {
      NO_COLOR: "1",
      DENO_DIR: cache,
      JSR_URL: "http://127.0.0.1:9/",
      NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => child.kill("SIGKILL"), 180_000);
  const stderr = new Response(child.stderr).text();
  const output = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let out = "";
  try {
    while (!/open (http:\S+)\n/.test(out)) {
      const { value, done } = await output.read();
      if (done) throw new Error(`the demo ended:\n${out}\n${await stderr}`);
      out += value;
    }
    assertEquals(out.includes("deno task demo --dashboard"), false);
    const url = new URL(out.match(/open (http:\S+)\n/)![1]);
    assertEquals(url.hostname, "127.0.0.1");
    const page = await fetch(url);
    assertEquals(page.status, 200);
    assertStringIncludes(await page.text(), "app.js");
    // The feed: both executors, and work being done.
    const feed = await fetch(new URL("events", url));
    const frames = feed.body!.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    let completed = 0;
    const deadline = Date.now() + 60_000;
    while (completed === 0 && Date.now() < deadline) {
      const { value, done } = await frames.read();
      if (done) break;
      text += value;
      for (
        const m of text.matchAll(
          /"name":"primes","sample":\{[^}]*"completed":(\d+)/g,
        )
      ) {
        completed = Math.max(completed, Number(m[1]));
      }
    }
    assertStringIncludes(text, '"name":"primes"');
    assertStringIncludes(text, '"name":"io"');
    assertGreater(completed, 0);
    await frames.cancel();
    child.kill("SIGINT");
    for (;;) {
      const { value, done } = await output.read();
      if (done) break;
      out += value;
    }
    const status = await child.status;
    const errors = await stderr;
    assertEquals(status.code, 0, errors);
    assertEquals(errors.includes("Download"), false, errors);
  } finally {
    clearTimeout(killer);
    await Deno.remove(cache, { recursive: true });
  }
});

// Copyright 2026 the @concurrent/futures authors. MIT license.
// The dashboard's server without a browser: its options, the token and
// loopback rules, that it only reads, its feed, that it reads `stats()` only
// while a page is open, that close() lets a program exit, and that the
// page's files served are the ones in dashboard/page/.

import {
  assert,
  assertEquals,
  assertGreater,
  assertLessOrEqual,
  assertMatch,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import { AsyncExecutor, WorkerPoolExecutor } from "../mod.ts";
import { serveDashboard } from "../dashboard/mod.ts";
import { pageModule } from "../dashboard/_page_build.ts";
import { T } from "./fixtures/pool_helpers.ts";

/** Parsed JSON of the feed. */
// deno-lint-ignore no-explicit-any
type Json = any;

/** A connected page, as the feed's frames. */
interface Feed {
  /** Reads frames until `match` returns something; returns it. */
  next<R>(match: (event: string, data: Json) => R | undefined): Promise<R>;
  close(): Promise<void>;
}

async function feed(url: URL, init: RequestInit = {}): Promise<Feed> {
  const response = await fetch(new URL("events", url), init);
  assertEquals(response.status, 200);
  assertMatch(response.headers.get("content-type")!, /^text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = "";
  return {
    async next(match) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        let end: number;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = frame.match(/^event: (.*)$/m)?.[1];
          const data = frame.match(/^data: (.*)$/m)?.[1];
          if (event === undefined || data === undefined) continue;
          const found = match(event, JSON.parse(data));
          if (found !== undefined) return found;
        }
        if (Date.now() > deadline) throw new Error("no matching frame");
        const { value, done } = await reader.read();
        if (done) throw new Error("the feed ended");
        buffer += value;
      }
    },
    async close() {
      await reader.cancel();
    },
  };
}

Deno.test("serveDashboard: bad options throw TypeError or RangeError", async () => {
  await using io = new AsyncExecutor();
  const executors = { io };
  for (const hostname of ["0.0.0.0", "192.168.1.10", "example.com", "::"]) {
    assertThrows(
      () => serveDashboard({ executors, hostname }),
      TypeError,
      "token",
    );
  }
  assertThrows(() => serveDashboard({ executors, token: "" }), TypeError);
  assertThrows(() => serveDashboard({ executors, port: -1 }), RangeError);
  assertThrows(() => serveDashboard({ executors, port: 1.5 }), RangeError);
  assertThrows(() => serveDashboard({ executors, port: 70000 }), RangeError);
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => serveDashboard({ executors: { io: {} as any } }),
    TypeError,
  );
  // deno-lint-ignore no-explicit-any
  assertThrows(() => serveDashboard(undefined as any), TypeError);
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => serveDashboard({ executors, signal: "no" as any }),
    TypeError,
  );
  // A non-loopback address with a token is fine; the URL carries the token.
  await using open = serveDashboard({
    executors,
    hostname: "0.0.0.0",
    token: "t0k",
  });
  assertEquals(open.url.searchParams.get("token"), "t0k");
  // The default: 127.0.0.1, a free port.
  await using local = serveDashboard({ executors });
  assertEquals(local.url.hostname, "127.0.0.1");
  assertGreater(Number(local.url.port), 0);
});

Deno.test("serveDashboard: with a token, requests without it get 401", async () => {
  await using io = new AsyncExecutor();
  await using dashboard = serveDashboard({
    executors: { io },
    token: "let-me-in",
  });
  const base = new URL(dashboard.url);
  base.search = "";
  for (const path of ["/", "/app.js", "/style.css", "/events", "/nothing"]) {
    const response = await fetch(new URL(path, base));
    assertEquals(response.status, 401, path);
    const body = await response.text();
    assertEquals(body.includes("io"), false);
    assertEquals(body.includes("<script"), false);
  }
  const wrong = await fetch(new URL("/?token=let-me-out", base));
  assertEquals(wrong.status, 401);
  await wrong.body?.cancel();
  const bearerWrong = await fetch(new URL("/", base), {
    headers: { authorization: "Bearer nope" },
  });
  assertEquals(bearerWrong.status, 401);
  await bearerWrong.body?.cancel();

  // ?token= on the first load: a cookie, and the token leaves the URL.
  const first = await fetch(dashboard.url, { redirect: "manual" });
  assertEquals(first.status, 303);
  assertEquals(first.headers.get("location"), "/");
  const cookie = first.headers.get("set-cookie")!;
  assertStringIncludes(cookie, "HttpOnly");
  assertStringIncludes(cookie, "SameSite=Strict");
  await first.body?.cancel();
  const jar = cookie.split(";")[0];
  const page = await fetch(base, { headers: { cookie: jar } });
  assertEquals(page.status, 200);
  assertStringIncludes(await page.text(), "<script");
  const header = await fetch(new URL("/app.js", base), {
    headers: { authorization: "Bearer let-me-in" },
  });
  assertEquals(header.status, 200);
  await header.body?.cancel();
  const events = await feed(base, { headers: { cookie: jar } });
  const names = await events.next((event, data) =>
    event === "hello"
      ? data.executors.map((e: { name: string }) => e.name)
      : undefined
  );
  assertEquals(names, ["io"]);
  await events.close();
});

Deno.test("serveDashboard: read-only: any method but GET and HEAD gets 405", async () => {
  await using io = new AsyncExecutor();
  await using open = serveDashboard({ executors: { io } });
  await using shut = serveDashboard({ executors: { io }, token: "k" });
  for (
    const [dashboard, headers] of [
      [open, {}],
      [shut, { authorization: "Bearer k" }],
    ] as const
  ) {
    for (const method of ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      for (const path of ["/", "/events", "/app.js", "/cancel"]) {
        const response = await fetch(new URL(path, dashboard.url), {
          method,
          headers,
          body: method === "OPTIONS" ? undefined : "{}",
        });
        assertEquals(response.status, 405, `${method} ${path}`);
        assertEquals(response.headers.get("allow"), "GET, HEAD");
        await response.body?.cancel();
      }
    }
    const head = await fetch(new URL("/", dashboard.url), {
      method: "HEAD",
      headers,
    });
    assertEquals(head.status, 200);
    await head.body?.cancel();
  }
  // The page's policy: scripts and connections to itself only.
  const page = await fetch(open.url);
  const policy = page.headers.get("content-security-policy")!;
  assertStringIncludes(policy, "default-src 'none'");
  assertStringIncludes(policy, "connect-src 'self'");
  assertStringIncludes(policy, "form-action 'none'");
  await page.body?.cancel();
});

Deno.test("serveDashboard: without a token, only a loopback Host is served (DNS rebinding)", async () => {
  await using io = new AsyncExecutor();
  await using dashboard = serveDashboard({ executors: { io } });
  const { port } = dashboard.url;
  // A raw request naming another host, as a rebound page's would.
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(port),
  });
  await conn.write(
    new TextEncoder().encode(
      `GET / HTTP/1.1\r\nHost: evil.example:${port}\r\nConnection: close\r\n\r\n`,
    ),
  );
  const reply = new TextDecoder().decode(
    await new Response(conn.readable).arrayBuffer(),
  );
  assertMatch(reply, /^HTTP\/1\.1 421/);
  const local = await fetch(`http://localhost:${port}/`);
  assertEquals(local.status, 200);
  await local.body?.cancel();
});

Deno.test("serveDashboard: the feed sends a sample a second, and stats() is read only while a page is open", async () => {
  await using pool = new WorkerPoolExecutor({
    maxWorkers: 1,
    minWorkers: 1,
    name: "w",
  });
  let reads = 0;
  const stats = pool.stats.bind(pool);
  pool.stats = () => {
    reads++;
    return stats();
  };
  await using dashboard = serveDashboard({ executors: { pool } });
  await pool.submit(T.add, 1, 2);
  await delay(2_500);
  const idle = reads;
  assertLessOrEqual(idle, 1); // at most the one look at what it is
  const page = await feed(dashboard.url);
  const hello = await page.next((event, data) =>
    event === "hello" ? data : undefined
  );
  assertEquals(hello.executors[0].name, "pool");
  assertEquals(hello.executors[0].kind, "WorkerPoolExecutor");
  assertEquals(hello.executors[0].workerEvents, true);
  assertEquals(hello.executors[0].events[0].type, "start");
  const times: number[] = [];
  const sample = await page.next((event, data) => {
    if (event !== "sample") return undefined;
    times.push(data.now);
    return times.length === 3 ? data.executors[0].sample : undefined;
  });
  assertEquals(sample.stats.completed, 1);
  assertEquals(sample.stats.workers, 1);
  assertEquals(sample.stats.runTime.count, 1);
  assertEquals(typeof sample.rate, "number");
  assertLessOrEqual(times[2] - times[1], 1_600);
  assertGreater(reads, idle);
  await page.close();
  await delay(200);
  const closed = reads;
  await delay(2_200);
  assertEquals(reads, closed, "stats() read with no page open");
});

Deno.test("serveDashboard: a crash's event carries its error to every open page", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1, name: "x" });
  await using dashboard = serveDashboard({ executors: { pool } });
  const first = await feed(dashboard.url);
  await first.next((event) => event === "hello" || undefined);
  await pool.submit(T.add, 1, 1);
  const second = await feed(dashboard.url);
  await second.next((event) => event === "hello" || undefined);
  await pool.submit(T.closeSelf).exception();
  for (const page of [first, second]) {
    const crash = await page.next((event, data) =>
      event === "sample"
        ? data.executors[0].events.find((e: { reason?: string }) =>
          e.reason === "crashed"
        )
        : undefined
    );
    assertEquals(crash.worker, "x-1");
    assertEquals(crash.type, "exit");
    assertStringIncludes(crash.error.message, "self.close()");
    assertGreater(crash.seq, 1);
    await page.close();
  }
});

for (const how of ["close", "signal"]) {
  Deno.test(`serveDashboard: ${how === "close" ? "close()" : "its signal"} lets the program exit, a page still connected`, async () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./fixtures/dashboard_program.ts", import.meta.url).href,
        how,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    try {
      const lines = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let out = "";
      while (!out.includes("\n")) {
        const { value, done } = await lines.read();
        if (done) break;
        out += value;
      }
      const url = new URL(out.trim());
      const page = await feed(url);
      await page.next((event) => event === "sample" || undefined);
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("go\n"));
      await writer.close();
      // The feed ends when the dashboard closes, and the program exits.
      await assertEnds(page);
      for (;;) {
        const { value, done } = await lines.read();
        if (done) break;
        out += value;
      }
      const status = await child.status;
      const stderr = await new Response(child.stderr).text();
      assertEquals(status.code, 0, stderr);
      assertStringIncludes(out, "closed");
    } finally {
      clearTimeout(killer);
    }
  });
}

async function assertEnds(page: Feed): Promise<void> {
  try {
    await page.next(() => undefined);
    throw new Error("the feed went on");
  } catch (error) {
    assertStringIncludes(String(error), "the feed ended");
  }
}

Deno.test("dashboard/_page.ts holds dashboard/page/ as it is (run dashboard/_page_build.ts)", async () => {
  const written = await Deno.readTextFile(
    new URL("../dashboard/_page.ts", import.meta.url),
  );
  assert(written === await pageModule(), "dashboard/_page.ts is stale");
});

Deno.test("serveDashboard: an executor whose stats() never answers shows an error and holds up no other", async () => {
  await using stuck = new AsyncExecutor();
  await using fine = new AsyncExecutor();
  // deno-lint-ignore no-explicit-any
  (stuck as any).stats = () => new Promise(() => {});
  await using dashboard = serveDashboard({ executors: { stuck, fine } });
  await fine.submit(() => 1);
  const page = await feed(dashboard.url);
  const [a, b] = await page.next((event, data) =>
    event === "sample" ? data.executors : undefined
  );
  assertEquals([a.name, b.name], ["stuck", "fine"]);
  assertStringIncludes(a.sample.error, "no answer in");
  assertEquals(b.sample.stats.completed, 1);
  await page.close();
});

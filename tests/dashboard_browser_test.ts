// Copyright 2026 the @concurrent/futures authors. MIT license.
// The dashboard in a real browser: headless Chromium, driven over its
// DevTools protocol (tests/_cdp.ts). The page loads from the dashboard alone,
// its numbers move while tasks run, its charts are drawn, a crash shows with
// its error, it offers nothing that changes work, and a token keeps it shut.

import {
  assert,
  assertEquals,
  assertGreater,
  assertInstanceOf,
  assertStringIncludes,
} from "@std/assert";
import { delay } from "@std/async";
import {
  AsyncExecutor,
  ProcessPoolExecutor,
  WorkerCrashedError,
  WorkerPoolExecutor,
} from "../mod.ts";
import { serveDashboard } from "../dashboard/mod.ts";
import { Browser, type Page } from "./_cdp.ts";
import { T } from "./fixtures/pool_helpers.ts";

/** A number shown in the card of `executor`, or NaN. */
function shown(page: Page, executor: string, stat: string): Promise<number> {
  return page.evaluate<number>(
    `(() => {
      const node = document.querySelector(
        '[data-executor=${JSON.stringify(executor)}] [data-stat=${
      JSON.stringify(stat)
    }] .value');
      return node ? Number(node.textContent.replace(/[^0-9.]/g, "")) : NaN;
    })()`,
  );
}

async function waitShown(
  page: Page,
  executor: string,
  stat: string,
  atLeast: number,
): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await shown(page, executor, stat);
    if (value >= atLeast) return value;
    if (Date.now() > deadline) {
      throw new Error(`${executor} ${stat} shows ${value}, want >= ${atLeast}`);
    }
    await delay(100);
  }
}

Deno.test("dashboard in Chromium: loads from itself alone, numbers move, charts drawn, crashes shown, nothing to click", async (t) => {
  const pool = new WorkerPoolExecutor({ maxWorkers: 2, name: "cpu" });
  const procs = new ProcessPoolExecutor({ maxWorkers: 1, name: "proc" });
  const io = new AsyncExecutor({ maxConcurrency: 4 });
  const dashboard = serveDashboard({ executors: { cpu: pool, procs, io } });
  const browser = await Browser.launch();
  // Tasks keep running in the background while the page is checked.
  let running = true;
  const load = (async () => {
    while (running) {
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => pool.submit(T.add, i, 1)),
        ...Array.from({ length: 4 }, () => io.submit(() => delay(5))),
      ]);
      await delay(20);
    }
  })();
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.listen((event) => {
      if (event.method === "Network.requestWillBeSent") {
        requests.push(event.params.request.url);
      }
    });
    const status = await page.goto(dashboard.url.href);
    assertEquals(status, 200);
    await page.waitFor(
      `document.querySelectorAll("section[data-executor]").length === 3`,
      "the three cards",
    );

    await t.step("the numbers move while tasks run", async () => {
      const first = await waitShown(page, "cpu", "completed", 1);
      await waitShown(page, "cpu", "completed", first + 100);
      await waitShown(page, "io", "completed", 20);
      assertEquals(await shown(page, "cpu", "workers"), 2);
      assert(!Number.isNaN(await shown(page, "cpu", "utilization")));
      // An AsyncExecutor has no workers: no worker tiles, no timeline.
      assert(Number.isNaN(await shown(page, "io", "workers")));
      assert(
        await page.evaluate(
          `document.querySelector('[data-executor="io"] svg[data-chart="timeline"]').closest("figure").hidden`,
        ),
      );
    });

    await t.step("the charts are drawn", async () => {
      // Throughput: a line through at least two samples, above the axis.
      const d = await page.waitFor<string>(
        `(() => {
          const d = document.querySelector('[data-executor="cpu"] svg[data-chart="throughput"] path.line')?.getAttribute("d") ?? "";
          return (d.match(/L/g) ?? []).length >= 2 ? d : "";
        })()`,
        "a throughput line",
      );
      assertStringIncludes(d, "M");
      // Wait and run times: eight bars with widths.
      const bars = await page.evaluate<number[]>(
        `[...document.querySelectorAll('[data-executor="cpu"] svg[data-chart="times"] rect.bar')]
          .map((r) => Number(r.getAttribute("width")))`,
      );
      assertEquals(bars.length, 8);
      assert(bars.every((w) => w > 0), String(bars));
      // The timeline has a lane per worker.
      const lanes = await page.evaluate<number>(
        `document.querySelectorAll('[data-executor="cpu"] svg[data-chart="timeline"] rect.life').length`,
      );
      assertGreater(lanes, 0);
    });

    await t.step("a worker crash shows, with its error", async () => {
      const crash = await pool.submit(T.closeSelf).exception();
      assertInstanceOf(crash, WorkerCrashedError);
      const text = await page.waitFor<string>(
        `document.querySelector('[data-executor="cpu"] .crash .message')?.textContent ?? ""`,
        "the crash in the list",
      );
      assertStringIncludes(text, "self.close()");
      await page.waitFor(
        `document.querySelector('[data-executor="cpu"] svg[data-chart="timeline"] text.exit.crashed')`,
        "a crash mark on the timeline",
      );
    });

    await t.step("a child process's crash shows, with its cause", async () => {
      const crash = await procs.submit(T.exitSelf).exception();
      assertInstanceOf(crash, WorkerCrashedError);
      const text = await page.waitFor<string>(
        `document.querySelector('[data-executor="procs"] .crash .message')?.textContent ?? ""`,
        "the process crash in the list",
      );
      // The event's error is what killed the child (the crash's cause).
      assertStringIncludes(text, String((crash.cause as Error).message));
      assertStringIncludes(text, "Deno.exit()");
    });

    await t.step("nothing on the page can change work", async () => {
      const controls = await page.evaluate<number>(
        `document.querySelectorAll("form, button, input, select, textarea, [contenteditable]").length`,
      );
      assertEquals(controls, 0);
    });

    await t.step("every request went to the dashboard itself", () => {
      const hosts = new Set(
        requests.filter((url) => !url.startsWith("data:")).map((url) =>
          new URL(url).host
        ),
      );
      assertEquals([...hosts], [dashboard.url.host]);
      const paths = new Set(requests.map((url) => new URL(url).pathname));
      for (const path of ["/", "/app.js", "/style.css", "/events"]) {
        assert(paths.has(path), `${path} in ${[...paths]}`);
      }
    });
  } finally {
    running = false;
    await load;
    await browser.close();
    await dashboard.close();
    await Promise.all([pool.shutdown(), procs.shutdown(), io.shutdown()]);
  }
});

Deno.test("dashboard in Chromium: with a token, a page without it gets 401 and sees nothing; with it, the page works", async () => {
  await using io = new AsyncExecutor();
  const dashboard = serveDashboard({
    executors: { secret_io: io },
    token: "s3cr3t-token",
  });
  const browser = await Browser.launch();
  try {
    const page = await browser.newPage();
    const bare = new URL(dashboard.url);
    bare.search = "";
    assertEquals(await page.goto(bare.href), 401);
    const text = await page.evaluate<string>(
      "document.documentElement.innerText",
    );
    assertStringIncludes(text, "401");
    assertEquals(text.includes("secret_io"), false);
    assertEquals(
      await page.evaluate<number>("document.querySelectorAll('script').length"),
      0,
    );

    // The printed URL carries the token; it moves to a cookie and out of
    // the address bar, and the feed works with the cookie alone.
    await io.submit(() => 1);
    assertEquals(await page.goto(dashboard.url.href), 200);
    assertEquals(await page.evaluate<string>("location.search"), "");
    await waitShown(page, "secret_io", "completed", 1);
  } finally {
    await browser.close();
    await dashboard.close();
  }
});

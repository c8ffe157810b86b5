// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * A real HTTP server under load: `wrk` against four servers doing the same
 * work per request (about 1 ms of key stretching,
 * examples/http_offload_work.mjs) on the same number of workers:
 *
 * - "Deno + WorkerPoolExecutor": examples/http_offload.ts itself;
 * - "Deno inline": the same work on the main thread;
 * - "Deno + poolifier-web-worker" (npm, pinned);
 * - "Node.js + piscina": real Node.js (checked: `process.versions` has no
 *   `deno`), `node:http`, piscina installed with npm into a temporary
 *   directory (pinned version).
 *
 * Every server warms its CPU function the same way before it listens (V8
 * may leave a function called only from a request handler unoptimised for
 * long). The servers take turns, `--rounds` times (`wrk -t1 -c<connections>
 * -d<duration>`, after a short warm-up run each); the table shows the median
 * req/s, p50 and p99 latency per server and the targets (pool at least 1.5x
 * inline and 1.1x Node + piscina in req/s, p99 at most Node + piscina's).
 *
 * `deno run -A bench/http_bench.ts [--connections 32] [--duration 8]
 * [--rounds 3] [--workers N]` (needs `wrk`, Debian package `wrk`, and
 * Node.js with npm for its contender; a contender that cannot run is
 * reported as such).
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { median } from "./_median.ts";

const PISCINA = "piscina@5.3.2";
const URL_PATH = "/hash?key=benchmark-user-42";

interface Server {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Why it cannot run, if it cannot. */
  unavailable?: string;
}

interface Running {
  server: Server;
  child: Deno.ChildProcess;
  url: string;
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const fixture = (name: string) =>
  new URL(`./fixtures/${name}`, import.meta.url).pathname;
const EXAMPLE = new URL("../examples/http_offload.ts", import.meta.url)
  .pathname;

async function output(command: string, args: string[]): Promise<string> {
  const { stdout, stderr, success } = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  if (!success) {
    throw new Error(
      `${command} ${args.join(" ")} failed: ${
        new TextDecoder().decode(stderr)
      }`,
    );
  }
  return text;
}

/** The reason Node.js + piscina cannot run, or the piscina directory. */
async function preparePiscina(): Promise<{ dir?: string; reason?: string }> {
  let versions: Record<string, string>;
  try {
    versions = JSON.parse(
      await output("node", ["-p", "JSON.stringify(process.versions)"]),
    );
  } catch (error) {
    return { reason: `no node: ${(error as Error).message}` };
  }
  if ("deno" in versions) {
    return { reason: "`node` is Deno's Node emulation, not Node.js" };
  }
  console.log(`Node.js ${versions.node} (V8 ${versions.v8})`);
  const dir = await Deno.makeTempDir({ prefix: "http-bench-piscina-" });
  try {
    await output("npm", [
      "install",
      "--prefix",
      dir,
      "--no-audit",
      "--no-fund",
      "--silent",
      PISCINA,
    ]);
  } catch (error) {
    return { reason: `npm install ${PISCINA}: ${(error as Error).message}` };
  }
  return { dir };
}

async function start(server: Server): Promise<Running> {
  const child = new Deno.Command(server.command, {
    args: server.args,
    env: server.env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  const deadline = setTimeout(() => child.kill("SIGKILL"), 120_000);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${server.name} exited: ${text}`);
      text += value;
      const url = text.match(/Listening on (http:\/\/\S+?)\/?\s/)?.[1];
      if (url !== undefined) {
        // Keep draining its output so it never blocks on a full pipe.
        (async () => {
          while (!(await reader.read()).done) { /* drain */ }
        })().catch(() => {});
        return { server, child, url };
      }
    }
  } finally {
    clearTimeout(deadline);
  }
}

function parseDuration(value: string, unit: string): number {
  const n = Number(value);
  return unit === "us" ? n / 1000 : unit === "s" ? n * 1000 : n;
}

async function wrk(
  url: string,
  connections: number,
  seconds: number,
): Promise<WrkResult> {
  const text = await output("wrk", [
    "-t1",
    `-c${connections}`,
    `-d${seconds}s`,
    "--latency",
    "--timeout",
    "10s",
    url + URL_PATH,
  ]);
  const rps = Number(text.match(/Requests\/sec:\s+([\d.]+)/)?.[1]);
  const percentile = (p: string) => {
    const m = text.match(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, "m"));
    return m === null ? NaN : parseDuration(m[1], m[2]);
  };
  const non2xx = Number(
    text.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0,
  );
  const socket = text.match(
    /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/,
  );
  const errors = non2xx +
    (socket === null
      ? 0
      : socket.slice(1).reduce((sum, n) => sum + Number(n), 0));
  if (!Number.isFinite(rps)) {
    throw new Error(`cannot read wrk's output:\n${text}`);
  }
  return { rps, p50: percentile("50"), p99: percentile("99"), errors };
}

async function stop(running: Running): Promise<void> {
  try {
    running.child.kill(
      running.server.command === "node" ? "SIGTERM" : "SIGINT",
    );
  } catch {
    // Gone already.
  }
  const timer = setTimeout(() => {
    try {
      running.child.kill("SIGKILL");
    } catch {
      // Gone.
    }
  }, 5000);
  await running.child.status;
  clearTimeout(timer);
}

const USAGE =
  `Usage: deno run -A bench/http_bench.ts [--connections N] [--duration S] [--rounds R] [--workers W]

  --connections N  wrk connections (default 32)
  --duration S     seconds per wrk run (default 8)
  --rounds R       runs per server, taking turns (default 3)
  --workers W      worker threads of every pool (default: one per core)`;

async function main(): Promise<void> {
  const flags = parseArgs(Deno.args, {
    string: ["connections", "duration", "rounds", "workers"],
    boolean: ["help"],
    default: {
      connections: "32",
      duration: "8",
      rounds: "3",
      workers: String(navigator.hardwareConcurrency),
    },
    unknown(arg) {
      console.error(`unknown option ${arg}\n\n${USAGE}`);
      Deno.exit(2);
    },
  });
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const [connections, duration, rounds, workers] = [
    flags.connections,
    flags.duration,
    flags.rounds,
    flags.workers,
  ].map(Number);
  for (const n of [connections, duration, rounds, workers]) {
    if (!Number.isInteger(n) || n < 1) {
      console.error(`every option needs a whole number >= 1\n\n${USAGE}`);
      Deno.exit(2);
    }
  }
  try {
    await new Deno.Command("wrk", {
      args: ["-v"],
      stdout: "null",
      stderr: "null",
    })
      .output();
  } catch {
    console.error("wrk is missing (Debian package `wrk`)");
    Deno.exit(1);
  }

  const deno = Deno.execPath();
  const piscina = await preparePiscina();
  const servers: Server[] = [
    {
      name: "Deno + WorkerPoolExecutor",
      command: deno,
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        EXAMPLE,
        "--port",
        "0",
        "--workers",
        String(workers),
        // Room for every connection: this run measures speed, not shedding.
        "--max-queue",
        String(4 * connections),
      ],
    },
    {
      name: "Deno inline (main thread)",
      command: deno,
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        fixture(
          "http_inline_server.ts",
        ),
        "0",
      ],
    },
    {
      name: "Deno + poolifier-web-worker",
      command: deno,
      args: [
        "run",
        "-A",
        fixture("http_poolifier_server.ts"),
        "0",
        String(
          workers,
        ),
      ],
    },
    {
      name: "Node.js + piscina",
      command: "node",
      args: [fixture("http_piscina_server.mjs"), "0", String(workers)],
      env: { PISCINA_DIR: piscina.dir ?? "" },
      unavailable: piscina.reason,
    },
  ];

  const running: Running[] = [];
  try {
    for (const server of servers) {
      if (server.unavailable !== undefined) {
        console.log(`${server.name}: cannot run (${server.unavailable})`);
        continue;
      }
      running.push(await start(server));
    }
    console.log(
      `wrk -t1 -c${connections} -d${duration}s, ${rounds} rounds, ${workers} workers per pool, ${navigator.hardwareConcurrency} cores\n`,
    );
    const results = new Map<Running, WrkResult[]>(
      running.map((r) => [r, []]),
    );
    for (const r of running) await wrk(r.url, connections, 2); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < running.length; k++) {
        const r = running[(k + round) % running.length];
        const result = await wrk(r.url, connections, duration);
        results.get(r)!.push(result);
        console.log(
          `  round ${round + 1} ${r.server.name}: ${
            result.rps.toFixed(0)
          } req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${
            result.p99.toFixed(2)
          } ms${result.errors > 0 ? `, ${result.errors} errors` : ""}`,
        );
      }
    }
    const rows = running.map((r) => {
      const list = results.get(r)!;
      return {
        name: r.server.name,
        rps: median(list.map((x) => x.rps)),
        p50: median(list.map((x) => x.p50)),
        p99: median(list.map((x) => x.p99)),
        errors: list.reduce((sum, x) => sum + x.errors, 0),
      };
    });
    console.log(
      `\n${"server".padEnd(30)} ${"req/s".padStart(8)} ${
        "p50 ms".padStart(8)
      } ${"p99 ms".padStart(8)} ${"errors".padStart(7)}`,
    );
    for (const row of rows) {
      console.log(
        `${row.name.padEnd(30)} ${row.rps.toFixed(0).padStart(8)} ${
          row.p50.toFixed(2).padStart(8)
        } ${row.p99.toFixed(2).padStart(8)} ${String(row.errors).padStart(7)}`,
      );
    }
    const pool = rows[0];
    const inline = rows.find((row) => row.name.startsWith("Deno inline"));
    const node = rows.find((row) => row.name.startsWith("Node.js"));
    console.log();
    if (inline !== undefined) {
      const ratio = pool.rps / inline.rps;
      console.log(
        `pool / inline req/s: ${ratio.toFixed(2)}x (target >= 1.5x: ${
          ratio >= 1.5 ? "met" : "NOT met"
        })`,
      );
    }
    if (node !== undefined) {
      const ratio = pool.rps / node.rps;
      console.log(
        `pool / Node.js + piscina req/s: ${
          ratio.toFixed(2)
        }x (target >= 1.1x: ${ratio >= 1.1 ? "met" : "NOT met"})`,
      );
      console.log(
        `pool p99 ${pool.p99.toFixed(2)} ms vs Node.js + piscina ${
          node.p99.toFixed(2)
        } ms (target <=: ${pool.p99 <= node.p99 ? "met" : "NOT met"})`,
      );
    }
  } finally {
    for (const r of running) await stop(r);
    if (piscina.dir !== undefined) {
      await Deno.remove(piscina.dir, { recursive: true }).catch(() => {});
    }
  }
}

if (import.meta.main) await main();

// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * `deno task sizing [--quick] [--only pool,async,aio] [--out DIR]`: runs the
 * pool-sizing suites with `deno bench --json`, one subprocess each, and
 * writes to bench/results/ the raw JSON, an SVG chart per workload and
 * summary.md, which recommends `maxWorkers`, `concurrentTasksPerWorker`,
 * `chunksize`, `maxConcurrency` and the aio `queueDepth` for this machine.
 *
 * The output folder belongs to this tool: the charts, JSON and summary of an
 * earlier run are removed first, so it always shows one run.
 *
 * @module
 */

import { type BenchReport, parseBenchOutput } from "./_bench_json.ts";
import { describeMachine } from "./_machine.ts";
import {
  generateReport,
  type Recommendation,
  type ReportInput,
  type SuiteRun,
} from "./_report.ts";
import { parseSizingLine } from "./_sizing_common.ts";
import { parseArgs } from "@std/cli/parse-args";
import { ProgressBar } from "@std/cli/unstable-progress-bar";
import { fromFileUrl, resolve, SEPARATOR, toFileUrl } from "@std/path";

const ROOT = new URL("../", import.meta.url);
const CONFIG = fromFileUrl(new URL("deno.json", import.meta.url));
/** The run's record, next to its JSON: what `--report-only` redraws from. */
const RECORD = "sizing-run.json";

interface Suite {
  suite: string;
  file: string;
}

const SUITES: readonly Suite[] = [
  { suite: "pool", file: "bench/pool_sizing_bench.ts" },
  { suite: "async", file: "bench/async_sizing_bench.ts" },
  { suite: "aio", file: "bench/aio_sizing_bench.ts" },
];

const USAGE = `Usage: deno task sizing [--quick] [--only SUITES] [--out DIR]

Runs the pool-sizing bench suites and writes charts and recommendations.

  --quick        fewer sizes and less work: a first look in under a minute
  --only SUITES  comma-separated subset of: ${
  SUITES.map((s) => s.suite).join(", ")
}
  --out DIR      output folder (default bench/results); its earlier charts,
                 JSON and summary are replaced
  --suite NAME=FILE
                 run this bench file instead of the built-in suites
                 (repeatable; FILE relative to the repository root)
  --report-only  redraw the charts and summary from the run recorded in the
                 output folder (its JSON and ${RECORD}), without benching
  --help         this text`;

interface Options {
  quick: boolean;
  reportOnly: boolean;
  suites: Suite[];
  out: URL;
}

function parseOptions(args: string[]): Options {
  const flags = parseArgs(args, {
    boolean: ["quick", "report-only", "help"],
    string: ["only", "out", "suite"],
    collect: ["suite"],
    alias: { h: "help" },
    unknown(arg) {
      throw new TypeError(`unknown option ${arg}\n\n${USAGE}`);
    },
  });
  if (flags.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const value = (flag: string, v: string | undefined): string | undefined => {
    if (v === "") throw new TypeError(`--${flag} needs a value`);
    return v;
  };
  const options: Options = {
    quick: flags.quick,
    reportOnly: flags["report-only"],
    suites: [...SUITES],
    out: new URL("bench/results/", ROOT),
  };
  const only = value("only", flags.only);
  if (only !== undefined) {
    const names = only.split(",").map((s) => s.trim()).filter(Boolean);
    const unknown = names.filter((s) => !SUITES.some((x) => x.suite === s));
    if (unknown.length || names.length === 0) {
      throw new TypeError(
        `--only: unknown suite ${unknown.join(", ") || "(none)"}`,
      );
    }
    options.suites = SUITES.filter((s) => names.includes(s.suite));
  }
  const custom = flags.suite.map((spec) => {
    const [suite, file] = value("suite", spec)!.split(/=(.*)/s, 2);
    if (!/^\w+$/.test(suite) || !file) {
      throw new TypeError("--suite needs NAME=FILE, NAME a word");
    }
    return { suite, file };
  });
  if (custom.length > 0) options.suites = custom;
  const out = value("out", flags.out);
  if (out !== undefined) {
    // A folder: the trailing separator makes new URL(name, out) land inside.
    const dir = resolve(out);
    options.out = toFileUrl(dir.endsWith(SEPARATOR) ? dir : dir + SEPARATOR);
  }
  return options;
}

const isTty = Deno.stdout.isTerminal();
const encoder = new TextEncoder();

/** Prints a line; in a terminal, over the progress bar's line first. */
function say(text: string): void {
  if (isTty) Deno.stdout.writeSync(encoder.encode("\r\x1b[K"));
  console.log(text);
}

/**
 * Where a suite is: a progress bar in a terminal, a plain line per case
 * otherwise (a log or a pipe gets no carriage returns).
 */
class SuiteProgress {
  #label: string;
  #runStart: number;
  #text = "starting";
  #bar: ProgressBar | undefined;

  constructor(label: string, runStart: number) {
    this.#label = label;
    this.#runStart = runStart;
    if (isTty) {
      this.#bar = new ProgressBar({
        writable: Deno.stdout.writable,
        max: 1,
        barLength: 20,
        interval: 250,
        clear: true,
        formatter: (f) =>
          `${this.#label} [${f.progressBar}] ${this.#text}  [${this.#clock()}]`,
      });
    } else {
      console.log(`${label} starting`);
    }
  }

  #clock(): string {
    return clock(performance.now() - this.#runStart);
  }

  /** Case `index` of `total` (1-based) has started. */
  update(index: number, total: number, what: string): void {
    this.#text = `${index}/${total} ${what}`;
    if (this.#bar) {
      this.#bar.max = total;
      this.#bar.value = index - 1;
    } else {
      console.log(`${this.#label} ${this.#text}  [${this.#clock()}]`);
    }
  }

  async stop(): Promise<void> {
    await this.#bar?.stop();
  }
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Splits a byte stream into lines. */
async function* lines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) !== -1) {
      yield buffer.slice(0, nl).replace(/\r$/, "");
      buffer = buffer.slice(nl + 1);
    }
  }
  if (buffer) yield buffer;
}

async function runSuite(
  suite: string,
  file: string,
  quick: boolean,
  runStart: number,
  label: string,
): Promise<SuiteRun & { stderr: string[] }> {
  const start = performance.now();
  const run: SuiteRun & { stderr: string[] } = {
    suite,
    file,
    notes: [],
    descriptions: {},
    stderr: [],
  };
  const child = new Deno.Command(Deno.execPath(), {
    // Type-checking is `deno task check`'s job; here it would only delay
    // the first look.
    // The benches' own config and lock (see bench/deno.json).
    args: ["bench", "-A", "--no-check", "--json", "--config", CONFIG, file],
    cwd: ROOT,
    env: {
      SIZING_QUICK: quick ? "1" : "0",
      SIZING_PROGRESS: "1",
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A suite that hangs must not hang the run.
  const limitMs = quick ? 3 * 60_000 : 20 * 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
  }, limitMs);
  const stdout = new Response(child.stdout).text();
  const progress = new SuiteProgress(label, runStart);
  for await (const line of lines(child.stderr)) {
    const message = parseSizingLine(line);
    if (message === undefined) {
      if (line.trim()) run.stderr.push(line);
      if (run.stderr.length > 40) run.stderr.shift();
    } else if (message.type === "progress") {
      progress.update(message.index, message.total, message.label);
    } else if (message.type === "note") {
      run.notes!.push(message.text);
      say(`  note: ${message.text}`);
    } else {
      run.descriptions![message.group] = message.text;
    }
  }
  const { code } = await child.status;
  clearTimeout(timer);
  await progress.stop();
  run.exitCode = code;
  run.durationMs = performance.now() - start;
  const text = await stdout;
  try {
    run.report = parseBenchOutput(text);
  } catch (error) {
    const tail = run.stderr.filter((l) => !/^\s*(Check|Download) /.test(l))
      .slice(-6).join(" / ");
    run.error = `${
      timedOut
        ? `timed out after ${limitMs / 60_000} min`
        : `exited with code ${code}`
    }, ${(error as Error).message}${tail ? `: ${tail}` : ""}`;
  }
  if (timedOut && run.report) {
    run.error = `timed out after ${limitMs / 60_000} min`;
  }
  return run;
}

function failedCount(report: BenchReport | undefined): number {
  return report?.benches.filter((b) => b.results.some((r) => "failed" in r))
    .length ?? 0;
}

async function clearOutput(out: URL, pattern: RegExp): Promise<void> {
  await Deno.mkdir(out, { recursive: true });
  for await (const entry of Deno.readDir(out)) {
    if (entry.isFile && pattern.test(entry.name)) {
      await Deno.remove(new URL(entry.name, out));
    }
  }
}

function recommendationLines(recs: Recommendation[]): string[] {
  const width = Math.max(...recs.map((r) => r.setting.length));
  return recs.map((r) => {
    const value = r.value === undefined
      ? "—"
      : `${r.atEnd ? "≥ " : ""}${r.value}`;
    return `  ${r.setting.padEnd(width)}  ${value.padStart(6)}  ${r.context}${
      r.missing ? ` (${r.missing})` : ""
    }`;
  });
}

/** What a run was, besides the bench JSON: enough to redraw its report. */
interface RunRecord {
  machine: ReportInput["machine"];
  mode: ReportInput["mode"];
  date: string;
  durationMs: number;
  runs: Omit<SuiteRun, "report">[];
}

async function measure(options: Options): Promise<ReportInput> {
  const machine = describeMachine();
  const date = new Date().toISOString();
  const runStart = performance.now();
  const suites = options.suites;
  say(
    `sizing: ${
      options.quick ? "quick" : "full"
    } run, ${suites.length} suite(s) on ${machine.cores} cores${
      machine.cpuModel ? ` (${machine.cpuModel})` : ""
    }, Deno ${machine.deno} → ${outPathOf(options)}`,
  );

  const runs: (SuiteRun & { stderr: string[] })[] = [];
  for (const [i, { suite, file }] of suites.entries()) {
    const label = `[${i + 1}/${suites.length} ${suite}]`;
    const run = await runSuite(suite, file, options.quick, runStart, label);
    const cases = run.report?.benches.length ?? 0;
    say(
      `${label} ${file}: ${
        run.report
          ? `${cases} cases, ${failedCount(run.report)} failed`
          : "no results"
      } in ${clock(run.durationMs!)}${run.error ? ` — ${run.error}` : ""}`,
    );
    runs.push(run);
  }

  await clearOutput(options.out, /\.(svg|json)$|^summary\.md$|\.stderr\.txt$/);
  const record: RunRecord = {
    machine,
    mode: options.quick ? "quick" : "full",
    date,
    durationMs: performance.now() - runStart,
    runs: [],
  };
  for (const { stderr, report, ...run } of runs) {
    if (report) {
      await Deno.writeTextFile(
        new URL(`${run.suite}.json`, options.out),
        JSON.stringify(report, null, 2) + "\n",
      );
    }
    if (run.error || failedCount(report) > 0) {
      await Deno.writeTextFile(
        new URL(`${run.suite}.stderr.txt`, options.out),
        stderr.join("\n") + "\n",
      );
    }
    record.runs.push(run);
  }
  await Deno.writeTextFile(
    new URL(RECORD, options.out),
    JSON.stringify(record, null, 2) + "\n",
  );
  return {
    ...record,
    runs: runs.map(({ stderr: _, ...run }) => run),
  };
}

/** Reads a run back from its output folder (`--report-only`). */
async function recorded(options: Options): Promise<ReportInput> {
  const record: RunRecord = JSON.parse(
    await Deno.readTextFile(new URL(RECORD, options.out)),
  );
  const runs: SuiteRun[] = [];
  for (const run of record.runs) {
    let report: BenchReport | undefined;
    try {
      report = parseBenchOutput(
        await Deno.readTextFile(new URL(`${run.suite}.json`, options.out)),
      );
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    runs.push({ ...run, report });
  }
  await clearOutput(options.out, /\.svg$|^summary\.md$/);
  return { ...record, runs };
}

function outPathOf(options: Options): string {
  return decodeURIComponent(options.out.pathname);
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(Deno.args);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  let input: ReportInput;
  try {
    input = options.reportOnly
      ? await recorded(options)
      : await measure(options);
  } catch (error) {
    console.error(`sizing: ${(error as Error).message}`);
    return 2;
  }
  const report = generateReport(input);
  for (const [name, content] of report.files) {
    await Deno.writeTextFile(new URL(name, options.out), content);
  }

  say("");
  if (report.recommendations.length > 0) {
    say("Recommended for this machine:");
    for (const line of recommendationLines(report.recommendations)) say(line);
  }
  for (const problem of report.problems) say(`  ⚠ ${problem}`);
  say(
    `\n${
      options.reportOnly
        ? "Redrawn from the recorded run"
        : `Took ${clock(input.durationMs!)}`
    }. Charts and details: ${outPathOf(options)}summary.md`,
  );
  return report.problems.length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());

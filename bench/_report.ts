// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * The sizing report: from the suites' `deno bench --json` output to a chart
 * per workload and a Markdown summary that recommends sizes. Pure: it takes
 * the parsed runs and returns file contents, so it is tested on recorded
 * JSON without running a bench.
 *
 * @module
 */

import {
  type BenchEntry,
  type BenchReport,
  failureText,
  type SizingCase,
  sizingCases,
} from "./_bench_json.ts";
import { findKnee, type Knee, KNEE_TOLERANCE } from "./_knee.ts";
import { formatSi, lineChart, type Series } from "./_svg.ts";

/** One suite's run, as the runner saw it. */
export interface SuiteRun {
  /** Short name: `pool`, `async`, `aio`. */
  suite: string;
  /** The bench file, relative to the repository. */
  file: string;
  /** The parsed `deno bench --json` output, when there was one. */
  report?: BenchReport;
  /** The process's exit code. */
  exitCode?: number;
  /** Why the suite gave no usable report (crash, timeout, bad JSON, ...). */
  error?: string;
  /** Things the suite said about itself (skipped cases, ...). */
  notes?: string[];
  /** Per group, what one task / request does (from the suite). */
  descriptions?: Record<string, string>;
  /** Wall time of the suite, in ms. */
  durationMs?: number;
}

/** The machine the suites ran on. */
export interface Machine {
  /** `navigator.hardwareConcurrency`. */
  cores: number;
  /** The CPU model from /proc/cpuinfo, when readable. */
  cpuModel?: string;
  /** Total memory in bytes, when known. */
  memoryBytes?: number;
  /** `Deno.build.os`. */
  os: string;
  /** `Deno.build.arch`. */
  arch: string;
  /** `Deno.osRelease()`, when allowed. */
  osRelease?: string;
  /** Deno, V8 and TypeScript versions. */
  deno: string;
  v8?: string;
  typescript?: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadavg?: number[];
}

/** Everything the report is made from. */
export interface ReportInput {
  machine: Machine;
  runs: readonly SuiteRun[];
  /** `quick` runs fewer sizes with less work. */
  mode: "quick" | "full";
  /** When the run started (ISO 8601). */
  date: string;
  /** Wall time of the whole run, in ms. */
  durationMs?: number;
  /** The knee's tolerance; default {@linkcode KNEE_TOLERANCE}. */
  tolerance?: number;
}

/** One recommended setting. */
export interface Recommendation {
  /** The option, e.g. `maxWorkers`. */
  setting: string;
  /** Where it applies, e.g. "CPU-bound tasks". */
  context: string;
  /** The group measured. */
  group: string;
  /** The recommended value (the knee), when one was found. */
  value?: number;
  /** The knee is at the largest size measured: larger may pay off too. */
  atEnd?: boolean;
  /** The knee in full, when found. */
  knee?: Knee;
  /** Throughput at the knee relative to the smallest size measured. */
  gain?: number;
  /** Why there is no value. */
  missing?: string;
}

/** The report's files and its findings. */
export interface ReportOutput {
  /** File name (relative to the results folder) → content. */
  files: Map<string, string>;
  /** The recommendations, in the summary's order. */
  recommendations: Recommendation[];
  /** Failed suites and benches, one line each. */
  problems: string[];
}

interface WorkloadInfo {
  title: string;
  /** What the recommendation is called and where it applies. */
  setting?: string;
  context?: string;
}

/** The workloads the suites measure, and what each one recommends. */
const WORKLOADS: Record<string, WorkloadInfo> = {
  "pool/cpu": {
    title: "WorkerPoolExecutor: CPU-bound tasks",
    setting: "maxWorkers",
    context: "CPU-bound tasks",
  },
  "pool/mixed": {
    title: "WorkerPoolExecutor: mixed CPU + waiting",
    setting: "maxWorkers",
    context: "tasks that compute and wait (1 task per worker)",
  },
  "pool/io": {
    title: "WorkerPoolExecutor: I/O-bound (waiting) tasks",
    setting: "maxWorkers",
    context: "tasks that mostly wait (1 task per worker)",
  },
  "pool/tiny": {
    title: "WorkerPoolExecutor: tiny tasks (overhead-bound)",
    setting: "maxWorkers",
    context: "tiny tasks submitted at once",
  },
  "pool/concurrency": {
    title: "WorkerPoolExecutor: concurrentTasksPerWorker",
    setting: "concurrentTasksPerWorker",
    context: "async tasks that compute and wait",
  },
  "pool/chunksize": {
    title: "WorkerPoolExecutor: map() chunksize",
    setting: "chunksize",
    context: "map() over many small items",
  },
  "async/file": {
    title: "AsyncExecutor: file reads",
    setting: "maxConcurrency",
    context: "AsyncExecutor, file reads",
  },
  "async/latency": {
    title: "AsyncExecutor: waits with a little CPU",
    setting: "maxConcurrency",
    context: "AsyncExecutor, requests that wait then parse",
  },
  "aio/deno-cached": {
    title: "aio queue depth: deno backend, cached file",
    setting: "queueDepth",
    context: "aio, deno backend, file in page cache",
  },
  "aio/deno-cold": {
    title: "aio queue depth: deno backend, cold file",
    setting: "queueDepth",
    context: "aio, deno backend, file read from disk",
  },
  "aio/io_uring-cached": {
    title: "aio queue depth: io_uring backend, cached file",
    setting: "queueDepth",
    context: "aio, io_uring backend, file in page cache",
  },
  "aio/io_uring-cold": {
    title: "aio queue depth: io_uring backend, cold file",
    setting: "queueDepth",
    context: "aio, io_uring backend, file read from disk",
  },
};

/** The order of the recommendations table (groups not listed come after). */
const ORDER = Object.keys(WORKLOADS);

/**
 * The chart's file name for a group: `pool/cpu` → `pool-cpu.svg`.
 *
 * @param group The bench group.
 * @returns The file name.
 */
export function chartFile(group: string): string {
  return `${group.replace(/[^A-Za-z0-9_.-]+/g, "-")}.svg`;
}

interface GroupData {
  group: string;
  suite: string;
  cases: SizingCase[];
  knee?: Knee;
}

/**
 * Builds the charts and the summary.
 *
 * @param input The runs and the machine.
 * @returns The files to write and the findings.
 */
export function generateReport(input: ReportInput): ReportOutput {
  const tolerance = input.tolerance ?? KNEE_TOLERANCE;
  const files = new Map<string, string>();
  const problems: string[] = [];
  const groups = new Map<string, GroupData>();
  const others: { suite: string; bench: BenchEntry }[] = [];

  for (const run of input.runs) {
    problems.push(...suiteProblems(run));
    if (!run.report) continue;
    const { cases, other } = sizingCases(run.report);
    for (const bench of other) others.push({ suite: run.suite, bench });
    for (const sizing of cases) {
      let data = groups.get(sizing.group);
      if (!data) {
        data = { group: sizing.group, suite: run.suite, cases: [] };
        groups.set(sizing.group, data);
      }
      data.cases.push(sizing);
    }
  }

  const ordered = [...groups.values()].sort((a, b) =>
    rank(a.group) - rank(b.group) || a.group.localeCompare(b.group)
  );
  for (const data of ordered) {
    data.cases.sort((a, b) => a.value - b.value);
    data.knee = findKnee(points(data.cases), tolerance);
    for (const failed of data.cases.filter((c) => c.error)) {
      problems.push(`${data.group} \`${failed.name}\` failed: ${failed.error}`);
    }
    const descriptions = descriptionsOf(input.runs, data.group);
    files.set(
      chartFile(data.group),
      lineChart({
        title: titleOf(data.group),
        subtitle: descriptions ?? undefined,
        xLabel: xLabelOf(data),
        yLabel: `${data.cases[0]?.unit ?? "units"} per second`,
        series: [{
          name: data.group,
          points: points(data.cases),
          knee: data.knee,
        }],
        emptyText: emptyText(data),
        tolerance,
      }),
    );
  }
  for (const bench of others) {
    problems.push(
      `${bench.suite}: bench \`${bench.bench.name}\` (group ${
        bench.bench.group ?? "none"
      }) is not named \`param=value, N units\`; left out`,
    );
  }

  // The aio depths of every backend and cache state on one chart.
  const aio = ordered.filter((d) =>
    d.suite === "aio" && d.group.startsWith("aio/")
  );
  if (aio.length > 1) {
    const series: Series[] = aio.map((d) => ({
      name: d.group.slice("aio/".length),
      points: points(d.cases),
      knee: d.knee,
    }));
    files.set(
      "aio.svg",
      lineChart({
        title: "aio: throughput against queueDepth",
        subtitle: descriptionsOf(input.runs, "aio"),
        xLabel: "queueDepth",
        yLabel: `${aio[0].cases[0]?.unit ?? "reads"} per second`,
        series,
        tolerance,
      }),
    );
  }

  const recommendations = ordered
    .filter((d) => WORKLOADS[d.group]?.setting)
    .map((d) => recommend(d));
  files.set(
    "summary.md",
    summary(input, ordered, recommendations, problems, tolerance, files),
  );
  return { files, recommendations, problems };
}

function rank(group: string): number {
  const i = ORDER.indexOf(group);
  return i === -1 ? ORDER.length : i;
}

function points(cases: readonly SizingCase[]) {
  return cases
    .filter((c) => c.throughput !== undefined)
    .map((c) => ({ x: c.value, y: c.throughput! }));
}

function titleOf(group: string): string {
  return WORKLOADS[group]?.title ?? group;
}

function xLabelOf(data: GroupData): string {
  const params = [...new Set(data.cases.map((c) => c.param))];
  return params.join(" / ") || "size";
}

function descriptionsOf(
  runs: readonly SuiteRun[],
  group: string,
): string | undefined {
  for (const run of runs) {
    const text = run.descriptions?.[group];
    if (text) return text;
  }
  return undefined;
}

function emptyText(data: GroupData): string {
  const failed = data.cases.filter((c) => c.error).length;
  if (data.cases.length === 0) return "no data: no case ran";
  if (failed === data.cases.length) {
    return `no data: all ${failed} cases failed`;
  }
  return "no data";
}

function suiteProblems(run: SuiteRun): string[] {
  const out: string[] = [];
  const where = `${run.suite} (${run.file})`;
  if (run.error) out.push(`${where}: ${run.error}`);
  if (!run.report) {
    if (!run.error) out.push(`${where}: no bench output`);
    return out;
  }
  if (run.report.benches.length === 0) {
    out.push(`${where}: ran no benches`);
  }
  const failed = run.report.benches.filter((b) =>
    b.results.some((r) => "failed" in r)
  );
  if (run.exitCode !== undefined && run.exitCode !== 0 && failed.length === 0) {
    out.push(`${where}: exited with code ${run.exitCode}`);
  }
  // Failed benches outside sizing groups are not listed by the group pass.
  const { other } = sizingCases({ ...run.report, benches: failed });
  for (const bench of other) {
    const result = bench.results.find((r) => "failed" in r);
    if (result && "failed" in result) {
      out.push(
        `${where}: \`${bench.name}\` failed: ${failureText(result.failed)}`,
      );
    }
  }
  return out;
}

function recommend(data: GroupData): Recommendation {
  const info = WORKLOADS[data.group];
  const rec: Recommendation = {
    setting: info.setting!,
    context: info.context!,
    group: data.group,
  };
  const knee = data.knee;
  if (!knee) {
    rec.missing = data.cases.length === 0
      ? "not measured"
      : `no case ran (${data.cases.filter((c) => c.error).length} failed)`;
    return rec;
  }
  rec.value = knee.x;
  rec.atEnd = knee.atEnd;
  rec.knee = knee;
  const first = points(data.cases)[0];
  if (first && first.y > 0) rec.gain = knee.y / first.y;
  return rec;
}

function valueText(rec: Recommendation): string {
  if (rec.value === undefined) return "—";
  return rec.atEnd ? `≥ ${rec.value}` : `${rec.value}`;
}

function ratio(value: number): string {
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(2)}×`;
}

function evidence(rec: Recommendation, data: GroupData): string {
  if (!rec.knee) return rec.missing ?? "";
  const param = data.cases[0]?.param ?? "size";
  const unit = data.cases[0]?.unit ?? "units";
  const first = data.cases.find((c) => c.throughput !== undefined);
  const parts = [
    `${formatSi(rec.knee.y)} ${unit}/s at ${param}=${rec.knee.x}`,
  ];
  if (first && rec.gain !== undefined && first.value !== rec.knee.x) {
    parts.push(`${ratio(rec.gain)} the throughput of ${param}=${first.value}`);
  }
  if (rec.knee.bestX !== rec.knee.x) {
    parts.push(
      `best ${param}=${rec.knee.bestX} only +${
        Math.round((rec.knee.bestY / rec.knee.y - 1) * 100)
      }%`,
    );
  }
  if (rec.atEnd) parts.push("still rising at the largest size measured");
  const failed = data.cases.filter((c) => c.error).map((c) => c.value);
  if (failed.length > 0) parts.push(`${param}=${failed.join(", ")} failed`);
  return parts.join("; ");
}

function advice(
  input: ReportInput,
  byGroup: Map<string, GroupData>,
  recs: Recommendation[],
): string[] {
  const out: string[] = [];
  const cores = input.machine.cores;
  const get = (group: string) => recs.find((r) => r.group === group);
  const cpu = get("pool/cpu");
  if (cpu?.value !== undefined) {
    const same = cpu.value === cores;
    out.push(
      `- **CPU-bound work:** \`new WorkerPoolExecutor({ maxWorkers: ${cpu.value} })\`. ` +
        (same
          ? `That is \`navigator.hardwareConcurrency\` (${cores}), the default: leave it unset.`
          : cpu.value < cores
          ? `That is fewer than the ${cores} logical cores: past ${cpu.value} workers the extra ones share cores (SMT siblings, other load, or memory bandwidth) without more throughput.`
          : `That is more than the ${cores} logical cores: extra workers can only win CPU time from other processes (or hide stalls), so on an idle machine expect the knee at or below the core count; check the load average above and the chart before going higher.`),
    );
  }
  const mixed = get("pool/mixed");
  const conc = get("pool/concurrency");
  if (mixed?.value !== undefined) {
    out.push(
      `- **Tasks that compute and wait:** with one task per worker the knee is at ${
        valueText(mixed)
      } workers. ` +
        (conc?.value !== undefined
          ? `Cheaper than more workers: keep ${cores} workers and set \`concurrentTasksPerWorker: ${conc.value}\` (the knee of that sweep${
            conc.atEnd ? ", still rising" : ""
          }), as long as tasks are \`async\` and await their I/O.`
          : `Raising \`concurrentTasksPerWorker\` instead of workers saves memory.`),
    );
  }
  const io = get("pool/io");
  if (io?.value !== undefined) {
    out.push(
      `- **Tasks that mostly wait:** worker count buys concurrency, not speed (knee ${
        valueText(io)
      }). Run such work on \`AsyncExecutor\` instead${
        get("async/latency")?.value !== undefined
          ? ` (\`maxConcurrency: ${get("async/latency")!.value}\`${
            get("async/latency")!.atEnd ? " or more" : ""
          })`
          : ""
      }, or raise \`concurrentTasksPerWorker\`.`,
    );
  }
  const tiny = get("pool/tiny");
  const chunk = get("pool/chunksize");
  if (tiny?.value !== undefined || chunk?.value !== undefined) {
    const parts: string[] = [];
    if (tiny?.value !== undefined) {
      parts.push(
        `submitted all at once they reach ${
          formatSi(tiny.knee!.y)
        } tasks/s with ${valueText(tiny)} worker${
          tiny.value === 1 ? "" : "s"
        } (more workers only add messages)`,
      );
    }
    if (chunk?.value !== undefined) {
      const data = byGroup.get("pool/chunksize");
      const first = data && points(data.cases)[0];
      const gain = first && chunk.knee ? chunk.knee.y / first.y : undefined;
      parts.push(
        `\`map()\` keeps only a bounded number of chunks in flight, so batch there: \`map(fn, items, { chunksize: ${chunk.value} })\`${
          gain !== undefined && gain > 1.05
            ? ` gives ${ratio(gain)} the items/s of chunksize ${first!.x}`
            : ""
        }`,
      );
    }
    out.push(`- **Tiny tasks:** ${parts.join("; ")}.`);
  }
  const asyncFile = get("async/file");
  if (asyncFile?.value !== undefined) {
    out.push(
      `- **AsyncExecutor file I/O:** \`maxConcurrency: ${asyncFile.value}\`${
        asyncFile.atEnd
          ? " or more (still rising at the largest value measured)"
          : "; beyond it, more reads in flight only queue in Deno's blocking-I/O threads"
      }.`,
    );
  }
  const aio = recs.filter((r) =>
    r.group.startsWith("aio/") && r.value !== undefined
  );
  if (aio.length > 0) {
    const main = aio.find((r) => r.group === "aio/deno-cached") ?? aio[0];
    out.push(
      `- **aio:** \`aioInit({ queueDepth: ${main.value} })\` (${main.context}${
        main.atEnd ? "; still rising at the deepest queue measured" : ""
      }).` +
        (aio.length > 1
          ? " Others: " +
            aio.filter((r) => r !== main).map((r) =>
              `${r.group.slice(4)} ${valueText(r)}`
            ).join(", ") + "."
          : ""),
    );
  }
  return out;
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function formatTime(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(0)} ns`;
}

/** Escapes text for a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function machineRows(m: Machine): string[] {
  const rows: [string, string][] = [
    [
      "CPU",
      `${
        m.cpuModel ?? "unknown model"
      }, ${m.cores} logical cores (\`navigator.hardwareConcurrency\`)`,
    ],
    [
      "Memory",
      m.memoryBytes ? `${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB` : "unknown",
    ],
    ["OS", `${m.os} ${m.arch}${m.osRelease ? `, kernel ${m.osRelease}` : ""}`],
    [
      "Deno",
      `${m.deno}${m.v8 ? ` (V8 ${m.v8}` : ""}${
        m.typescript ? `, TypeScript ${m.typescript})` : m.v8 ? ")" : ""
      }`,
    ],
  ];
  if (m.loadavg) {
    rows.push([
      "Load average at start",
      `${m.loadavg.map((l) => l.toFixed(2)).join(", ")} (1, 5, 15 min)`,
    ]);
  }
  return [
    "| | |",
    "| --- | --- |",
    ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`),
  ];
}

/** Load above half the cores at the start: other work skews the timings. */
function busyWarning(m: Machine): string[] {
  const load = m.loadavg?.[0];
  if (load === undefined || load <= m.cores / 2) return [];
  return [
    `> ⚠ The machine was busy when the run started (load average ${
      load.toFixed(2)
    } on ${m.cores} cores): other work competes for the cores, so the figures are noisy and the knees may move. Rerun on an idle machine for numbers to rely on.`,
    "",
  ];
}

function summary(
  input: ReportInput,
  ordered: GroupData[],
  recs: Recommendation[],
  problems: string[],
  tolerance: number,
  files: Map<string, string>,
): string {
  const byGroup = new Map(ordered.map((d) => [d.group, d]));
  const pct = Math.round(tolerance * 100);
  const lines: string[] = [];
  lines.push(
    "# Pool sizing on this machine",
    "",
    `${
      input.mode === "quick"
        ? "Quick run (`--quick`: fewer sizes, less work per iteration; a first look)"
        : "Full run"
    } of ${input.date}${
      input.durationMs !== undefined
        ? `, ${formatDuration(input.durationMs)}`
        : ""
    }. Written by \`deno task sizing${
      input.mode === "quick" ? " --quick" : ""
    }\`; raw \`deno bench --json\` output: ${
      input.runs.filter((r) => r.report).map((r) =>
        `[${r.suite}.json](${r.suite}.json)`
      )
        .join(", ") || "none"
    }.`,
    "",
    "## Machine",
    "",
    ...machineRows(input.machine),
    "",
    ...busyWarning(input.machine),
    "## Recommendations",
    "",
  );
  if (recs.length === 0) {
    lines.push(
      "No workload produced a measurement, so there is nothing to recommend.",
      "",
    );
  } else {
    lines.push(
      "| Setting | Use | For | Measured |",
      "| --- | --- | --- | --- |",
      ...recs.map((r) =>
        `| \`${r.setting}\` | **${valueText(r)}** | ${cell(r.context)} | ${
          cell(
            `[${r.group}](#${anchor(r.group)}): ${
              evidence(r, byGroup.get(r.group)!)
            }`,
          )
        } |`
      ),
      "",
      ...advice(input, byGroup, recs),
      "",
    );
  }
  lines.push(
    "## How to read this",
    "",
    `Each suite does a fixed amount of work per iteration at each size, so throughput (work per second, from Deno's mean time per iteration: \`deno bench --json\` gives no median) compares across sizes. The **knee** is the smallest size whose throughput is within ${pct}% of the best size's: past it a bigger pool buys at most ${pct}% more while costing memory and start-up; the ${pct}% band is wider than the run-to-run noise on a busy machine. "≥ N" means the curve was still rising at the largest size measured. In each chart the dashed vertical line and ring mark the knee, the dotted line the ${
      100 - pct
    }% threshold. Each pool-size case gets its own pool, started and warmed (all workers running, the task module imported) outside the timed part, then reused across that case's iterations, as a long-lived pool is in real use; Deno's untimed warm-up iterations JIT-compile the task in every worker.`,
    "",
  );
  if (problems.length > 0 || input.runs.some((r) => r.notes?.length)) {
    lines.push("## Problems and notes", "");
    for (const p of problems) lines.push(`- ⚠ ${cell(p)}`);
    for (const run of input.runs) {
      for (const note of run.notes ?? []) {
        lines.push(`- ${run.suite}: ${cell(note)}`);
      }
    }
    lines.push("");
  }
  lines.push("## Workloads", "");
  if (ordered.length === 0) {
    lines.push("No sizing benches were found in the output.", "");
  }
  for (const data of ordered) {
    const param = data.cases[0]?.param ?? "size";
    const unit = data.cases[0]?.unit ?? "units";
    const first = data.cases.find((c) => c.throughput !== undefined);
    lines.push(`### ${data.group}`, "", `**${titleOf(data.group)}.**`);
    const description = descriptionsOf(input.runs, data.group);
    if (description) lines.push(`${description}.`);
    lines.push(
      "",
      `![${titleOf(data.group).replace(/[[\]]/g, "")}](${
        chartFile(data.group)
      })`,
      "",
      `| ${param} | time per iteration | ${unit}/s | vs ${param}=${
        first?.value ?? "?"
      } | |`,
      "| ---: | ---: | ---: | ---: | --- |",
    );
    for (const c of data.cases) {
      if (c.throughput === undefined) {
        lines.push(
          `| ${c.value} | — | — | — | failed: ${cell(c.error ?? "")} |`,
        );
        continue;
      }
      const marks = [
        data.knee?.x === c.value ? "knee" : "",
        data.knee?.bestX === c.value ? "best" : "",
      ].filter(Boolean).join(", ");
      lines.push(
        `| ${c.value} | ${formatTime(c.avgNs!)} | ${formatSi(c.throughput)} | ${
          ratio(c.throughput / first!.throughput!)
        } | ${marks} |`,
      );
    }
    lines.push("");
  }
  if (files.has("aio.svg")) {
    lines.push("### aio, all backends", "", "![aio queue depth](aio.svg)", "");
  }
  return lines.join("\n");
}

/** GitHub's heading anchor for `### <group>`. */
function anchor(group: string): string {
  return group.toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-");
}

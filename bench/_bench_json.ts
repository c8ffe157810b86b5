// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * The output of `deno bench --json` (Deno 2.x, `"version": 1`), and how the
 * sizing suites name their benches so the report can read sizes from it.
 *
 * A sizing bench is named `<param>=<value>, <units> <unit>`, for example
 * `maxWorkers=4, 64 tasks`: the parameter swept, its value, and the fixed work
 * one iteration does. Its group is `<suite>/<workload>` (`pool/cpu`). The
 * throughput of a case is `units / mean time per iteration`.
 *
 * @module
 */

/** The statistics of a bench that ran, in nanoseconds per iteration. */
export interface BenchStats {
  n: number;
  min: number;
  max: number;
  avg: number;
  p75: number;
  p99: number;
  p995: number;
  p999: number;
  highPrecision: boolean;
  usedExplicitTimers: boolean;
}

/** The error of a bench that threw (as `deno bench --json` reports it). */
export interface BenchFailure {
  name?: string;
  message?: string;
  stack?: string;
  exceptionMessage?: string;
}

/** One bench's result: it ran, or it failed. */
export type BenchResult = { ok: BenchStats } | { failed: BenchFailure };

/** One bench of the report. */
export interface BenchEntry {
  origin: string;
  group: string | null;
  name: string;
  baseline: boolean;
  results: BenchResult[];
}

/** The whole `deno bench --json` document. */
export interface BenchReport {
  version: number;
  runtime: string;
  cpu: string;
  benches: BenchEntry[];
}

/** One case of a sizing sweep, read from a bench. */
export interface SizingCase {
  /** The bench's group, `<suite>/<workload>`. */
  group: string;
  /** The bench's name as reported. */
  name: string;
  /** The swept parameter (`maxWorkers`, `queueDepth`, ...). */
  param: string;
  /** Its value in this case. */
  value: number;
  /** Work units one iteration does. */
  units: number;
  /** What a unit is (`tasks`, `reads`, `items`). */
  unit: string;
  /** Mean ns per iteration, when it ran. */
  avgNs?: number;
  /** Iterations measured, when it ran. */
  iterations?: number;
  /** Units per second, when it ran. */
  throughput?: number;
  /** Why it failed, when it did. */
  error?: string;
}

const NAME = /^([A-Za-z][\w.]*)=(\d+(?:\.\d+)?),\s*(\d+(?:\.\d+)?)\s+(\S+)$/;

/**
 * Formats the name of a sizing bench.
 *
 * @param param The swept parameter.
 * @param value Its value.
 * @param units Work units per iteration.
 * @param unit What a unit is.
 * @returns The bench name, `<param>=<value>, <units> <unit>`.
 */
export function caseName(
  param: string,
  value: number,
  units: number,
  unit: string,
): string {
  return `${param}=${value}, ${units} ${unit}`;
}

/**
 * Reads the JSON document out of `deno bench --json`'s stdout. The bench
 * modules' top-level `console.log` output shares that stream, so text
 * before the document is skipped.
 *
 * @param stdout The process's standard output.
 * @returns The report.
 * @throws {SyntaxError} No bench report in the text.
 */
export function parseBenchOutput(stdout: string): BenchReport {
  const start = stdout.search(/^\{\s*"version"/m);
  if (start === -1) {
    throw new SyntaxError("no `deno bench --json` document in the output");
  }
  const value: unknown = JSON.parse(stdout.slice(start));
  if (!isBenchReport(value)) {
    throw new SyntaxError("not a `deno bench --json` document");
  }
  return value;
}

/**
 * Checks the shape of a parsed `deno bench --json` document.
 *
 * @param value The parsed JSON.
 * @returns Whether it is a bench report.
 */
export function isBenchReport(value: unknown): value is BenchReport {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.version === "number" && Array.isArray(v.benches) &&
    v.benches.every((b) =>
      typeof b === "object" && b !== null &&
      typeof (b as BenchEntry).name === "string" &&
      Array.isArray((b as BenchEntry).results)
    );
}

/**
 * The sizing cases of a report: benches in a group whose name follows
 * {@linkcode caseName}. Others are returned apart, so they can be listed.
 *
 * @param report The bench report.
 * @returns The cases, and the benches that are not sizing cases.
 */
export function sizingCases(
  report: BenchReport,
): { cases: SizingCase[]; other: BenchEntry[] } {
  const cases: SizingCase[] = [];
  const other: BenchEntry[] = [];
  for (const bench of report.benches) {
    const match = bench.group ? NAME.exec(bench.name) : null;
    if (match === null || !bench.group) {
      other.push(bench);
      continue;
    }
    const sizing: SizingCase = {
      group: bench.group,
      name: bench.name,
      param: match[1],
      value: Number(match[2]),
      units: Number(match[3]),
      unit: match[4],
    };
    const result = bench.results[0];
    if (result === undefined) {
      sizing.error = "no result";
    } else if ("ok" in result) {
      const { avg, n } = result.ok;
      sizing.iterations = n;
      if (avg > 0 && Number.isFinite(avg)) {
        sizing.avgNs = avg;
        sizing.throughput = sizing.units / (avg / 1e9);
      } else {
        sizing.error = `no usable time (mean ${avg} ns)`;
      }
    } else {
      sizing.error = failureText(result.failed);
    }
    cases.push(sizing);
  }
  return { cases, other };
}

/**
 * One line saying why a bench failed.
 *
 * @param failure The failure as reported.
 * @returns Its name and message.
 */
export function failureText(failure: BenchFailure): string {
  const name = failure.name ?? "Error";
  const message = failure.message ?? failure.exceptionMessage ?? "";
  return message ? `${name}: ${message}` : name;
}

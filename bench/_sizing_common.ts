// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * What the sizing suites share: the sizes to sweep, the quick mode, and the
 * line protocol through which a suite tells `deno task sizing` its progress
 * (`deno bench --json` prints nothing until the end) and its notes.
 *
 * A suite writes `@@sizing <json>` lines straight to stderr: inside a bench
 * Deno replaces `console`, and at top level `console.log` would land in the
 * JSON on stdout. Without `SIZING_PROGRESS=1` (a plain `deno bench`) notes
 * are printed as plain text and progress is not printed.
 *
 * @module
 */

import { caseName } from "./_bench_json.ts";

/** A message from a suite to the runner. */
export type SizingMessage =
  | { type: "progress"; index: number; total: number; label: string }
  | { type: "note"; text: string }
  | { type: "describe"; group: string; text: string };

const PREFIX = "@@sizing ";

/**
 * Formats a message as one stderr line (without the newline).
 *
 * @param message The message.
 * @returns The line.
 */
export function sizingLine(message: SizingMessage): string {
  return PREFIX + JSON.stringify(message);
}

/**
 * Reads a message from a stderr line.
 *
 * @param line One line of a suite's stderr.
 * @returns The message, or `undefined` for any other line.
 */
export function parseSizingLine(line: string): SizingMessage | undefined {
  if (!line.startsWith(PREFIX)) return undefined;
  try {
    const value = JSON.parse(line.slice(PREFIX.length));
    if (
      value?.type === "progress" && typeof value.index === "number" &&
      typeof value.total === "number" && typeof value.label === "string"
    ) return value;
    if (value?.type === "note" && typeof value.text === "string") return value;
    if (
      value?.type === "describe" && typeof value.group === "string" &&
      typeof value.text === "string"
    ) return value;
  } catch {
    // Not ours after all.
  }
  return undefined;
}

/**
 * Reads an environment variable when allowed to, else `undefined`.
 *
 * @param name The variable.
 * @returns Its value.
 */
export function env(name: string): string | undefined {
  const { state } = Deno.permissions.querySync({ name: "env", variable: name });
  return state === "granted" ? Deno.env.get(name) : undefined;
}

/** `SIZING_QUICK=1`: fewer sizes, less work, fewer iterations. */
export const QUICK: boolean = env("SIZING_QUICK") === "1";
const UNDER_RUNNER = env("SIZING_PROGRESS") === "1";

const encoder = new TextEncoder();

function write(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/**
 * Tells the runner (or the person running `deno bench`) something about the
 * run, such as a skipped case.
 *
 * @param text The note.
 */
export function note(text: string): void {
  write(UNDER_RUNNER ? sizingLine({ type: "note", text }) : `note: ${text}`);
}

/**
 * Describes, for the report, what a group (or a chart of several, such as
 * `aio`) measures.
 *
 * @param group The group.
 * @param text What one iteration does.
 */
export function describe(group: string, text: string): void {
  if (UNDER_RUNNER) write(sizingLine({ type: "describe", group, text }));
}

/**
 * Sizes 1, 2, 4, ... up to `max`, with `max` itself and `also` added when
 * they are not powers of two. Quick mode keeps 1, `also` and `max`.
 *
 * @param max The largest size.
 * @param also Sizes that must be measured (e.g. the core count).
 * @returns The sizes, ascending.
 */
export function sizes(max: number, also: readonly number[] = []): number[] {
  const out = new Set<number>([1, max, ...also.filter((s) => s <= max)]);
  if (!QUICK) { for (let s = 1; s < max; s *= 2) out.add(s); }
  return [...out].sort((a, b) => a - b);
}

/** One sweep: the same work at each size. */
export interface Sweep {
  /** The bench group, `<suite>/<workload>`. */
  group: string;
  /** The swept parameter's name. */
  param: string;
  /** Its values; the first is the baseline. */
  values: readonly number[];
  /** Work units per iteration. */
  units: number;
  /** What a unit is. */
  unit: string;
  /** What one unit of work is, for the report. */
  description: string;
  /** Runs one iteration at `value`; calls `b.start()`/`b.end()` around the work. */
  fn: (value: number, b: Deno.BenchContext) => Promise<void>;
}

const registered: string[] = [];
let started = 0;

/**
 * Registers one `Deno.bench` per value of a sweep, in one group with the
 * first value as baseline, named so the report can read them
 * (`<param>=<value>, <units> <unit>`).
 *
 * @param sweep The sweep.
 */
export function sweep(sweep: Sweep): void {
  let described = false;
  for (const value of sweep.values) {
    const name = caseName(sweep.param, value, sweep.units, sweep.unit);
    const label = `${sweep.group} ${sweep.param}=${value}`;
    registered.push(label);
    let first = true;
    Deno.bench({
      name,
      group: sweep.group,
      baseline: value === sweep.values[0],
      // Deno's default of 20 warm-up iterations costs seconds per case here.
      // No `n`: with one, Deno runs exactly that many iterations; without,
      // at least 10 and for at least 500 ms.
      warmup: QUICK ? 1 : 2,
      async fn(b) {
        if (first) {
          first = false;
          started++;
          if (UNDER_RUNNER) {
            if (!described) {
              described = true;
              write(sizingLine({
                type: "describe",
                group: sweep.group,
                text: sweep.description,
              }));
            }
            write(sizingLine({
              type: "progress",
              index: started,
              total: registered.length,
              label,
            }));
          }
        }
        await sweep.fn(value, b);
      },
    });
  }
}

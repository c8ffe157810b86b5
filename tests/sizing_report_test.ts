// Copyright 2026 the @concurrent/futures authors. MIT license.

import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  type BenchReport,
  caseName,
  parseBenchOutput,
  sizingCases,
} from "../bench/_bench_json.ts";
import { findKnee } from "../bench/_knee.ts";
import { escapeXml, formatSi, lineChart } from "../bench/_svg.ts";
import {
  chartFile,
  generateReport,
  type Machine,
  type ReportInput,
  type SuiteRun,
} from "../bench/_report.ts";
import { parseSizingLine, sizingLine } from "../bench/_sizing_common.ts";
import { cpuModelOf } from "../bench/_machine.ts";

// ---------------------------------------------------------------------------
// A minimal XML 1.0 well-formedness checker: one root element, matched and
// properly nested tags, quoted and unique attributes, only the five
// predefined or numeric entity references, no raw `<` or `&` in text or
// attribute values, comments without `--`, the XML declaration only first.

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][\w.:-]*/;
const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

function decode(raw: string, where: number): string {
  if (raw.includes("<")) throw new SyntaxError(`raw '<' near ${where}`);
  return raw.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(";")) {
      throw new SyntaxError(`bare '&' near ${where}`);
    }
    if (ref in ENTITIES) return ENTITIES[ref];
    const num = /^#(?:x([0-9A-Fa-f]+)|([0-9]+))$/.exec(ref);
    if (num) {
      return String.fromCodePoint(parseInt(num[1] ?? num[2], num[1] ? 16 : 10));
    }
    throw new SyntaxError(`unknown entity '&${ref};' near ${where}`);
  });
}

function parseXml(source: string): XmlElement {
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(source)) {
    throw new SyntaxError("control character");
  }
  let i = 0;
  let root: XmlElement | undefined;
  const stack: XmlElement[] = [];
  if (source.startsWith("<?xml")) {
    const end = source.indexOf("?>");
    if (end === -1) throw new SyntaxError("unterminated XML declaration");
    i = end + 2;
  }
  while (i < source.length) {
    const lt = source.indexOf("<", i);
    const text = source.slice(i, lt === -1 ? source.length : lt);
    if (stack.length > 0) {
      stack[stack.length - 1].text += decode(text, i);
    } else if (text.trim() !== "") {
      throw new SyntaxError(`text outside the root element near ${i}`);
    }
    if (lt === -1) break;
    i = lt;
    if (source.startsWith("<!--", i)) {
      const end = source.indexOf("-->", i + 4);
      if (end === -1) throw new SyntaxError("unterminated comment");
      if (source.slice(i + 4, end).includes("--")) {
        throw new SyntaxError("'--' inside a comment");
      }
      i = end + 3;
    } else if (source.startsWith("<![CDATA[", i)) {
      if (stack.length === 0) throw new SyntaxError("CDATA outside root");
      const end = source.indexOf("]]>", i);
      if (end === -1) throw new SyntaxError("unterminated CDATA");
      stack[stack.length - 1].text += source.slice(i + 9, end);
      i = end + 3;
    } else if (source.startsWith("<?", i)) {
      if (source.startsWith("<?xml", i)) {
        throw new SyntaxError("XML declaration not at the start");
      }
      const end = source.indexOf("?>", i);
      if (end === -1) throw new SyntaxError("unterminated instruction");
      i = end + 2;
    } else if (source.startsWith("<!", i)) {
      throw new SyntaxError(`unsupported declaration near ${i}`);
    } else if (source.startsWith("</", i)) {
      const name = NAME.exec(source.slice(i + 2))?.[0];
      if (!name) throw new SyntaxError(`bad end tag near ${i}`);
      let j = i + 2 + name.length;
      while (/\s/.test(source[j] ?? "")) j++;
      if (source[j] !== ">") throw new SyntaxError(`bad end tag near ${i}`);
      const open = stack.pop();
      if (open?.name !== name) {
        throw new SyntaxError(
          `</${name}> closes <${open?.name ?? "nothing"}> near ${i}`,
        );
      }
      i = j + 1;
    } else {
      const name = NAME.exec(source.slice(i + 1))?.[0];
      if (!name) throw new SyntaxError(`bad start tag near ${i}`);
      if (stack.length === 0 && root) {
        throw new SyntaxError("second root element");
      }
      const element: XmlElement = { name, attrs: {}, children: [], text: "" };
      let j = i + 1 + name.length;
      let selfClosing = false;
      while (true) {
        const space = /^\s*/.exec(source.slice(j))![0].length;
        j += space;
        if (source.startsWith("/>", j)) {
          selfClosing = true;
          j += 2;
          break;
        }
        if (source[j] === ">") {
          j += 1;
          break;
        }
        if (space === 0) throw new SyntaxError(`expected space near ${j}`);
        const attr = NAME.exec(source.slice(j))?.[0];
        if (!attr) throw new SyntaxError(`bad attribute near ${j}`);
        j += attr.length;
        const eq = /^\s*=\s*/.exec(source.slice(j));
        if (!eq) throw new SyntaxError(`attribute without value near ${j}`);
        j += eq[0].length;
        const quote = source[j];
        if (quote !== '"' && quote !== "'") {
          throw new SyntaxError(`unquoted attribute near ${j}`);
        }
        const end = source.indexOf(quote, j + 1);
        if (end === -1) throw new SyntaxError("unterminated attribute");
        if (attr in element.attrs) {
          throw new SyntaxError(`duplicate attribute '${attr}' near ${j}`);
        }
        element.attrs[attr] = decode(source.slice(j + 1, end), j);
        j = end + 1;
      }
      if (stack.length > 0) stack[stack.length - 1].children.push(element);
      else root = element;
      if (!selfClosing) stack.push(element);
      i = j;
    }
  }
  if (stack.length > 0) {
    throw new SyntaxError(`<${stack[stack.length - 1].name}> not closed`);
  }
  if (!root) throw new SyntaxError("no root element");
  return root;
}

function all(element: XmlElement, name: string): XmlElement[] {
  const found = element.name === name ? [element] : [];
  for (const child of element.children) found.push(...all(child, name));
  return found;
}

function texts(svg: XmlElement): string[] {
  return all(svg, "text").map((t) => t.text);
}

function assertSvg(source: string): XmlElement {
  const svg = parseXml(source);
  assertEquals(svg.name, "svg");
  assertEquals(svg.attrs.xmlns, "http://www.w3.org/2000/svg");
  assertMatch(svg.attrs.viewBox, /^0 0 \d+ \d+$/);
  assert(svg.children[0].name === "title" && svg.children[0].text !== "");
  for (const el of [...all(svg, "circle"), ...all(svg, "line")]) {
    for (const [k, v] of Object.entries(el.attrs)) {
      if (/^(c?[xy][12]?|r)$/.test(k)) assertMatch(v, /^-?\d+(\.\d+)?$/, k);
    }
  }
  return svg;
}

// ---------------------------------------------------------------------------

const recorded = Deno.readTextFileSync(
  new URL("./fixtures/bench_recorded.json", import.meta.url),
);

const machine: Machine = {
  cores: 2,
  cpuModel: "AMD EPYC",
  memoryBytes: 24 * 2 ** 30,
  os: "linux",
  arch: "x86_64",
  osRelease: "6.18.0",
  deno: "2.9.6",
  v8: "14.0",
  typescript: "5.9",
  loadavg: [0.5, 0.25, 0.1],
};

function input(runs: SuiteRun[]): ReportInput {
  return {
    machine,
    runs,
    mode: "full",
    date: "2026-01-01T00:00:00.000Z",
    durationMs: 93_000,
  };
}

function recordedRun(): SuiteRun {
  return {
    suite: "pool",
    file: "bench/pool_sizing_bench.ts",
    report: parseBenchOutput(recorded),
    exitCode: 1,
    notes: ["cold cases skipped: test note"],
    descriptions: { "pool/cpu": "each task sleeps (recorded fixture)" },
  };
}

Deno.test("XML checker rejects malformed documents", () => {
  const bad = [
    "",
    "<svg>",
    "<svg></g>",
    "<svg><g></svg></g>",
    "<svg/><svg/>",
    "text<svg/>",
    "<svg a=1/>",
    '<svg a="1" a="2"/>',
    '<svg a="x<y"/>',
    "<svg>a & b</svg>",
    "<svg>&nbsp;</svg>",
    "<svg>1 < 2</svg>",
    '<svg a="1"b="2"/>',
    "<svg><!-- a -- b --></svg>",
    '<svg/><?xml version="1.0"?>',
    "<svg>\u0001</svg>",
  ];
  for (const source of bad) {
    assertThrows(() => parseXml(source), SyntaxError, undefined, source);
  }
  const good = parseXml(
    `<?xml version="1.0"?>\n<!-- c --><svg a='1' b="&lt;&#65;&#x42;"><g/>x &amp; y</svg>\n`,
  );
  assertEquals(good.attrs, { a: "1", b: "<AB" });
  assertEquals(good.text, "x & y");
});

Deno.test("parseBenchOutput reads deno bench --json after other output", () => {
  const report = parseBenchOutput(`log from a module\n${recorded}`);
  assertEquals(report.version, 1);
  assertMatch(report.runtime, /^Deno\//);
  const { cases, other } = sizingCases(report);
  assertEquals(cases.length, 12);
  assertEquals(other.map((b) => b.name), ["unrelated"]);
  const cpu = cases.filter((c) => c.group === "pool/cpu");
  assertEquals(cpu.map((c) => c.value).sort(), [1, 2, 4]);
  for (const c of cpu) {
    assertEquals([c.param, c.units, c.unit], ["maxWorkers", 16, "tasks"]);
    assert(c.throughput! > 0 && c.avgNs! > 0 && c.iterations! > 0);
    assertEquals(c.throughput, 16 / (c.avgNs! / 1e9));
  }
  const failed = cases.filter((c) => c.error);
  assertEquals(failed.length, 3);
  assertStringIncludes(
    failed.find((c) => c.group === "async/file")!.error!,
    "NotFound: fixture file missing",
  );
  assertThrows(
    () => parseBenchOutput("error: Type checking failed"),
    SyntaxError,
  );
  assertThrows(() => parseBenchOutput('{"version": 1}'), SyntaxError);
});

Deno.test("caseName round-trips through sizingCases", () => {
  const report: BenchReport = {
    version: 1,
    runtime: "Deno/2.9.6",
    cpu: "x",
    benches: [{
      origin: "file:///x",
      group: "g/w",
      name: caseName("queueDepth", 32, 2048, "reads"),
      baseline: false,
      results: [{
        ok: {
          n: 3,
          min: 1,
          max: 1,
          avg: 2e6,
          p75: 1,
          p99: 1,
          p995: 1,
          p999: 1,
          highPrecision: true,
          usedExplicitTimers: true,
        },
      }],
    }],
  };
  const [c] = sizingCases(report).cases;
  assertEquals([c.param, c.value, c.units, c.unit], [
    "queueDepth",
    32,
    2048,
    "reads",
  ]);
  assertEquals(c.throughput, 2048 / 2e-3);
});

Deno.test("findKnee picks the smallest size within the tolerance of the best", () => {
  assertEquals(findKnee([]), undefined);
  assertEquals(findKnee([{ x: 1, y: 0 }, { x: 2, y: NaN }]), undefined);
  const knee = findKnee([
    { x: 4, y: 190 },
    { x: 1, y: 100 },
    { x: 8, y: 200 },
    { x: 2, y: 170 },
  ])!;
  assertEquals([knee.x, knee.bestX, knee.atEnd], [4, 8, false]);
  assertEquals(knee.threshold, 180);
  // With a 20% band, 2 (170 >= 160) is good enough.
  assertEquals(
    findKnee([{ x: 1, y: 100 }, { x: 2, y: 170 }, { x: 8, y: 200 }], 0.2)!.x,
    2,
  );
  // Still rising at the end of the range.
  const rising = findKnee([{ x: 1, y: 1 }, { x: 2, y: 2 }, { x: 4, y: 4 }])!;
  assertEquals([rising.x, rising.atEnd], [4, true]);
  // One point is its own knee, not "at the end".
  assertEquals(findKnee([{ x: 3, y: 5 }])!.atEnd, false);
  assertThrows(() => findKnee([{ x: 1, y: 1 }], 1), RangeError);
  assertThrows(() => findKnee([{ x: 1, y: 1 }], -0.1), RangeError);
});

Deno.test("generateReport recommends the knees of the recorded run", () => {
  const { recommendations, problems, files } = generateReport(
    input([recordedRun()]),
  );
  const by = Object.fromEntries(recommendations.map((r) => [r.group, r]));
  assertEquals(by["pool/cpu"].setting, "maxWorkers");
  assertEquals(by["pool/cpu"].value, 2);
  assertEquals(by["pool/cpu"].atEnd, false);
  assert(by["pool/cpu"].gain! > 1.5);
  assertEquals(by["pool/concurrency"].setting, "concurrentTasksPerWorker");
  assertEquals(by["pool/concurrency"].value, 4);
  assertEquals(by["aio/deno-cached"].setting, "queueDepth");
  assertEquals(by["aio/deno-cached"].value, 4);
  // Depth 16 failed, so 4 is the deepest measured: maybe deeper pays off.
  assertEquals(by["aio/deno-cached"].atEnd, true);
  assertEquals(by["async/file"].value, undefined);
  assertStringIncludes(by["async/file"].missing!, "2 failed");

  assert(
    problems.some((p) => p.includes("queueDepth=16") && p.includes("EAGAIN")),
  );
  assert(
    problems.some((p) =>
      p.includes("maxConcurrency=1") && p.includes("NotFound")
    ),
  );
  assert(
    problems.some((p) => p.includes("`unrelated`") && p.includes("left out")),
  );
  // Exit code 1 is explained by the failed benches: no separate line.
  assert(!problems.some((p) => p.includes("exited with code")));

  const summary = files.get("summary.md")!;
  assertMatch(summary, /\| `maxWorkers` \| \*\*2\*\* \| CPU-bound tasks \|/);
  assertMatch(summary, /\| `concurrentTasksPerWorker` \| \*\*4\*\* \|/);
  assertMatch(summary, /\| `queueDepth` \| \*\*≥ 4\*\* \|/);
  assertStringIncludes(summary, "aioInit({ queueDepth: 4 })");
  assertMatch(summary, /\| `maxConcurrency` \| \*\*—\*\* \|/);
  for (
    const text of [
      "AMD EPYC, 2 logical cores",
      "24.0 GiB",
      "linux x86_64, kernel 6.18.0",
      "2.9.6 (V8 14.0, TypeScript 5.9)",
      "1 min 33 s",
      "within 10% of the best",
      "⚠",
      "cold cases skipped: test note",
      "each task sleeps (recorded fixture)",
      "failed: Error: AioError EAGAIN",
      "[pool.json](pool.json)",
    ]
  ) {
    assertStringIncludes(summary, text);
  }
  // Every chart is embedded, and every embedded chart exists.
  const embedded = [...summary.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) =>
    m[1]
  );
  const charts = [...files.keys()].filter((f) => f.endsWith(".svg"));
  assertEquals(new Set(embedded), new Set(charts));
  assertEquals(
    new Set(charts),
    new Set([
      "pool-cpu.svg",
      "pool-concurrency.svg",
      "aio-deno-cached.svg",
      "async-file.svg",
    ]),
  );
});

Deno.test("generateReport writes well-formed SVG with axes, labels and the knee", () => {
  const { files } = generateReport(input([recordedRun()]));
  for (const [name, content] of files) {
    if (name.endsWith(".svg")) assertSvg(content);
  }
  const cpu = assertSvg(files.get(chartFile("pool/cpu"))!);
  const labels = texts(cpu);
  assert(labels.includes("WorkerPoolExecutor: CPU-bound tasks"));
  assert(labels.includes("maxWorkers (log scale)"), labels.join("|"));
  assert(labels.includes("tasks per second"));
  assert(labels.includes("knee: 2"));
  assert(labels.includes("90% of best"));
  assert(labels.includes("each task sleeps (recorded fixture)"));
  for (const tick of ["1", "2", "4", "0"]) assert(labels.includes(tick), tick);
  assertEquals(all(cpu, "polyline").length, 1);
  assertEquals(all(cpu, "circle").filter((c) => c.attrs.r === "4").length, 3);

  const failed = assertSvg(files.get("async-file.svg")!);
  assert(texts(failed).includes("no data: all 2 cases failed"));
  assertEquals(all(failed, "polyline").length, 0);
});

Deno.test("generateReport draws the aio groups together", () => {
  const report = parseBenchOutput(recorded);
  const cold = structuredClone(
    report.benches.filter((b) => b.group === "aio/deno-cached"),
  );
  for (const b of cold) b.group = "aio/deno-cold";
  const { files, recommendations } = generateReport(input([{
    suite: "aio",
    file: "bench/aio_sizing_bench.ts",
    report: { ...report, benches: [...report.benches, ...cold] },
    exitCode: 1,
  }]));
  const svg = assertSvg(files.get("aio.svg")!);
  assertEquals(all(svg, "polyline").length, 2);
  const labels = texts(svg);
  assert(labels.includes("deno-cached"));
  assert(labels.includes("deno-cold"));
  assertEquals(
    recommendations.filter((r) => r.setting === "queueDepth").map((r) =>
      r.group
    ),
    ["aio/deno-cached", "aio/deno-cold"],
  );
  assertStringIncludes(files.get("summary.md")!, "![aio queue depth](aio.svg)");
});

Deno.test("generateReport says clearly when there is nothing to report", () => {
  const empty = generateReport(input([
    {
      suite: "pool",
      file: "bench/pool_sizing_bench.ts",
      report: { version: 1, runtime: "Deno/2.9.6", cpu: "x", benches: [] },
      exitCode: 0,
    },
    {
      suite: "async",
      file: "bench/async_sizing_bench.ts",
      exitCode: 1,
      error: "exited with code 1: error: Type checking failed",
    },
    { suite: "aio", file: "bench/aio_sizing_bench.ts", exitCode: 0 },
  ]));
  assertEquals(empty.recommendations, []);
  assertEquals(empty.problems, [
    "pool (bench/pool_sizing_bench.ts): ran no benches",
    "async (bench/async_sizing_bench.ts): exited with code 1: error: Type checking failed",
    "aio (bench/aio_sizing_bench.ts): no bench output",
  ]);
  const summary = empty.files.get("summary.md")!;
  assertStringIncludes(summary, "nothing to recommend");
  assert(!summary.includes("machine was busy"));
  assertStringIncludes(summary, "No sizing benches were found");
  assertStringIncludes(
    summary,
    "⚠ async (bench/async_sizing_bench.ts): exited with code 1",
  );
  assertEquals([...empty.files.keys()], ["summary.md"]);

  // A suite that exits non-zero with no failed bench is flagged too.
  const odd = generateReport({
    ...input([{
      suite: "pool",
      file: "p.ts",
      report: { version: 1, runtime: "Deno/2.9.6", cpu: "x", benches: [] },
      exitCode: 3,
    }]),
    machine: { ...machine, loadavg: [1.5, 1, 1] },
  });
  assert(odd.problems.includes("pool (p.ts): exited with code 3"));
  // A busy machine is called out.
  assertStringIncludes(
    odd.files.get("summary.md")!,
    "machine was busy when the run started (load average 1.50 on 2 cores)",
  );
});

Deno.test("lineChart escapes text and survives odd input", () => {
  const title = `a <b> & "c" 'd'`;
  const svg = assertSvg(lineChart({
    title,
    subtitle: "x\u0001y",
    xLabel: "size & <depth>",
    yLabel: "ops/s",
    series: [
      { name: "one", points: [{ x: 1, y: 5 }, { x: 3, y: NaN }] },
      { name: "two & three", points: [] },
    ],
  }));
  assertEquals(svg.children[0].text, title);
  const labels = texts(svg);
  assert(labels.includes(title));
  assert(labels.includes("xy"));
  assert(labels.includes("size & <depth>"));
  assert(labels.includes("two & three"));
  assert(labels.includes("no data"));
  // A single size, a flat zero curve: still well-formed.
  assertSvg(lineChart({
    title: "t",
    xLabel: "x",
    yLabel: "y",
    series: [{ name: "s", points: [{ x: 2, y: 0 }] }],
  }));
  assertEquals(escapeXml(`<&>"'`), "&lt;&amp;&gt;&quot;&apos;");
  assertEquals(
    [
      formatSi(0),
      formatSi(1234),
      formatSi(2.5e6),
      formatSi(0.125),
      formatSi(999),
    ],
    ["0", "1.23k", "2.5M", "0.13", "999"],
  );
});

Deno.test("sizing lines carry progress, notes and descriptions", () => {
  const progress = {
    type: "progress",
    index: 3,
    total: 12,
    label: "pool/cpu maxWorkers=4",
  } as const;
  assertEquals(parseSizingLine(sizingLine(progress)), progress);
  const note = { type: "note", text: "io_uring: ENOSYS" } as const;
  assertEquals(parseSizingLine(sizingLine(note)), note);
  assertEquals(parseSizingLine("Check file:///x.ts"), undefined);
  assertEquals(parseSizingLine("@@sizing {not json"), undefined);
  assertEquals(parseSizingLine('@@sizing {"type":"other"}'), undefined);
});

Deno.test("deno task sizing runs a suite and writes JSON, charts and summary", async () => {
  const out = await Deno.makeTempDir({ prefix: "sizing_test_" });
  try {
    // An earlier run's output is replaced; other files are left alone.
    await Deno.writeTextFile(`${out}/stale.svg`, "<svg/>");
    await Deno.writeTextFile(`${out}/keep.txt`, "mine");
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "bench/sizing.ts",
        "--quick",
        "--suite",
        "tiny=bench/fixtures/tiny_sizing.ts",
        "--out",
        out,
      ],
      cwd: new URL("../", import.meta.url),
      env: { NO_COLOR: "1" },
      stderr: "inherit",
    }).output();
    const text = new TextDecoder().decode(stdout);
    // The fixture has a failing case: reported, and the exit code says so.
    assertEquals(code, 1, text);
    for (
      const line of [
        "[1/1 tiny] 1/4 pool/cpu maxWorkers=1",
        "[1/1 tiny] 4/4 pool/tiny maxWorkers=1",
        "note: tiny fixture note",
        "4 cases, 1 failed",
        "⚠ pool/tiny `maxWorkers=1, 1 tasks` failed: RangeError: tiny fixture failure",
        `${out}/summary.md`,
      ]
    ) {
      assertStringIncludes(text, line);
    }
    const files = new Set<string>();
    for await (const entry of Deno.readDir(out)) files.add(entry.name);
    assertEquals(
      files,
      new Set([
        "keep.txt",
        "tiny.json",
        "tiny.stderr.txt",
        "pool-cpu.svg",
        "pool-tiny.svg",
        "summary.md",
        "sizing-run.json",
      ]),
    );
    const raw = JSON.parse(await Deno.readTextFile(`${out}/tiny.json`));
    assertEquals(raw.benches.length, 4);
    assertSvg(await Deno.readTextFile(`${out}/pool-cpu.svg`));
    const summary = await Deno.readTextFile(`${out}/summary.md`);
    assertMatch(
      summary,
      /\| `maxWorkers` \| \*\*(≥ )?\d+\*\* \| CPU-bound tasks \|/,
    );
    assertStringIncludes(summary, "Quick run");
    assertStringIncludes(summary, "tiny: tiny fixture note");
    assertStringIncludes(summary, "sleeps standing in for work");

    // --report-only redraws the same report from the recorded run.
    await Deno.remove(`${out}/summary.md`);
    await Deno.remove(`${out}/pool-cpu.svg`);
    const again = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "bench/sizing.ts", "--report-only", "--out", out],
      cwd: new URL("../", import.meta.url),
      env: { NO_COLOR: "1" },
      stderr: "inherit",
    }).output();
    assertEquals(again.code, 1);
    assertStringIncludes(
      new TextDecoder().decode(again.stdout),
      "Redrawn from the recorded run",
    );
    assertEquals(await Deno.readTextFile(`${out}/summary.md`), summary);
    assertSvg(await Deno.readTextFile(`${out}/pool-cpu.svg`));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("deno task sizing refuses unknown options", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "bench/sizing.ts", "--only", "nope"],
    cwd: new URL("../", import.meta.url),
    stdout: "null",
  }).output();
  assertEquals(code, 2);
  assertStringIncludes(
    new TextDecoder().decode(stderr),
    "--only: unknown suite nope",
  );
});

Deno.test("cpuModelOf reads /proc/cpuinfo on x86 and Arm", () => {
  assertEquals(
    cpuModelOf(
      "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n",
    ),
    "AMD EPYC 7B13",
  );
  assertEquals(
    cpuModelOf("processor : 0\nBogoMIPS : 108\n\nModel : Raspberry Pi 4\n"),
    "Raspberry Pi 4",
  );
  assertEquals(cpuModelOf("processor : 0\n"), undefined);
});

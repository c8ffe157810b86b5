// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * Checks (for .ci/run) that every `Deno.bench` group in bench/*_bench.ts has
 * exactly one baseline and that it is this module's case, not a peer's, so
 * the summaries read "peer is N× slower than us". A peer is an npm package
 * the bench file imports (`npm:NAME@...`): a baseline named after one fails.
 *
 *   deno run -A bench/_check_baselines.ts
 *
 * Each bench file is imported with `Deno.bench` recording the definitions
 * instead of running them (in quick mode, so setup is light).
 *
 * @module
 */

interface Definition {
  name: string;
  group?: string;
  baseline?: boolean;
}

/**
 * The npm packages a bench module imports by inline specifier, itself or
 * through the bench's own `./_*.ts` helpers (e.g. `_pool_cases.ts`).
 */
async function peersOf(url: URL): Promise<string[]> {
  const source = await Deno.readTextFile(url);
  const peers = [
    ...source.matchAll(/["']npm:(@?[^@"'\s/]+(?:\/[^@"'\s/]+)?)@/g),
  ].map((m) => m[1]);
  for (const [, helper] of source.matchAll(/from "(\.\/_[\w]+\.ts)"/g)) {
    peers.push(...await peersOf(new URL(helper, url)));
  }
  return [...new Set(peers)];
}

const recorded: Definition[] = [];
Object.defineProperty(Deno, "bench", {
  value: (definition: Definition) => {
    recorded.push(definition);
  },
});
Deno.env.set("SIZING_QUICK", "1");

const dir = new URL("./", import.meta.url);
const files = [...Deno.readDirSync(dir)]
  .map((entry) => entry.name)
  .filter((name) => name.endsWith("_bench.ts"))
  .sort();
const problems: string[] = [];
for (const file of files) {
  const url = new URL(file, dir);
  const peers = await peersOf(url);
  recorded.length = 0;
  try {
    await import(url.href);
  } catch (error) {
    problems.push(`${file}: cannot load: ${error}`);
    continue;
  }
  const groups = new Map<string, Definition[]>();
  for (const definition of recorded) {
    const group = definition.group ?? "(no group)";
    groups.set(group, [...(groups.get(group) ?? []), definition]);
  }
  for (const [group, definitions] of groups) {
    const baselines = definitions.filter((d) => d.baseline);
    if (baselines.length !== 1) {
      problems.push(
        `${file} group ${group}: ${baselines.length} baselines, want 1`,
      );
      continue;
    }
    const name = baselines[0].name;
    const peer = peers.find((p) => name.includes(p));
    if (peer !== undefined) {
      problems.push(
        `${file} group ${group}: the baseline "${name}" is the peer ${peer}`,
      );
    }
  }
  console.log(
    `${file}: ${groups.size} groups, ${recorded.length} benches` +
      (peers.length ? ` (peers: ${peers.join(", ")})` : ""),
  );
}
for (const problem of problems) console.error(`baseline: ${problem}`);
// The bench modules leave pools and workers open: end here.
Deno.exit(problems.length > 0 ? 1 : 0);

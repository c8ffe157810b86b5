// Copyright 2026 the @concurrent/futures authors. MIT license.
// The core needs no registry: everything the package's entry points load,
// and the scripts its workers start, is a file of this repository, imported
// by relative path. A `jsr:` or `npm:` specifier, a bare name resolved
// through deno.json, or a vendored @std module would break a user importing
// mod.ts by URL (they get no import map and may have no registry).

import { assert, assertEquals } from "@std/assert";

const ROOT = new URL("../", import.meta.url);
/** Entry points that may use a registry (pinned npm: clients). */
const MAY_USE_REGISTRY = new Set(["./distributed"]);

interface Dependency {
  specifier: string;
}
interface Module {
  specifier: string;
  dependencies?: Dependency[];
}

async function info(root: URL): Promise<Module[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", root.href],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  assertEquals(code, 0, text.decode(stderr));
  return JSON.parse(text.decode(stdout)).modules;
}

/**
 * Scripts a module starts by URL (`new URL("./x.ts", import.meta.url)` or
 * `import.meta.resolve("./x.ts")`), as a Worker or a subprocess does. Doc
 * examples match too; those name no file here and are skipped.
 */
function scriptsStartedBy(source: string, base: URL): URL[] {
  const pattern =
    /new\s+URL\(\s*["'`]([^"'`:]+\.[cm]?[jt]s)["'`]\s*,\s*import\.meta\.url\s*\)|import\.meta\.resolve\(\s*["'`]([^"'`:]+\.[cm]?[jt]s)["'`]\s*\)/g;
  return [...source.matchAll(pattern)]
    .map((m) => new URL(m[1] ?? m[2], base))
    .filter((url) => {
      try {
        return Deno.statSync(url).isFile;
      } catch {
        return false;
      }
    });
}

/** Every module the core loads, worker scripts included, and what it imports. */
async function coreGraph(): Promise<{ roots: string[]; modules: Module[] }> {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  );
  const exports: Record<string, string> = typeof config.exports === "string"
    ? { ".": config.exports }
    : config.exports;
  const queue = Object.entries(exports)
    .filter(([name]) => !MAY_USE_REGISTRY.has(name))
    .map(([, path]) => new URL(path, ROOT));
  const roots: string[] = [];
  const modules = new Map<string, Module>();
  while (queue.length > 0) {
    const root = queue.shift()!;
    if (roots.includes(root.href)) continue;
    roots.push(root.href);
    for (const module of await info(root)) {
      if (modules.has(module.specifier)) continue;
      modules.set(module.specifier, module);
      if (!module.specifier.startsWith(ROOT.href)) continue;
      const url = new URL(module.specifier);
      queue.push(...scriptsStartedBy(await Deno.readTextFile(url), url));
    }
  }
  return { roots, modules: [...modules.values()] };
}

Deno.test("the core's import graph, worker scripts included, needs no registry", async () => {
  const { roots, modules } = await coreGraph();
  // The scan must reach the pool's worker script, or it checks too little.
  assert(
    roots.includes(new URL("executors/_worker.ts", ROOT).href),
    `worker script not found from ${roots.join(", ")}`,
  );
  const vendor = new URL("vendor/", ROOT).href;
  const problems: string[] = [];
  for (const module of modules) {
    const where = module.specifier.replace(ROOT.href, "");
    if (module.specifier.startsWith("node:")) {
      // Built into Deno: needs no registry.
      continue;
    } else if (!module.specifier.startsWith(ROOT.href)) {
      problems.push(`loads ${module.specifier}`);
    } else if (module.specifier.startsWith(vendor)) {
      problems.push(`loads vendored ${where}`);
    }
    for (const { specifier } of module.dependencies ?? []) {
      if (!/^(\.{1,2}\/|node:)/.test(specifier)) {
        problems.push(`${where} imports "${specifier}"`);
      }
    }
  }
  assertEquals(problems, [], `the core needs more than its own files`);
});

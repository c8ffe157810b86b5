// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * After a run with a fresh DENO_DIR: fails if it fetched an npm package only
 * the benches need, so the tests fetch what the code under test needs and
 * never the benches' peers.
 *
 * The benches' peers are the `npm:` packages imported under bench/ and
 * nowhere else, with their dependencies (from the lock files) that nothing
 * else imported depends on.
 *
 *   deno run --allow-read .ci/fetched_npm.ts DENO_DIR
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);
const SKIP = new Set(["vendor", "node_modules", ".git", "results"]);

/**
 * The npm package names imported by the repository's modules, those under
 * bench/ and the others apart.
 */
async function imported(
  dir = ROOT,
  found = { bench: new Set<string>(), others: new Set<string>() },
): Promise<{ bench: Set<string>; others: Set<string> }> {
  for await (const entry of Deno.readDir(dir)) {
    if (SKIP.has(entry.name)) continue;
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) {
      await imported(url, found);
    } else if (/\.[cm]?[jt]sx?$/.test(entry.name)) {
      const names = url.href.startsWith(new URL("bench/", ROOT).href)
        ? found.bench
        : found.others;
      const source = await Deno.readTextFile(url);
      for (
        const m of source.matchAll(/["']npm:(@?[^@"'\s/]+(?:\/[^@"'\s/]+)?)/g)
      ) {
        names.add(m[1]);
      }
    }
  }
  return found;
}

/** Name -> names it depends on, from the lock files that exist. */
async function lockGraph(locks: URL[]): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  const nameOf = (spec: string) => spec.replace(/^(@?[^@]+)@.*$/, "$1");
  for (const lock of locks) {
    let npm: Record<
      string,
      { dependencies?: string[]; optionalDependencies?: string[] }
    >;
    try {
      ({ npm = {} } = JSON.parse(await Deno.readTextFile(lock)));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    for (const [key, entry] of Object.entries(npm)) {
      const deps = [
        ...(entry.dependencies ?? []),
        ...(entry.optionalDependencies ?? []),
      ].map(nameOf);
      const name = nameOf(key);
      graph.set(name, [...(graph.get(name) ?? []), ...deps]);
    }
  }
  return graph;
}

function closure(
  roots: Iterable<string>,
  graph: Map<string, string[]>,
): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...(graph.get(name) ?? []));
  }
  return seen;
}

/** Names of the npm packages in a Deno cache: npm/<host>/<name>/<version>/. */
async function fetched(denoDir: string): Promise<string[]> {
  const list = async (dir: string): Promise<string[]> => {
    try {
      return (await Array.fromAsync(Deno.readDir(dir)))
        .filter((e) => e.isDirectory).map((e) => e.name);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
  };
  const out: string[] = [];
  for (const registry of await list(`${denoDir}/npm`)) {
    const base = `${denoDir}/npm/${registry}`;
    for (const entry of await list(base)) {
      if (!entry.startsWith("@")) out.push(entry);
      else {out.push(...(await list(`${base}/${entry}`)).map((n) =>
          `${entry}/${n}`
        ));}
    }
  }
  return out.sort();
}

const [denoDir] = Deno.args;
if (!denoDir) {
  console.error("usage: fetched_npm.ts DENO_DIR");
  Deno.exit(2);
}
const { bench, others } = await imported();
const graph = await lockGraph([
  new URL("deno.lock", ROOT),
  new URL("bench/deno.lock", ROOT),
]);
const needed = closure(others, graph);
const peers = [...closure([...bench].filter((n) => !others.has(n)), graph)]
  .filter((name) => !needed.has(name));
const got = await fetched(denoDir);
const leaked = got.filter((name) => peers.includes(name));
const direct = peers.filter((name) => bench.has(name)).sort();
console.log(
  `benches' peers: ${
    direct.join(", ") || "none"
  } (with their dependencies, ${peers.length})`,
);
console.log(`npm packages fetched: ${got.join(", ") || "none"}`);
if (leaked.length > 0) {
  console.error(`fetched the benches' peers: ${leaked.join(", ")}`);
  Deno.exit(1);
}

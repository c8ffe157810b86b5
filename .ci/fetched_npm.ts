// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * After a run with a fresh DENO_DIR: fails if it fetched an npm package only
 * the benches need (in bench/deno.lock, not in the root lock), so the tests
 * fetch what the code under test needs and never the benches' peers.
 *
 *   deno run --allow-read .ci/fetched_npm.ts DENO_DIR ROOT_LOCK BENCH_LOCK
 *
 * @module
 */

/** `name@version` of the npm packages a lock file pins. */
async function pinned(lock: string): Promise<Set<string>> {
  const { npm = {} } = JSON.parse(await Deno.readTextFile(lock));
  // Keys may carry peer-dependency suffixes: "a@1.0.0_b@2.0.0".
  return new Set(Object.keys(npm).map((key) => key.split("_")[0]));
}

/** `name@version` of the npm packages in a Deno cache. */
async function fetched(denoDir: string): Promise<string[]> {
  const out: string[] = [];
  const list = async (dir: string): Promise<string[]> => {
    try {
      return (await Array.fromAsync(Deno.readDir(dir)))
        .filter((e) => e.isDirectory).map((e) => e.name);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
  };
  // npm/<registry host>/<name or @scope/name>/<version>/
  for (const registry of await list(`${denoDir}/npm`)) {
    const base = `${denoDir}/npm/${registry}`;
    for (const entry of await list(base)) {
      const names = entry.startsWith("@")
        ? (await list(`${base}/${entry}`)).map((n) => `${entry}/${n}`)
        : [entry];
      for (const name of names) {
        for (const version of await list(`${base}/${name}`)) {
          out.push(`${name}@${version}`);
        }
      }
    }
  }
  return out.sort();
}

const [denoDir, rootLock, benchLock] = Deno.args;
if (!denoDir || !rootLock || !benchLock) {
  console.error("usage: fetched_npm.ts DENO_DIR ROOT_LOCK BENCH_LOCK");
  Deno.exit(2);
}
const root = await pinned(rootLock);
const benchOnly = [...await pinned(benchLock)].filter((p) => !root.has(p));
const got = await fetched(denoDir);
const leaked = got.filter((p) => benchOnly.includes(p));
console.log(`npm packages fetched: ${got.length ? got.join(", ") : "none"}`);
if (leaked.length > 0) {
  console.error(`fetched the benches' peers: ${leaked.join(", ")}`);
  Deno.exit(1);
}

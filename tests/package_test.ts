// Copyright 2026 the @concurrent/futures authors. MIT license.
// What JSR scores a package on, for every entry point deno.json exports: a
// description, a module doc, and docs on every exported symbol. (`deno
// publish --dry-run` runs in `deno task check`.)

import { assert, assertEquals } from "@std/assert";

const ROOT = new URL("../", import.meta.url);

interface DocNode {
  module_doc?: { doc?: string };
  symbols: {
    name: string;
    declarations: { jsDoc?: { doc?: string } }[];
  }[];
}

async function config(): Promise<
  { description?: unknown; exports: string | Record<string, string> }
> {
  return JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
}

async function run(args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout) + text.decode(stderr) };
}

Deno.test("deno.json describes the package in at most 250 characters", async () => {
  const { description } = await config();
  assert(typeof description === "string", "no description");
  assert(description.length > 0 && description.length <= 250, description);
});

Deno.test("every entry point has a module doc and documents every export", async () => {
  const { exports } = await config();
  const entries = Object.values(
    typeof exports === "string" ? { ".": exports } : exports,
  ).map((path) => new URL(path, ROOT).href);
  const lint = await run(["doc", "--lint", ...entries]);
  assertEquals(lint.code, 0, lint.out);
  const problems: string[] = [];
  for (const entry of entries) {
    // One entry at a time: with several, a symbol two of them export is
    // documented under the first and only referenced from the others.
    const json = await run(["doc", "--json", entry]);
    const nodes: Record<string, DocNode> = JSON.parse(
      json.out.slice(json.out.indexOf("{"), json.out.lastIndexOf("}") + 1),
    ).nodes;
    const node = nodes[entry];
    const where = entry.replace(ROOT.href, "");
    if (!node) {
      problems.push(`${where}: no docs`);
      continue;
    }
    if (!node.module_doc?.doc?.trim()) problems.push(`${where}: no module doc`);
    for (const symbol of node.symbols) {
      if (!symbol.declarations.some((d) => d.jsDoc?.doc?.trim())) {
        problems.push(`${where}: ${symbol.name} has no doc`);
      }
    }
  }
  assertEquals(problems, []);
});

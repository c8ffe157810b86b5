// Copyright 2026 the @concurrent/futures authors. MIT license.
// Writes dashboard/_page.ts, the page's three files (dashboard/page/) as
// string constants, so that the dashboard serves them however the module is
// loaded (from a checkout, by URL, from JSR) without reading files:
//
//   deno run --allow-read --allow-write --allow-run dashboard/_page_build.ts
//
// tests/dashboard_page_test.ts checks that _page.ts is up to date.

const FILES = [
  ["INDEX_HTML", "index.html"],
  ["APP_JS", "app.js"],
  ["STYLE_CSS", "style.css"],
] as const;

/**
 * The source of dashboard/_page.ts for the page's files as they are now.
 *
 * @returns The module's text.
 */
export async function pageModule(): Promise<string> {
  let out =
    "// Copyright 2026 the @concurrent/futures authors. MIT license.\n" +
    "// Generated from dashboard/page/ by dashboard/_page_build.ts: edit those\n" +
    "// files, then run it.\n";
  for (const [name, file] of FILES) {
    const text = await Deno.readTextFile(
      new URL(`./page/${file}`, import.meta.url),
    );
    out +=
      `\n/** dashboard/page/${file} */\nexport const ${name}: string =\n  ${
        JSON.stringify(text)
      };\n`;
  }
  // As `deno fmt` writes it (it picks the quotes), so that fmt leaves it be.
  const fmt = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=ts", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = fmt.stdin.getWriter();
  await writer.write(new TextEncoder().encode(out));
  await writer.close();
  const { code, stdout, stderr } = await fmt.output();
  const decoder = new TextDecoder();
  if (code !== 0) throw new Error(`deno fmt: ${decoder.decode(stderr)}`);
  return decoder.decode(stdout);
}

if (import.meta.main) {
  await Deno.writeTextFile(
    new URL("./_page.ts", import.meta.url),
    await pageModule(),
  );
}

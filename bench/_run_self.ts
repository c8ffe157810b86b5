// Copyright 2026 the @concurrent/futures authors. MIT license.
// Runs a bench script again in a fresh process (its `--child` mode) and
// reads the one JSON line it prints: copies of the library compared in one
// process would share one heap, each paying for the other's garbage.

/**
 * Runs `deno run -A <script> ...args` and returns its stdout parsed as JSON.
 *
 * @throws {Error} The process failed (with its stderr).
 */
export async function runSelf(
  script: string,
  args: string[],
): Promise<unknown> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
  }).output();
  if (code !== 0) throw new Error(new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

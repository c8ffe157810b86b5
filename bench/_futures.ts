// Copyright 2026 the @concurrent/futures authors. MIT license.
// "@concurrent/futures" for the benches (bench/deno.json maps the name here).
// Mapping it straight to ../mod.ts would point the import map outside
// bench/, and Deno then warns on every run about the root config's "links".

export * from "../mod.ts";

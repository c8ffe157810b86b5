// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * Lint rules (deno.json "lint.plugins") for hand-written code where a std
 * package serves. The core (mod.ts and what it loads) imports no registry
 * package, so the rules cover tests/ and bench/ only; fixtures/ are left
 * alone, as they run inside workers or subprocesses without our import map.
 *
 * - `std/prefer-delay`: `new Promise((r) => setTimeout(r, ms))` is `delay(ms)`
 *   from `@std/async`.
 * - `std/prefer-to-file-url`: `` `file://${path}` `` is `toFileUrl(path)` from
 *   `@std/path` (which also percent-encodes).
 * - `std/prefer-parse-args`: a bench CLI reads `Deno.args` through
 *   `parseArgs` from `@std/cli`.
 *
 * @module
 */

/** Files the rules apply to (paths with forward slashes). */
function covered(filename: string): boolean {
  const path = filename.replaceAll("\\", "/");
  return /\/(tests|bench)\//.test(path) && !/\/fixtures\//.test(path);
}

const plugin: Deno.lint.Plugin = {
  name: "std",
  rules: {
    "prefer-delay": {
      create(context) {
        if (!covered(context.filename)) return {};
        return {
          'NewExpression[callee.name="Promise"]'(
            node: Deno.lint.NewExpression,
          ) {
            const executor = node.arguments[0];
            if (
              executor?.type !== "ArrowFunctionExpression" &&
              executor?.type !== "FunctionExpression"
            ) return;
            const [resolve] = executor.params;
            if (resolve?.type !== "Identifier") return;
            let call: Deno.lint.Node | undefined = executor.body;
            if (call.type === "BlockStatement" && call.body.length === 1) {
              const only = call.body[0];
              call = only.type === "ExpressionStatement"
                ? only.expression
                : undefined;
            }
            if (
              call?.type === "CallExpression" &&
              call.callee.type === "Identifier" &&
              call.callee.name === "setTimeout" &&
              call.arguments[0]?.type === "Identifier" &&
              call.arguments[0].name === resolve.name
            ) {
              context.report({
                node,
                message: "A promise around setTimeout",
                hint: 'Use delay(ms) from "@std/async".',
              });
            }
          },
        };
      },
    },
    "prefer-to-file-url": {
      create(context) {
        if (!covered(context.filename)) return {};
        return {
          TemplateLiteral(node: Deno.lint.TemplateLiteral) {
            if (node.quasis[0]?.raw.startsWith("file://")) {
              context.report({
                node,
                message: "A file URL built by hand (not percent-encoded)",
                hint: 'Use toFileUrl(path) from "@std/path".',
              });
            }
          },
        };
      },
    },
    "prefer-parse-args": {
      create(context) {
        const filename = context.filename.replaceAll("\\", "/");
        if (!covered(filename) || !filename.includes("/bench/")) return {};
        let parser = false;
        const reads: Deno.lint.Node[] = [];
        return {
          ImportDeclaration(node: Deno.lint.ImportDeclaration) {
            if (
              /^(jsr:)?@std\/cli(@[^/]*)?(\/parse-args)?$/.test(
                node.source.value,
              )
            ) {
              parser = true;
            }
          },
          'MemberExpression[object.name="Deno"][property.name="args"]'(
            node: Deno.lint.MemberExpression,
          ) {
            reads.push(node);
          },
          "Program:exit"() {
            if (parser) return;
            for (const node of reads) {
              context.report({
                node,
                message: "Command-line arguments parsed by hand",
                hint: 'Use parseArgs from "@std/cli/parse-args".',
              });
            }
          },
        };
      },
    },
  },
};

export default plugin;

// Copyright 2026 the @concurrent/futures authors. MIT license.
// Functions sent to a worker as source text: checked in the pool
// (`sourceOf`), compiled in the worker (`compileSource`).

/**
 * The source text of a function to send to a worker.
 *
 * @throws {TypeError} The function has no source to send: a native or bound
 * function (`toString()` gives "[native code]"), or a class.
 */
export function sourceOf(fn: (...args: never[]) => unknown): string {
  const source = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new TypeError(
      `Cannot send ${describe(fn.name)} to a worker: it is a native or bound ` +
        "function, which has no source text; wrap it in a self-contained " +
        "function, or use task() for a module export",
    );
  }
  if (/^class\b/.test(source)) {
    throw new TypeError(
      `Cannot send ${
        describe(fn.name)
      } to a worker: it is a class, not a function`,
    );
  }
  if (/^(?:static\s+)?(?:get|set)\s*(?:[\[#"'`]|[^\s(])/.test(source)) {
    throw new TypeError(
      `Cannot send ${describe(fn.name)} to a worker as source: it is a ` +
        "getter or setter, whose source text is not a function on its own; " +
        "wrap it in a self-contained function, or use task() for a module " +
        "export",
    );
  }
  // Compiled here once per function (the pool caches its id), so that a
  // source the worker could not compile fails at submit, not as a
  // SyntaxError from the worker.
  try {
    compileSource(source);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new TypeError(
        `Cannot send ${describe(fn.name)} to a worker as source: its ` +
          `source text does not compile on its own (${error.message}); ` +
          "wrap it in a self-contained function, or use task() for a " +
          "module export",
        { cause: error },
      );
    }
  }
  return source;
}

function describe(name: string): string {
  return name ? `function "${name}"` : "this function";
}

/**
 * The hint added to a `ReferenceError` thrown by a function that was sent as
 * source: the usual cause is a closure over a variable of the caller.
 */
export const CLOSURE_HINT =
  " (only self-contained functions can be sent to a worker: it runs there " +
  "from its source text, so it may use its arguments, globals and import(), " +
  "not variables of the scope it was written in; pass them as arguments, or " +
  "use task() with a module export)";

/**
 * Compiles a function's source text in the worker. Accepts what
 * `Function.prototype.toString` gives for a function: declarations and
 * expressions (`function`, `async function`, generators), arrow functions,
 * and method shorthand (`name(a) {}`, `async name() {}`, `*name() {}`,
 * `[computed]() {}`), which is not an expression on its own and is compiled
 * as the method of an object literal.
 *
 * @throws {SyntaxError} The source is none of these.
 */
export function compileSource(
  source: string,
): (...args: unknown[]) => unknown {
  let value: unknown;
  try {
    value = new Function(`"use strict";\nreturn (${source}\n);`)();
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    value = compileMethod(source, error);
  }
  if (typeof value !== "function") {
    throw new TypeError("The source text sent to the worker is not a function");
  }
  return value as (...args: unknown[]) => unknown;
}

function compileMethod(source: string, original: SyntaxError): unknown {
  let object: object;
  try {
    object = new Function(`"use strict";\nreturn ({ ${source}\n});`)();
  } catch {
    throw original;
  }
  const keys = Reflect.ownKeys(object);
  const descriptor = keys.length === 1
    ? Object.getOwnPropertyDescriptor(object, keys[0])
    : undefined;
  if (descriptor === undefined || !("value" in descriptor)) {
    // A getter or setter, or something that is not one method.
    throw original;
  }
  return descriptor.value;
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.

/**
 * Any function: every function type is assignable to it (parameters are
 * contravariant), without `any` in the public surface.
 *
 * @example Usage
 * ```ts
 * import type { AnyFunction } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const fns: AnyFunction[] = [(n: number) => n + 1, (s: string) => s.length];
 * assertEquals(fns.length, 2);
 * ```
 */
export type AnyFunction = (...args: never[]) => unknown;

/**
 * A reference to a function exported by a module, which a worker imports by
 * URL and export name (the way Python pickles a function by module and
 * name). Made with {@linkcode task} or {@linkcode tasks}.
 *
 * @typeParam F The type of the exported function.
 *
 * @example Usage
 * ```ts
 * import { Task, task } from "@concurrent/futures";
 * import { assert } from "@std/assert";
 *
 * const fib = task<(n: number) => number>("https://example.com/math.ts", "fib");
 * assert(fib instanceof Task);
 * ```
 */
export class Task<F extends AnyFunction = AnyFunction> {
  /** The absolute URL of the module. */
  readonly module: string;
  /** The name of the export. */
  readonly exportName: string;
  /** Carries the type `F` for type inference only; never set. */
  declare readonly __fn?: F;

  /**
   * Constructs a task reference; prefer {@linkcode task}.
   *
   * @param module The absolute module URL.
   * @param exportName The export's name.
   * @throws {TypeError} `module` is not absolute, or `exportName` is empty.
   */
  constructor(module: string | URL, exportName: string = "default") {
    this.module = absoluteModule(module);
    if (typeof exportName !== "string" || exportName === "") {
      throw new TypeError("'exportName' must be a non-empty string");
    }
    this.exportName = exportName;
    Object.freeze(this);
  }
}

/**
 * A callable an executor can run: a self-contained function, or a
 * {@linkcode Task} (a module export). A worker cannot receive a closure, so a
 * plain function sent to a worker travels as source text: it may use its
 * arguments, globals and dynamic `import()`, not variables of the enclosing
 * scope.
 *
 * @typeParam A The argument types.
 * @typeParam R The return type.
 *
 * @example Usage
 * ```ts
 * import { AsyncExecutor, type Callable } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const double: Callable<[number], number> = (n) => n * 2;
 * await using executor = new AsyncExecutor();
 * assertEquals(await executor.submit(double, 21), 42);
 * ```
 */
export type Callable<A extends unknown[], R> =
  | ((...args: A) => R)
  | Task<(...args: A) => R>;

/**
 * The tasks of a module's function exports, as returned by
 * {@linkcode tasks}.
 *
 * @typeParam M The module's type, `typeof import("./m.ts")`.
 *
 * @example Usage
 * ```ts
 * import { type Tasks, tasks } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * type MathModule = { square(n: number): number };
 * const math: Tasks<MathModule> = tasks<MathModule>("https://example.com/m.ts");
 * assertEquals(math.square.exportName, "square");
 * ```
 */
export type Tasks<M> = {
  readonly [K in keyof M as M[K] extends AnyFunction ? K : never]: M[K] extends
    AnyFunction ? Task<M[K]> : never;
};

/**
 * Makes a reference to a function exported by a module, for a worker to
 * import and run.
 *
 * @typeParam F The type of the exported function.
 * @param module The module's absolute URL: a `URL`, or a string such as
 * `import.meta.resolve("./m.ts")`.
 * @param exportName The export's name. Default `"default"`.
 * @returns The task reference.
 * @throws {TypeError} `module` is a relative path (a worker cannot know the
 * caller's location), or `exportName` is empty.
 *
 * @example Usage
 * ```ts
 * import { task } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const fib = task<(n: number) => number>(
 *   import.meta.resolve("./fib.ts"),
 *   "fib",
 * );
 * assertEquals(fib.exportName, "fib");
 * ```
 */
export function task<F extends AnyFunction>(
  module: string | URL,
  exportName: string = "default",
): Task<F> {
  return new Task<F>(module, exportName);
}

/**
 * Makes {@linkcode Task}s of every function export of a module, typed from
 * the module: `tasks<typeof import("./m.ts")>(url).fib` is a
 * `Task<typeof fib>`.
 *
 * @typeParam M The module's type, `typeof import("./m.ts")`.
 * @param module The module's absolute URL.
 * @returns An object whose properties are the tasks.
 * @throws {TypeError} `module` is not absolute.
 *
 * @example Usage
 * ```ts
 * import { tasks } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * type MathModule = { square(n: number): number };
 * const math = tasks<MathModule>(import.meta.resolve("./math.ts"));
 * assertEquals(math.square.exportName, "square");
 * ```
 */
export function tasks<M>(module: string | URL): Tasks<M> {
  const url = absoluteModule(module);
  const cache = new Map<string, Task>();
  return new Proxy({} as Tasks<M>, {
    get(_target, property) {
      if (typeof property !== "string" || property === "then") {
        return undefined;
      }
      let value = cache.get(property);
      if (value === undefined) {
        value = new Task(url, property);
        cache.set(property, value);
      }
      return value;
    },
  });
}

function absoluteModule(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== "string") {
    throw new TypeError("'module' must be a string or a URL");
  }
  try {
    return new URL(module).href;
  } catch {
    throw new TypeError(
      `Task module must be an absolute URL, got "${module}": a worker cannot ` +
        `know the caller's location; use import.meta.resolve("${module}")`,
    );
  }
}

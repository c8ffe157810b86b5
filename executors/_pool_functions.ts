// Copyright 2026 the @concurrent/futures authors. MIT license.
// What a pool knows of the functions it runs: an id per distinct source
// text or module export (sent to each worker once, then named by id), and
// how long each one takes per item, which decides how far ahead the pool
// sends work.

import { Task } from "./task.ts";
import type { FnDef } from "./_protocol.ts";
import { sourceOf } from "./_source.ts";

/** The functions a pool has been given, and their cost. */
export class PoolFunctions {
  readonly #ids = new WeakMap<object, number>();
  readonly #keys = new Map<string, number>();
  readonly #defs: FnDef[] = [];
  /** Moving average of each function's cost per item (ms). */
  readonly #costs: (number | undefined)[] = [];
  /** The definition of a function by id (for the workers). */
  readonly def = (id: number): FnDef => this.#defs[id];

  /**
   * The id of a callable, registering its definition the first time.
   *
   * @throws {TypeError} `fn` is not a function or a `Task`, or cannot be
   * sent as source (see `sourceOf`).
   */
  id(fn: unknown, what = "fn"): number {
    if (typeof fn === "function") {
      let id = this.#ids.get(fn);
      if (id === undefined) {
        const source = sourceOf(fn as (...args: never[]) => unknown);
        id = this.#register(`s:${source}`, (id) => [id, source]);
        this.#ids.set(fn, id);
      }
      return id;
    }
    if (fn instanceof Task) {
      let id = this.#ids.get(fn);
      if (id === undefined) {
        const { module, exportName } = fn;
        id = this.#register(
          `m:${module}#${exportName}`,
          (id) => [id, module, exportName],
        );
        this.#ids.set(fn, id);
      }
      return id;
    }
    throw new TypeError(`'${what}' must be a function or a Task`);
  }

  /** The estimated cost (ms) of `weight` items; Infinity while unknown. */
  cost(fnId: number, weight: number): number {
    const cost = this.#costs[fnId];
    return cost === undefined ? Infinity : cost * weight;
  }

  /** Learns from one run: `ms` per item. */
  learn(fnId: number, ms: number): void {
    const cost = this.#costs[fnId];
    this.#costs[fnId] = cost === undefined ? ms : cost * 0.75 + ms * 0.25;
  }

  #register(key: string, def: (id: number) => FnDef): number {
    let id = this.#keys.get(key);
    if (id === undefined) {
      id = this.#defs.length;
      this.#defs.push(def(id));
      this.#keys.set(key, id);
    }
    return id;
  }
}

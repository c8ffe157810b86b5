// Copyright 2026 the @concurrent/futures authors. MIT license.
// This module is browser compatible.

import { TRANSFER_KEY } from "./_protocol.ts";

const kTransfer = Symbol.for(TRANSFER_KEY);

/**
 * Marks a task's return value so that the objects in `list` move back to the
 * caller instead of being copied, as `run`'s `transfer` option does for
 * arguments (piscina's `move()`). Once moved, they are detached in the
 * worker. The mark is a registered symbol (`Symbol.for`), so a task module
 * may import `transfer` from any copy or URL of this module. On an
 * `AsyncExecutor` (nothing is copied there) the mark changes nothing.
 *
 * @typeParam T The value's type.
 * @param value The value the task returns (an object: the mark is a
 * property of it, which structured cloning leaves behind).
 * @param list The objects to move (`ArrayBuffer`s, `MessagePort`s, ...),
 * reachable from `value`.
 * @returns `value`, marked.
 * @throws {TypeError} `value` is not an object, or `list` not an array.
 *
 * @example Usage
 * ```ts
 * import { transfer, WorkerPoolExecutor } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * // In a task sent as source, `transfer` is not in scope: mark the value
 * // with the same registered symbol, or import transfer in a task module.
 * const bytes = await pool.submit(async () => {
 *   const { transfer } = await import("@concurrent/futures");
 *   const data = new Uint8Array(1 << 20).fill(7);
 *   return transfer(data, [data.buffer]);
 * });
 * assertEquals(bytes.length, 1 << 20);
 * assertEquals(transfer({ n: 1 }, []).n, 1);
 * ```
 */
export function transfer<T>(value: T, list: Transferable[]): T {
  if (
    (typeof value !== "object" && typeof value !== "function") ||
    value === null
  ) {
    throw new TypeError(
      "transfer() marks an object: the value to return must be one",
    );
  }
  if (!Array.isArray(list)) {
    throw new TypeError("'list' must be an array of transferable objects");
  }
  Object.defineProperty(value, kTransfer, {
    value: list,
    configurable: true,
    enumerable: false,
    writable: true,
  });
  return value;
}

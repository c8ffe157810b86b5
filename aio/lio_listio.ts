// Copyright 2026 the @concurrent/futures authors. MIT license.

import { wait } from "../executors/wait.ts";
import { type AioRequest, recordError, requests } from "./_request.ts";
import { queueRequest } from "./aio.ts";
import type { AioCb } from "./aio_cb.ts";
import { AioError } from "./aio_error.ts";

/**
 * Queues a list of requests at once, as `lio_listio`: each entry's `opcode`
 * says what it does (`"read"`, `"write"`, or `"nop"` to skip it); `null`
 * entries are skipped. An entry that cannot be queued (invalid, `EBADF`,
 * `EAGAIN`) records that error, so its {@linkcode aioError} tells it; the
 * others are queued all the same. An aiocb listed more than once is
 * `EINVAL` (one aiocb holds one request) and none of its entries is queued;
 * an aiocb whose request is still in progress is `EINVAL` too, and that
 * request keeps its status. The rejection's message names the entries that
 * failed.
 *
 * - `"wait"`: resolves once every request has ended — `wait(ALL_COMPLETED)`
 *   on their futures — and rejects with `AioError` `EIO` when any of them
 *   failed, was cancelled or could not be queued.
 * - `"nowait"`: resolves once the requests are queued (rejects with `EAGAIN`
 *   or `EIO` when some could not be), and calls `notify` exactly once, after
 *   the last queued request has ended (soon, when none was queued).
 *
 * @param mode `"wait"` or `"nowait"`.
 * @param list Control blocks, or `null`.
 * @param notify For `"nowait"`: called once all requests have ended.
 * @returns A promise as described above.
 * @throws {AioError} `EINVAL` for an unknown mode, a list that is not an
 * array or a `notify` that is not a function (then nothing is queued);
 * `EIO` or `EAGAIN` as described above.
 *
 * @example Usage
 * ```ts
 * import { aioOpen, aioReturn, lioListio } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * await using file = await aioOpen(path, { read: true, write: true });
 * const encoder = new TextEncoder();
 * const writes = ["ab", "cd"].map((text, i) => ({
 *   file, offset: 2 * i, buffer: encoder.encode(text), opcode: "write" as const,
 * }));
 * await lioListio("wait", writes);
 * assertEquals(writes.map((cb) => aioReturn(cb)), [2, 2]);
 * assertEquals(await Deno.readTextFile(path), "abcd");
 * await Deno.remove(path);
 * ```
 */
export async function lioListio(
  mode: "wait" | "nowait",
  list: readonly (AioCb | null)[],
  notify?: () => void,
): Promise<void> {
  if (mode !== "wait" && mode !== "nowait") {
    throw new AioError(
      "EINVAL",
      `'mode' must be "wait" or "nowait", got ${String(mode)}`,
    );
  }
  if (!Array.isArray(list)) {
    throw new AioError("EINVAL", "'list' must be an array");
  }
  if (
    mode === "nowait" && notify !== undefined && typeof notify !== "function"
  ) {
    throw new AioError("EINVAL", "'notify' must be a function");
  }
  const twice = listedTwice(list);
  const queued: AioRequest[] = [];
  // Where each queued request sits in the list, for the message.
  const entries: number[] = [];
  const failures: [entry: number, code: string][] = [];
  let again = false;
  for (let i = 0; i < list.length; i++) {
    const cb = list[i];
    if (cb === null || cb === undefined) continue;
    const opcode = typeof cb === "object" ? cb.opcode : undefined;
    if (opcode === "nop") continue;
    const error = twice?.has(cb)
      ? new AioError("EINVAL", "The aiocb is listed more than once")
      : opcode === "read" || opcode === "write"
      ? queueRequest(cb, opcode)
      : new AioError("EINVAL", `Unknown opcode: ${String(opcode)}`);
    if (error === undefined) {
      queued.push(requests.get(cb)!);
      entries.push(i);
    } else {
      recordError(cb, error);
      failures.push([i, error.code]);
      if (error.code === "EAGAIN") again = true;
    }
  }
  if (mode === "nowait") {
    if (notify !== undefined) notifyWhenAllEnd(queued, notify);
    if (failures.length > 0) {
      throw new AioError(
        again ? "EAGAIN" : "EIO",
        `${describe(failures)} could not be queued`,
      );
    }
    return;
  }
  await wait(queued);
  queued.forEach((request, k) => {
    if (request.status !== 0) failures.push([entries[k], request.status]);
  });
  if (failures.length > 0) {
    failures.sort((a, b) => a[0] - b[0]);
    throw new AioError("EIO", `${describe(failures)} failed`);
  }
}

/** The aiocbs that would be queued more than once, if any. */
function listedTwice(
  list: readonly (AioCb | null)[],
): Set<AioCb> | undefined {
  if (list.length < 2) return undefined;
  const seen = new Set<AioCb>();
  let twice: Set<AioCb> | undefined;
  for (const cb of list) {
    if (cb === null || typeof cb !== "object" || cb.opcode === "nop") continue;
    if (seen.has(cb)) (twice ??= new Set()).add(cb);
    else seen.add(cb);
  }
  return twice;
}

/** "2 requests (entry 0: EINVAL, entry 3: ECANCELED)", the first few. */
function describe(failures: [number, string][]): string {
  const shown = failures.slice(0, 8).map(([i, code]) => `entry ${i}: ${code}`);
  if (failures.length > shown.length) shown.push("...");
  const n = failures.length;
  return `${n} request${n === 1 ? "" : "s"} (${shown.join(", ")})`;
}

function notifyWhenAllEnd(queued: AioRequest[], notify: () => void): void {
  let left = queued.length;
  const call = () => {
    try {
      notify();
    } catch (error) {
      console.error("Exception in lioListio notify callback:", error);
    }
  };
  if (left === 0) {
    queueMicrotask(call);
    return;
  }
  for (const request of queued) {
    // After the last request's own notify, from a fresh stack.
    request.addDoneCallback(() => {
      if (--left === 0) queueMicrotask(call);
    });
  }
}

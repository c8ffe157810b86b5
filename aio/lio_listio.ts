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
 * others are queued all the same.
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
  const queued: AioRequest[] = [];
  let failed = 0;
  let again = false;
  for (const cb of list) {
    if (cb === null || cb === undefined) continue;
    const opcode = typeof cb === "object" ? cb.opcode : undefined;
    if (opcode === "nop") continue;
    const error = opcode === "read" || opcode === "write"
      ? queueRequest(cb, opcode)
      : new AioError("EINVAL", `Unknown opcode: ${String(opcode)}`);
    if (error === undefined) {
      queued.push(requests.get(cb)!);
    } else {
      recordError(cb, error);
      failed++;
      if (error.code === "EAGAIN") again = true;
    }
  }
  if (mode === "nowait") {
    if (notify !== undefined) notifyWhenAllEnd(queued, notify);
    if (failed > 0) {
      throw new AioError(
        again ? "EAGAIN" : "EIO",
        `${failed} of the requests could not be queued`,
      );
    }
    return;
  }
  await wait(queued);
  for (const request of queued) if (request.status !== 0) failed++;
  if (failed > 0) {
    throw new AioError("EIO", `${failed} of the requests failed`);
  }
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

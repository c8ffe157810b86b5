// Copyright 2026 the @concurrent/futures authors. MIT license.

import { FIRST_COMPLETED, wait } from "../executors/wait.ts";
import { type AioRequest, requests } from "./_request.ts";
import type { AioCb } from "./aio_cb.ts";
import { AioError } from "./aio_error.ts";

/**
 * Waits until at least one of the listed requests has ended, as
 * `aio_suspend`: `wait(FIRST_COMPLETED)` on the requests' futures. It
 * resolves at once when one has ended already, or when none is in progress
 * (`null` entries are skipped). A timeout cancels nothing.
 *
 * @param list Control blocks, or `null`.
 * @param timeout Milliseconds to wait at most; default forever.
 * @returns A promise that resolves when a request has ended.
 * @throws {AioError} `EAGAIN` when the timeout passed first; `EINVAL` for a
 * list that is not an array, an entry that is neither an aiocb nor `null`, or
 * a timeout that is not a number >= 0.
 *
 * @example Usage
 * ```ts
 * import { aioOpen, aioRead, aioReturn, aioSuspend } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "abc");
 * await using file = await aioOpen(path);
 * const cb = { file, offset: 0, buffer: new Uint8Array(3) };
 * aioRead(cb);
 * await aioSuspend([null, cb], 10_000);
 * assertEquals(aioReturn(cb), 3);
 * await Deno.remove(path);
 * ```
 */
export async function aioSuspend(
  list: readonly (AioCb | null)[],
  timeout?: number,
): Promise<void> {
  if (!Array.isArray(list)) {
    throw new AioError("EINVAL", "'list' must be an array");
  }
  if (
    timeout !== undefined &&
    (typeof timeout !== "number" || Number.isNaN(timeout) || timeout < 0)
  ) {
    throw new AioError(
      "EINVAL",
      `'timeout' must be a number >= 0, got ${String(timeout)}`,
    );
  }
  const pending: AioRequest[] = [];
  let ended = false;
  for (const cb of list) {
    if (cb === null || cb === undefined) continue;
    if (typeof cb !== "object") {
      throw new AioError("EINVAL", "Each entry must be an aiocb or null");
    }
    const request = requests.get(cb);
    // As in glibc: an entry that is not in progress ends the wait at once.
    if (request === undefined || request.done()) ended = true;
    else pending.push(request);
  }
  if (ended || pending.length === 0) return;
  const { done } = await wait(pending, {
    returnWhen: FIRST_COMPLETED,
    timeout: timeout === Infinity ? undefined : timeout,
  });
  if (done.size === 0) {
    throw new AioError(
      "EAGAIN",
      `No request ended within the ${timeout} ms timeout`,
    );
  }
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// The pieces every executor builds its task context and retries on.

import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { delay } from "@std/async";
import { CancelledError, currentTask } from "../mod.ts";
import { callInTask, RunContext } from "../executors/_task_scope.ts";
import { parseRetry, retryDelay } from "../executors/_retry.ts";
import {
  NO_RUN_OPTIONS,
  parseMapOptions,
  parseRunOptions,
  parseShutdownOptions,
} from "../executors/_run_options.ts";
import { kFirstAttempt } from "../executors/_internal.ts";

Deno.test("currentTask() is undefined outside a task", () => {
  assertEquals(currentTask(), undefined);
});

Deno.test("callInTask sets the context for sync code and restores it", () => {
  const outer = new RunContext(1);
  const inner = new RunContext(2);
  const seen = callInTask(outer, () => {
    const nested = callInTask(inner, () => currentTask(), []);
    return [nested, currentTask()];
  }, []);
  assertStrictEquals(seen[0], inner);
  assertStrictEquals(seen[1], outer);
  assertEquals(currentTask(), undefined);
});

Deno.test("callInTask keeps each async task's context across awaits", async () => {
  const contexts = [1, 2, 3].map((n) => new RunContext(n));
  const runs = contexts.map((context, i) =>
    callInTask(context, async (ms: number) => {
      await delay(ms);
      const after = currentTask();
      await Promise.resolve();
      return [after, currentTask()];
    }, [3 - i])
  );
  assertEquals(currentTask(), undefined);
  const seen = await Promise.all(runs);
  for (let i = 0; i < contexts.length; i++) {
    assertStrictEquals(seen[i][0], contexts[i]);
    assertStrictEquals(seen[i][1], contexts[i]);
  }
});

Deno.test("a second copy of the module sees the same current task", async () => {
  const copy = await import(
    new URL("../executors/task_context.ts?copy", import.meta.url).href
  ) as typeof import("../executors/task_context.ts");
  assert(copy.currentTask !== currentTask);
  const context = new RunContext(4);
  const seen = await callInTask(context, async () => {
    await Promise.resolve();
    return copy.currentTask();
  }, []);
  assertStrictEquals(seen, context);
});

Deno.test("RunContext makes its signal on demand and aborts it once", () => {
  const early = new RunContext(1);
  const reason = new CancelledError("stopped");
  early.abort(reason);
  early.abort(new Error("later"));
  assert(early.signal.aborted);
  assertStrictEquals(early.signal.reason, reason);

  const late = new RunContext(1);
  const signal = late.signal;
  assertEquals(signal.aborted, false);
  late.abort();
  assert(signal.aborted);
  assert(signal.reason instanceof CancelledError);
});

Deno.test("RunContext reports progress until it ends or aborts", () => {
  const values: unknown[] = [];
  const context = new RunContext(1, (value) => values.push(value));
  context.progress(1);
  context.end();
  context.progress(2);
  assertEquals(values, [1]);
  const silent = new RunContext(1);
  silent.progress("nowhere"); // no report function: nothing happens
});

Deno.test("parseRetry fills defaults and rejects bad values", () => {
  assertEquals(parseRetry(undefined), undefined);
  assertEquals(parseRetry({ attempts: 1 }), undefined);
  assertEquals(parseRetry({ attempts: 3 }), {
    attempts: 3,
    delay: 100,
    backoff: "exponential",
    maxDelay: 30_000,
    jitter: true,
  });
  assertThrows(() => parseRetry(3), TypeError);
  assertThrows(() => parseRetry({}), TypeError);
  assertThrows(() => parseRetry({ attempts: 0 }), RangeError);
  assertThrows(() => parseRetry({ attempts: 1.5 }), RangeError);
  assertThrows(() => parseRetry({ attempts: "2" }), TypeError);
  assertThrows(() => parseRetry({ attempts: 2, delay: -1 }), RangeError);
  assertThrows(() => parseRetry({ attempts: 2, delay: Infinity }), RangeError);
  assertThrows(() => parseRetry({ attempts: 2, maxDelay: NaN }), RangeError);
  assertThrows(() => parseRetry({ attempts: 2, backoff: "linear" }), TypeError);
  assertThrows(() => parseRetry({ attempts: 2, jitter: 1 }), TypeError);
});

Deno.test("retryDelay: exponential, fixed, capped, jittered", () => {
  const exp = parseRetry({ attempts: 9, delay: 10, jitter: false })!;
  assertEquals([1, 2, 3, 4].map((n) => retryDelay(exp, n)), [10, 20, 40, 80]);
  const fixed = parseRetry({
    attempts: 9,
    delay: 10,
    backoff: "fixed",
    jitter: false,
  })!;
  assertEquals([1, 5].map((n) => retryDelay(fixed, n)), [10, 10]);
  const capped = parseRetry({
    attempts: 9,
    delay: 10,
    maxDelay: 25,
    jitter: false,
  })!;
  assertEquals(retryDelay(capped, 3), 25);
  const jittered = parseRetry({ attempts: 9, delay: 10 })!;
  assertEquals(retryDelay(jittered, 2, () => 0), 10);
  assertAlmostEquals(retryDelay(jittered, 2, () => 0.999999), 20, 1e-3);
  for (let i = 0; i < 100; i++) {
    const ms = retryDelay(jittered, 1);
    assert(ms >= 5 && ms <= 10, `${ms}`);
  }
});

Deno.test("parseRunOptions checks every run option", () => {
  assertStrictEquals(parseRunOptions(undefined), NO_RUN_OPTIONS);
  const onProgress = () => {};
  const parsed = parseRunOptions({
    priority: -1,
    delay: 5,
    onProgress,
    timeout: Infinity,
    transfer: [],
    retry: { attempts: 2 },
  });
  assertEquals(parsed.priority, -1);
  assertEquals(parsed.delay, 5);
  assertStrictEquals(parsed.onProgress, onProgress);
  assertEquals(parsed.timeout, undefined);
  assertEquals(parsed.transfer, undefined);
  assertEquals(parsed.retry?.attempts, 2);
  assertEquals(parsed.firstAttempt, 1);
  assertEquals(parseRunOptions({ delay: 0 }).delay, undefined);
  assertEquals(
    parseRunOptions({ [kFirstAttempt]: 3 } as never).firstAttempt,
    3,
  );
  assertThrows(() => parseRunOptions(1 as never), TypeError);
  assertThrows(() => parseRunOptions({ delay: -1 }), RangeError);
  assertThrows(() => parseRunOptions({ delay: Infinity }), RangeError);
  assertThrows(() => parseRunOptions({ delay: "1" as never }), TypeError);
  assertThrows(() => parseRunOptions({ onProgress: 1 as never }), TypeError);
  assertThrows(() => parseRunOptions({ priority: NaN }), RangeError);
  assertThrows(() => parseRunOptions({ transfer: 1 as never }), TypeError);
  assertThrows(() => parseRunOptions({ signal: {} as never }), TypeError);
  assertThrows(() => parseRunOptions({ retry: { attempts: 0 } }), RangeError);
});

Deno.test("parseMapOptions and parseShutdownOptions", () => {
  assertEquals(parseMapOptions(undefined), {
    timeout: undefined,
    signal: undefined,
    chunksize: 1,
    buffersize: undefined,
    ordered: true,
    retry: undefined,
  });
  assertEquals(parseMapOptions({ retry: { attempts: 2 } }).retry?.attempts, 2);
  assertThrows(() => parseMapOptions({ chunksize: 0 }), RangeError);
  assertThrows(() => parseMapOptions({ ordered: 1 as never }), TypeError);
  assertEquals(parseShutdownOptions(undefined), {
    wait: true,
    cancelFutures: false,
  });
  assertThrows(() => parseShutdownOptions({ wait: 1 as never }), TypeError);
  assertThrows(
    () => parseShutdownOptions({ cancelFutures: "yes" as never }),
    TypeError,
  );
});

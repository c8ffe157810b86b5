// Copyright 2026 the @concurrent/futures authors. MIT license.

import {
  assert,
  assertEquals,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { type Callable, Task, task, tasks } from "../mod.ts";
import type * as CoreMath from "./fixtures/core_math.ts";

const fixture = import.meta.resolve("./fixtures/core_math.ts");

Deno.test("task() accepts an absolute URL string and a URL", () => {
  const byString = task<(n: number) => number>(fixture, "square");
  assertEquals(byString.module, fixture);
  assertEquals(byString.exportName, "square");
  assert(byString instanceof Task);

  const byUrl = task(new URL(fixture), "square");
  assertEquals(byUrl.module, fixture);

  const remote = task("https://example.com/m.ts");
  assertEquals(remote.module, "https://example.com/m.ts");
});

Deno.test("task() defaults to the default export", () => {
  assertEquals(task(fixture).exportName, "default");
});

Deno.test("task() rejects a relative path with a hint", () => {
  for (const relative of ["./m.ts", "../m.ts", "m.ts", "/abs/m.ts"]) {
    const error = assertThrows(() => task(relative), TypeError);
    assert(error.message.includes("absolute"), error.message);
    assert(error.message.includes("import.meta.resolve"), error.message);
    assert(error.message.includes(relative), error.message);
  }
});

Deno.test("task() rejects a module or export name of the wrong type", () => {
  // deno-lint-ignore no-explicit-any
  assertThrows(() => task(42 as any), TypeError);
  assertThrows(() => task(fixture, ""), TypeError);
  // deno-lint-ignore no-explicit-any
  assertThrows(() => task(fixture, 1 as any), TypeError);
});

Deno.test("a Task is frozen", () => {
  const t = task(fixture, "square");
  assert(Object.isFrozen(t));
  assertThrows(() => {
    (t as { exportName: string }).exportName = "other";
  }, TypeError);
});

Deno.test("a Task survives structuredClone as data", () => {
  const clone = structuredClone(task(fixture, "square"));
  assertEquals(clone.module, fixture);
  assertEquals(clone.exportName, "square");
});

Deno.test("tasks() gives a Task per export, typed from the module", () => {
  const math = tasks<typeof CoreMath>(fixture);
  const square: Task<(n: number) => number> = math.square;
  assertEquals(square.module, fixture);
  assertEquals(square.exportName, "square");
  assertEquals(math.addLater.exportName, "addLater");
  assertEquals(math.default.exportName, "default");
  assertStrictEquals(math.square, math.square, "cached");
  // A Task is a Callable of the export's signature.
  const callable: Callable<[number, number], Promise<number>> = math.addLater;
  assert(callable instanceof Task);
  // @ts-expect-error `answer` is not a function, so it is not a task
  assertEquals(typeof math.answer, "object");
  // @ts-expect-error wrong argument types for the export
  const wrong: Callable<[string], number> = math.square;
  assert(wrong);
});

Deno.test("tasks() is not a thenable (safe to return from async code)", async () => {
  const math = tasks<typeof CoreMath>(fixture);
  assertStrictEquals((math as Record<string, unknown>).then, undefined);
  const resolved = await Promise.resolve(math);
  assertStrictEquals(resolved, math);
});

Deno.test("tasks() rejects a relative path", () => {
  assertThrows(() => tasks("./fixtures/core_math.ts"), TypeError, "absolute");
});

Deno.test("the tasks from tasks() name exports that exist", async () => {
  const math = tasks<typeof CoreMath>(fixture);
  const module = await import(math.square.module);
  assertEquals(module[math.square.exportName](3), 9);
});

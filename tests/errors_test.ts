// Copyright 2026 the @concurrent/futures authors. MIT license.

import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import {
  BrokenExecutorError,
  CancelledError,
  ExecutorShutdownError,
  InvalidStateError,
  TimeoutError,
  WorkerCrashedError,
} from "../mod.ts";

const classes = [
  CancelledError,
  TimeoutError,
  InvalidStateError,
  BrokenExecutorError,
  ExecutorShutdownError,
  WorkerCrashedError,
];

for (const ErrorClass of classes) {
  Deno.test(`${ErrorClass.name} is an Error named after its class`, () => {
    const error = new ErrorClass();
    assertInstanceOf(error, Error);
    assertInstanceOf(error, ErrorClass);
    assertEquals(error.name, ErrorClass.name);
    assert(error.message.length > 0, "has a default message");
    assert(error.stack?.includes(ErrorClass.name), "stack names the class");
    assertEquals(Object.prototype.toString.call(error), "[object Error]");
  });

  Deno.test(`${ErrorClass.name} keeps a message and a cause`, () => {
    const cause = new Error("root");
    const error = new ErrorClass("custom message", { cause });
    assertEquals(error.message, "custom message");
    assertEquals(error.cause, cause);
    assertEquals(String(error), `${ErrorClass.name}: custom message`);
  });
}

Deno.test("the error classes are distinct", () => {
  for (const A of classes) {
    for (const B of classes) {
      if (A !== B) assert(!(new A() instanceof B), `${A.name} is a ${B.name}`);
    }
  }
});

Deno.test("a TimeoutError is not the DOMException TimeoutError", () => {
  const error = new TimeoutError();
  assert(!(error instanceof DOMException));
});

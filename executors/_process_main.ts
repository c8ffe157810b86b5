// Copyright 2026 the @concurrent/futures authors. MIT license.
// The entry module of a ProcessPoolExecutor child process: the same worker
// runtime as a Web Worker's (_worker.ts), fed frames from stdin. The child
// ends when stdin closes (its pool retired it, or the parent died).
//
// Processes share no memory: tasks are claimed through a file shared with
// the pool (_process_claims.ts). Without one (the pool could not create
// it), the slots the runtime checks are local and marked SENT as tasks
// arrive: the pool then never sends a child a task it might want back.

import { claims, exit } from "./_process_scope.ts";
import { setClaim } from "./_worker.ts";
import { FrameReader } from "./_frames.ts";
import {
  type HostMessage,
  MSG_INIT,
  MSG_RUN,
  SHARED_LENGTH,
  SLOT_SENT,
  TASK_STRIDE,
} from "./_protocol.ts";

const shared = claims;
if (shared !== undefined) setClaim((slot) => shared.claim(slot));

// The child's own slot states and abort flags (see _protocol.ts).
const slots = new Int32Array(new SharedArrayBuffer(SHARED_LENGTH * 4));
const frames = new FrameReader();
const buffer = new Uint8Array(1 << 16);

function deliver(message: HostMessage): void {
  if (message.t === MSG_INIT) {
    message.slots = slots.buffer as SharedArrayBuffer;
  } else if (message.t === MSG_RUN) {
    const tasks = message.tasks;
    for (let i = 0; i < tasks.length; i += TASK_STRIDE) {
      const slot = tasks[i] as number;
      if (claims !== undefined) claims.sent(slot);
      else Atomics.store(slots, slot, SLOT_SENT);
    }
  }
  globalThis.dispatchEvent(new MessageEvent("message", { data: message }));
}

let code = 0;
try {
  while (true) {
    const n = await Deno.stdin.read(buffer);
    if (n === null) break;
    for (const message of frames.push(buffer.subarray(0, n))) {
      deliver(message as HostMessage);
    }
  }
} catch (error) {
  // stdin is the pool's alone: an unreadable frame means it is lost.
  console.error("ProcessPoolExecutor child:", error);
  code = 70;
}
exit(code);

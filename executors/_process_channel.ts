// Copyright 2026 the @concurrent/futures authors. MIT license.
// The host side of one ProcessPoolExecutor child: a `deno run` of
// _process_main.ts with the pool's permission flags, frames over its
// stdin/stdout, its stderr passed through to ours (the tail kept to say why
// it died).

import type {
  ChannelEvents,
  ChannelFactory,
  SpawnOptions,
  WorkerChannel,
} from "./_channel.ts";
import { encodeFrame, FrameReader } from "./_frames.ts";
import {
  type HostMessage,
  MSG_CLOSING,
  MSG_INIT,
  MSG_READY,
  MSG_RUN,
  TASK_STRIDE,
  type WorkerMessage,
} from "./_protocol.ts";
import { unrefTimer } from "./_pool_unref.ts";
import { Claims, CLAIMS_SIZE } from "./_process_claims.ts";
import { grantPath } from "./_process_flags.ts";

const MAIN_URL = new URL("./_process_main.ts", import.meta.url);
/** How long a stopped child may take to exit before SIGKILL. */
const KILL_GRACE_MS = 200;
/** How much of a child's stderr is kept to explain its death. */
const STDERR_TAIL = 4096;

/** How the children of one pool are started. */
export interface ProcessConfig {
  /** `deno run` flags: permissions, V8 heap limit. */
  flags: string[];
  /** The heap limit in MiB, if any (to name it when it is exceeded). */
  maxMemory: number | undefined;
}

/** A channel factory that starts each worker as a child process. */
export function processChannel(config: ProcessConfig): ChannelFactory {
  return (options, events) => new ProcessChannel(options, events, config);
}

/**
 * Whether `setpriv --pdeathsig` can be used: the kernel then kills a child
 * whose parent died even while it is busy (an idle child ends by itself
 * when its stdin closes; a busy one does not read it).
 */
let pdeathsig: boolean | undefined = Deno.build.os === "linux"
  ? undefined
  : false;

function spawn(args: string[]): Deno.ChildProcess {
  const io = { stdin: "piped", stdout: "piped", stderr: "piped" } as const;
  if (pdeathsig !== false) {
    try {
      const child = new Deno.Command("setpriv", {
        args: ["--pdeathsig", "KILL", "--", Deno.execPath(), ...args],
        ...io,
      }).spawn();
      pdeathsig = true;
      return child;
    } catch (error) {
      if (pdeathsig === true) throw error;
      pdeathsig = false;
    }
  }
  return new Deno.Command(Deno.execPath(), { args, ...io }).spawn();
}

/**
 * Creates a claims file for one child, or returns undefined when this
 * process may not (no write access to the temp directory): the pool then
 * sends that child nothing it might want back.
 */
function createClaims(): { path: string; claims: Claims } | undefined {
  let path: string | undefined;
  try {
    path = Deno.makeTempFileSync({ prefix: "concurrent-futures-claims-" });
    const file = Deno.openSync(path, { read: true, write: true });
    file.truncateSync(CLAIMS_SIZE);
    return { path, claims: new Claims(file) };
  } catch {
    if (path !== undefined) removeQuietly(path);
    return undefined;
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Gone already, or no longer ours to remove.
  }
}

class ProcessChannel implements WorkerChannel {
  readonly sharedSlots = false;
  readonly revoke?: (slot: number) => boolean;
  readonly closed: Promise<void>;
  readonly #claims: Claims | undefined;
  #claimsPath: string | undefined;
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #config: ProcessConfig;
  #dead = false;
  #ref = true;
  #killTimer: ReturnType<typeof setTimeout> | undefined;
  /** How the runtime said it was closing itself, if it did. */
  #closing: "close" | "exit" | undefined;
  #stderr = "";

  constructor(
    options: SpawnOptions,
    events: ChannelEvents,
    config: ProcessConfig,
  ) {
    this.#config = config;
    const flags = [...config.flags];
    if (MAIN_URL.protocol === "http:" || MAIN_URL.protocol === "https:") {
      // The child must load its runtime from where this module came from.
      grantPath(flags, "import", MAIN_URL.host);
    }
    const args = [MAIN_URL.href, options.name];
    const shared = createClaims();
    if (shared !== undefined) {
      const { path, claims } = shared;
      // Granted for the pool's sake only: the child gives them up at once.
      const granted = (["read", "write"] as const).filter((name) =>
        grantPath(flags, name, path)
      );
      args.push(path, granted.join(","));
      this.#claims = claims;
      this.#claimsPath = path;
      this.revoke = (slot) => claims.revoke(slot);
    }
    try {
      this.#child = spawn(["run", ...flags, ...args]);
    } catch (error) {
      shared?.claims.close();
      if (shared !== undefined) removeQuietly(shared.path);
      throw error;
    }
    this.#writer = this.#child.stdin.getWriter();
    const status = this.#child.status;
    this.closed = Promise.all([
      this.#readFrames(events),
      this.#readStderr(),
      status,
    ]).then(([, , status]) => {
      if (this.#killTimer !== undefined) clearTimeout(this.#killTimer);
      if (!this.#dead) {
        this.#dead = true;
        this.#writer.close().catch(() => {});
        // The pool asks the claims which tasks the child had started.
        events.onError(this.#exitCause(status));
      }
      if (shared !== undefined) {
        shared.claims.close();
        this.#unlinkClaims();
      }
    }, () => {});
  }

  post(message: HostMessage, _transfer: Transferable[]): void {
    // Moved objects were detached at the call (see `run`); here they are
    // copied into the frame like every other value.
    if (message.t === MSG_INIT) {
      // The slots are the child's own (processes share no memory).
      message = {
        ...message,
        slots: undefined as unknown as SharedArrayBuffer,
      };
    }
    const frame = encodeFrame(message);
    if (this.#dead) return;
    if (message.t === MSG_RUN && this.#claims !== undefined) {
      const tasks = message.tasks;
      for (let i = 0; i < tasks.length; i += TASK_STRIDE) {
        this.#claims.sent(tasks[i] as number);
      }
    }
    // A child that died fails the write; its exit is reported instead.
    this.#writer.write(frame).catch(() => {});
  }

  setRef(ref: boolean): void {
    if (this.#ref === ref || this.#dead) return;
    this.#ref = ref;
    if (ref) this.#child.ref();
    else this.#child.unref();
  }

  terminate(): void {
    if (this.#dead) return;
    this.#dead = true;
    // Closing stdin ends an idle child; SIGTERM stops a busy one (unless a
    // task handles it: SIGKILL follows after a grace period).
    this.#writer.close().catch(() => {});
    try {
      this.#child.kill("SIGTERM");
    } catch {
      return; // already gone
    }
    this.#killTimer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // It exited meanwhile.
      }
    }, KILL_GRACE_MS);
    unrefTimer(this.#killTimer);
    // Held until it has exited (at most the grace period), so that
    // `shutdown()` can wait for it; an unref'd wait would end the program
    // with the promise pending.
    this.#child.ref();
  }

  async #readFrames(events: ChannelEvents): Promise<void> {
    const frames = new FrameReader();
    const reader = this.#child.stdout.getReader();
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        let messages: unknown[];
        try {
          messages = frames.push(value);
        } catch (error) {
          if (!this.#dead) {
            this.terminate();
            events.onError(
              new Error("A message from the child process could not be read", {
                cause: error,
              }),
            );
          }
          break;
        }
        for (const message of messages as WorkerMessage[]) {
          if (this.#dead) break;
          // Reported with the exit status, which says more.
          if (message.t === MSG_CLOSING) this.#closing = message.how;
          else {
            // The child has opened the claims file: unlinked now, it cannot
            // outlive the two processes that hold it open.
            if (message.t === MSG_READY) this.#unlinkClaims();
            events.onMessage(message);
          }
        }
      }
    } catch {
      // The pipe broke: the exit status tells why.
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  #unlinkClaims(): void {
    if (this.#claimsPath === undefined) return;
    removeQuietly(this.#claimsPath);
    this.#claimsPath = undefined;
  }

  async #readStderr(): Promise<void> {
    const decoder = new TextDecoder();
    const reader = this.#child.stderr.getReader();
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        // A task's console output (and Deno's own messages) pass through.
        await writeAll(Deno.stderr, value);
        this.#stderr = (this.#stderr + decoder.decode(value, { stream: true }))
          .slice(-STDERR_TAIL);
      }
    } catch {
      // The pipe broke: nothing more to pass on.
    }
  }

  #exitCause(status: Deno.CommandStatus): Error {
    const { code, signal } = status;
    const maxMemory = this.#config.maxMemory;
    if (/out of memory|heap limit/i.test(this.#stderr)) {
      return new Error(
        maxMemory === undefined
          ? "The child process ran out of memory (V8's heap limit)"
          : `The child process exceeded maxMemory (${maxMemory} MiB of JavaScript heap)`,
      );
    }
    if (this.#closing !== undefined) {
      return new Error(
        `The child process exited with code ${code} (${
          this.#closing === "exit" ? "Deno.exit()" : "self.close()"
        })`,
      );
    }
    const how = signal !== null
      ? `was killed by ${signal}`
      : `exited with code ${code}`;
    const last = this.#stderr.trim().split("\n").slice(-3).join("\n");
    return new Error(
      `The child process ${how}${last === "" ? "" : `: ${last}`}`,
    );
  }
}

async function writeAll(
  file: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    offset += await file.write(bytes.subarray(offset));
  }
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// Real Redis servers and worker processes for the distributed tests, the
// cluster demo and the bench: each on a free loopback port with its own temp
// directory, every process stopped by `stop()` (and killed if it lingers).

import { delay } from "@std/async/delay";

/** A `redis-server` of its own. */
export interface RedisServer extends AsyncDisposable {
  port: number;
  url: string;
  dir: string;
  /** Kills it (SIGKILL by default) and waits for it to exit. */
  kill(signal?: Deno.Signal): Promise<void>;
  /** Starts it again on the same port and directory (after `kill`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A free loopback TCP port. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Starts `redis-server` on a free loopback port, in a temp directory, with
 * AOF (`appendfsync always` when `durable`, so a SIGKILL loses nothing).
 */
export async function startRedis(
  options: { durable?: boolean } = {},
): Promise<RedisServer> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "cf_redis_" });
  let child: Deno.ChildProcess | undefined;
  const spawn = async () => {
    child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        options.durable ? "yes" : "no",
        "--appendfsync",
        "always",
        "--protected-mode",
        "no",
        "--loglevel",
        "warning",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Ready once it accepts connections.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        conn.close();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await delay(20);
      }
    }
  };
  await spawn();
  const kill = async (signal: Deno.Signal = "SIGKILL") => {
    const c = child;
    child = undefined;
    if (c === undefined) return;
    try {
      c.kill(signal);
    } catch {
      // Already gone.
    }
    await c.status;
  };
  const stop = async () => {
    await kill("SIGKILL");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    kill,
    restart: spawn,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** A worker process run through the `distributed/worker.ts` command. */
export interface WorkerProcess extends AsyncDisposable {
  child: Deno.ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Whether it has exited. */
  exited(): boolean;
  /** Resolves with the exit status. */
  status: Promise<Deno.CommandStatus>;
  kill(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

const WORKER = new URL("../distributed/worker.ts", import.meta.url);

/**
 * Starts the worker command and resolves once it printed `ready`; killed
 * with SIGKILL after `maxLife` ms so that nothing hangs.
 */
export async function startWorker(
  args: string[],
  options: { maxLife?: number; flags?: string[] } = {},
): Promise<WorkerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(options.flags ?? ["--allow-net", "--allow-env", "--allow-read"]),
      WORKER.href,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  const { promise: ready, resolve, reject } = Promise.withResolvers<void>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (/ready/.test(text)) resolve();
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const killer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, options.maxLife ?? 120_000);
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    clearTimeout(killer);
    await pumps;
    reject(new Error(`worker exited before ready: ${text}`));
    return s;
  });
  const kill = async (signal: Deno.Signal = "SIGKILL") => {
    try {
      child.kill(signal);
    } catch { /* gone */ }
    return await status;
  };
  try {
    await ready;
  } catch (error) {
    await status;
    throw error;
  }
  return {
    child,
    output: () => text,
    exited: () => exited,
    status,
    kill,
    [Symbol.asyncDispose]: async () => {
      await kill("SIGKILL");
    },
  };
}

/**
 * Polls `check` every 20 ms until it holds; throws after `ms`.
 *
 * @param check The condition.
 * @param ms How long to wait at most.
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await delay(20);
  }
}

/**
 * The non-empty lines of a file, or none while it does not exist.
 *
 * @param path The file.
 */
export async function lines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((l) => l);
  } catch {
    return [];
  }
}

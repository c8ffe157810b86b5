// Copyright 2026 the @concurrent/futures authors. MIT license.
// A small driver for headless Chromium over its DevTools protocol (CDP), on
// Deno's own WebSocket: enough for the dashboard's tests to load a page,
// watch its network requests and read its DOM. Every browser it starts is
// closed (and, if need be, killed) by `close()`; its profile is removed.

import { delay } from "@std/async";

/** A CDP event: its method and params, and the session it came from. */
export interface CdpEvent {
  method: string;
  // deno-lint-ignore no-explicit-any
  params: any;
  sessionId?: string;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  method: string;
}

/** Where Chromium is: $CHROMIUM, else `chromium` on the PATH. */
export function chromiumPath(): string {
  return Deno.env.get("CHROMIUM") ?? "chromium";
}

/** A headless Chromium process and its DevTools connection. */
export class Browser {
  #child: Deno.ChildProcess;
  #profile: string;
  #socket: WebSocket;
  #socketClosed: Promise<void>;
  #stderr: Promise<void>;
  #stderrReader: ReadableStreamDefaultReader<Uint8Array>;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #listeners = new Set<(event: CdpEvent) => void>();
  #closed?: Promise<void>;

  private constructor(
    child: Deno.ChildProcess,
    profile: string,
    socket: WebSocket,
    stderr: Promise<void>,
    stderrReader: ReadableStreamDefaultReader<Uint8Array>,
  ) {
    this.#child = child;
    this.#profile = profile;
    this.#socket = socket;
    this.#stderr = stderr;
    this.#stderrReader = stderrReader;
    this.#socketClosed = new Promise((resolve) => {
      socket.addEventListener("close", () => resolve());
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data as string);
      if (typeof message.id === "number") {
        const pending = this.#pending.get(message.id);
        if (pending === undefined) return;
        this.#pending.delete(message.id);
        if (message.error) {
          pending.reject(
            new Error(`${pending.method}: ${message.error.message}`),
          );
        } else pending.resolve(message.result);
      } else {
        for (const listener of this.#listeners) listener(message);
      }
    });
    socket.addEventListener("close", () => {
      for (const pending of this.#pending.values()) {
        pending.reject(new Error(`${pending.method}: the browser went away`));
      }
      this.#pending.clear();
    });
  }

  /**
   * Starts headless Chromium with a fresh profile and connects to it.
   *
   * @returns The browser; `close()` it.
   */
  static async launch(): Promise<Browser> {
    const profile = await Deno.makeTempDir({ prefix: "cdp_profile_" });
    const child = new Deno.Command(chromiumPath(), {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-dev-shm-usage",
        "--mute-audio",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // The DevTools address is on stderr; the rest of stderr is drained so the
    // pipe never fills, and kept for an error message.
    let log = "";
    const { promise: address, resolve, reject } = Promise.withResolvers<
      string
    >();
    const reader = child.stderr.getReader();
    const stderr = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) break;
        log += decoder.decode(chunk, { stream: true });
        if (log.length > 64_000) log = log.slice(-32_000);
        const match = log.match(/DevTools listening on (ws:\/\/\S+)/);
        if (match) resolve(match[1]);
      }
      reject(new Error(`chromium exited before listening:\n${log}`));
    })();
    const timer = setTimeout(
      () => reject(new Error(`chromium did not start in 60 s:\n${log}`)),
      60_000,
    );
    let socket: WebSocket;
    try {
      const url = await address;
      socket = new WebSocket(url);
      await new Promise<void>((resolve, reject) => {
        socket.onopen = () => resolve();
        socket.onerror = (event) =>
          reject(new Error(`DevTools: ${(event as ErrorEvent).message}`));
      });
      socket.onopen = socket.onerror = null;
    } catch (error) {
      clearTimeout(timer);
      try {
        child.kill("SIGKILL");
      } catch { /* gone already */ }
      await child.status;
      await reader.cancel().catch(() => {});
      await stderr.catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return new Browser(
      child,
      profile,
      socket,
      stderr.catch(() => {}),
      reader,
    );
  }

  /**
   * Sends a CDP command.
   *
   * @param method The command, e.g. `"Page.navigate"`.
   * @param params Its parameters.
   * @param sessionId The target session, if any.
   * @returns Its result.
   */
  send<T = Record<string, unknown>>(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<T> {
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.#pending.set(id, {
      resolve: resolve as (value: unknown) => void,
      reject,
      method,
    });
    this.#socket.send(JSON.stringify({ id, method, params, sessionId }));
    return promise;
  }

  /**
   * Calls `listener` with every event until the returned function is called.
   *
   * @param listener Called with each event.
   * @returns Stops listening.
   */
  listen(listener: (event: CdpEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Opens a new tab.
   *
   * @returns The page, attached.
   */
  async newPage(): Promise<Page> {
    const { targetId } = await this.send<{ targetId: string }>(
      "Target.createTarget",
      { url: "about:blank" },
    );
    const { sessionId } = await this.send<{ sessionId: string }>(
      "Target.attachToTarget",
      { targetId, flatten: true },
    );
    return new Page(this, sessionId);
  }

  /**
   * Closes the browser (kills it if it does not go), waits for it to exit,
   * and removes its profile.
   *
   * @returns A promise that resolves once it is all gone.
   */
  close(): Promise<void> {
    return this.#closed ??= (async () => {
      const exited = this.#child.status;
      await Promise.race([
        this.send("Browser.close").catch(() => {}),
        new Promise((resolve) => {
          const timer = setTimeout(resolve, 5_000);
          exited.finally(() => clearTimeout(timer));
        }),
      ]);
      const kill = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch { /* gone already */ }
      }, 5_000);
      await exited;
      clearTimeout(kill);
      if (this.#socket.readyState !== WebSocket.CLOSED) {
        this.#socket.close();
      }
      await this.#socketClosed;
      // Chromium's helper processes share its stderr; one that lingers must
      // not hold this up.
      const drained = setTimeout(
        () => this.#stderrReader.cancel().catch(() => {}),
        5_000,
      );
      await this.#stderr;
      clearTimeout(drained);
      await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
    })();
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** One tab of a {@linkcode Browser}. */
export class Page {
  #browser: Browser;
  /** The CDP session of this tab. */
  readonly sessionId: string;

  /**
   * @param browser Its browser.
   * @param sessionId Its session.
   */
  constructor(browser: Browser, sessionId: string) {
    this.#browser = browser;
    this.sessionId = sessionId;
  }

  /**
   * Sends a command to this tab.
   *
   * @param method The command.
   * @param params Its parameters.
   * @returns Its result.
   */
  send<T = Record<string, unknown>>(
    method: string,
    params: Record<string, unknown> = {},
  ): Promise<T> {
    return this.#browser.send<T>(method, params, this.sessionId);
  }

  /**
   * Calls `listener` with this tab's events.
   *
   * @param listener Called with each event.
   * @returns Stops listening.
   */
  listen(listener: (event: CdpEvent) => void): () => void {
    return this.#browser.listen((event) => {
      if (event.sessionId === this.sessionId) listener(event);
    });
  }

  /**
   * Loads `url` and waits for its `load` event.
   *
   * @param url The address.
   * @returns The HTTP status of the document.
   */
  async goto(url: string): Promise<number> {
    await this.send("Page.enable");
    await this.send("Network.enable");
    let status = 0;
    const { promise: loaded, resolve } = Promise.withResolvers<void>();
    const stop = this.listen((event) => {
      if (event.method === "Page.loadEventFired") resolve();
      if (
        event.method === "Network.responseReceived" &&
        event.params.type === "Document"
      ) status = event.params.response.status;
    });
    try {
      const result = await this.send<{ errorText?: string }>(
        "Page.navigate",
        { url },
      );
      if (result.errorText) throw new Error(`${url}: ${result.errorText}`);
      await loaded;
    } finally {
      stop();
    }
    return status;
  }

  /**
   * Evaluates `expression` in the page and returns its value (awaited).
   *
   * @param expression JavaScript.
   * @returns Its value, as JSON.
   */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const { result, exceptionDetails } = await this.send<{
      result: { value?: T; unserializableValue?: string };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    }>("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (exceptionDetails) {
      throw new Error(
        exceptionDetails.exception?.description ?? exceptionDetails.text,
      );
    }
    // NaN, Infinity, -0 and bigints do not travel as JSON.
    const special = result.unserializableValue;
    if (special !== undefined) {
      return (special.endsWith("n")
        ? BigInt(special.slice(0, -1))
        : Number(special)) as T;
    }
    return result.value as T;
  }

  /**
   * Evaluates `expression` until it is truthy.
   *
   * @param expression JavaScript.
   * @param what What it waits for, for the error message.
   * @param limit Milliseconds before giving up (only keeps a broken test
   * from hanging).
   * @returns The truthy value.
   */
  async waitFor<T = unknown>(
    expression: string,
    what: string,
    limit = 30_000,
  ): Promise<T> {
    const deadline = Date.now() + limit;
    while (true) {
      const value = await this.evaluate<T>(expression);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}`);
      await delay(50);
    }
  }
}

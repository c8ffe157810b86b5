// Copyright 2026 the @concurrent/futures authors. MIT license.
// The dashboard's HTTP server: the page (three files), and its live feed as
// server-sent events. Statistics are read on a timer that runs only while a
// page is connected (and never keeps the program alive); worker events are
// heard as they happen. Everything is read-only: GET and HEAD, nothing else.

import { isLoopback, proof } from "./_auth.ts";
import { APP_JS, INDEX_HTML, STYLE_CSS } from "./_page.ts";
import { type Sample, type Source, Watch } from "./_watch.ts";
import type { Dashboard } from "./serve_dashboard.ts";

/** Milliseconds between two samples while a page is open. */
export const INTERVAL = 1_000;
/** A page that stops reading is dropped once this much waits for it. */
const BACKLOG = 1 << 20;

/** Options of {@linkcode serveSources}, already validated. */
export interface ServeOptions {
  port: number;
  hostname: string;
  token?: string;
  signal?: AbortSignal;
}

const COMMON: Record<string, string> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
};
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
  "connect-src 'self'; img-src 'self' data:; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'";
const FILES: Record<string, { type: string; body: string }> = {
  "/": { type: "text/html; charset=utf-8", body: INDEX_HTML },
  "/app.js": { type: "text/javascript; charset=utf-8", body: APP_JS },
  "/style.css": { type: "text/css; charset=utf-8", body: STYLE_CSS },
};

function respond(
  body: BodyInit | null,
  status: number,
  headers: Record<string, string> = {},
): Response {
  return new Response(body, { status, headers: { ...COMMON, ...headers } });
}

/** One connected page. */
interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
}

const encoder = new TextEncoder();

function frame(event: string, data: unknown): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * Serves the dashboard of `sources`.
 *
 * @param sources What it shows.
 * @param options Where it listens, its token and signal.
 * @returns The running dashboard.
 */
export function serveSources(
  sources: Source[],
  options: ServeOptions,
): Dashboard {
  const watches = sources.map((source) => new Watch(source));
  const clients = new Set<Client>();
  const started = Date.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  let ticking = false;
  let closing: Promise<void> | undefined;

  const drop = (client: Client): void => {
    if (!clients.delete(client)) return;
    try {
      client.controller.close();
    } catch { /* already closed or errored */ }
    if (clients.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const send = (client: Client, bytes: Uint8Array): void => {
    const { controller } = client;
    if ((controller.desiredSize ?? 0) < -BACKLOG) return drop(client);
    try {
      controller.enqueue(bytes);
    } catch {
      drop(client);
    }
  };

  const tick = async (): Promise<void> => {
    // A slow source (a queue's Redis) never piles up reads.
    if (ticking || clients.size === 0) return;
    ticking = true;
    try {
      const samples: Sample[] = await Promise.all(
        watches.map((watch) => watch.sample()),
      );
      const executors = watches.map((watch, i) => {
        const events = watch.fresh;
        watch.fresh = [];
        return { name: watch.source.name, sample: samples[i], events };
      });
      const bytes = frame("sample", { now: Date.now(), executors });
      for (const client of clients) send(client, bytes);
    } finally {
      ticking = false;
    }
  };

  const hello = (): Uint8Array =>
    frame("hello", {
      now: Date.now(),
      started,
      interval: INTERVAL,
      executors: watches.map((watch) => ({
        name: watch.source.name,
        kind: watch.source.kind,
        workerEvents: watch.source.events !== undefined,
        history: watch.history,
        events: watch.events,
      })),
    });

  const events = (): Response => {
    let client: Client;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        client = { controller };
        clients.add(client);
        controller.enqueue(encoder.encode(`retry: ${INTERVAL}\n\n`));
        controller.enqueue(hello());
        if (timer === undefined) {
          timer = setInterval(tick, INTERVAL);
          Deno.unrefTimer(timer);
          queueMicrotask(tick);
        }
      },
      cancel() {
        drop(client);
      },
    }, { highWaterMark: BACKLOG * 2, size: (chunk) => chunk.byteLength });
    return respond(body, 200, {
      "content-type": "text/event-stream; charset=utf-8",
      "x-accel-buffering": "no",
    });
  };

  const cookieName = `cf_dashboard_${crypto.randomUUID().slice(0, 8)}`;
  const { token, hostname } = options;

  const handler = (request: Request): Response => {
    const url = new URL(request.url);
    if (token === undefined) {
      // Only a loopback name reaches a loopback-only dashboard: a page on
      // another site that rebinds its name to 127.0.0.1 gets nothing.
      const host = url.hostname;
      if (!isLoopback(host) && host !== hostname) {
        return respond("421 Misdirected Request\n", 421, {
          "content-type": "text/plain; charset=utf-8",
        });
      }
    }
    const how = token === undefined
      ? "open"
      : proof(request, url, token, cookieName);
    if (how === undefined) {
      return respond(
        "401 Unauthorized: open the dashboard's URL with its ?token=\n",
        401,
        {
          "content-type": "text/plain; charset=utf-8",
          "www-authenticate": 'Bearer realm="dashboard"',
        },
      );
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return respond(
        "405 Method Not Allowed: the dashboard only reads\n",
        405,
        {
          "allow": "GET, HEAD",
          "content-type": "text/plain; charset=utf-8",
        },
      );
    }
    if (how === "query" && url.pathname === "/" && token !== undefined) {
      // The token moves to a cookie and out of the address bar.
      return respond(null, 303, {
        "location": "/",
        "set-cookie": `${cookieName}=${
          encodeURIComponent(token)
        }; Path=/; HttpOnly; SameSite=Strict`,
      });
    }
    if (url.pathname === "/events") {
      if (closing !== undefined) return respond(null, 503);
      if (request.method === "HEAD") {
        return respond(null, 200, {
          "content-type": "text/event-stream; charset=utf-8",
        });
      }
      return events();
    }
    const file = FILES[url.pathname];
    if (file === undefined) {
      return respond("404 Not Found\n", 404, {
        "content-type": "text/plain; charset=utf-8",
      });
    }
    const headers: Record<string, string> = { "content-type": file.type };
    if (url.pathname === "/") headers["content-security-policy"] = CSP;
    return respond(request.method === "HEAD" ? null : file.body, 200, headers);
  };

  const server = Deno.serve({
    port: options.port,
    hostname,
    onListen: () => {},
  }, handler);

  const address = server.addr as Deno.NetAddr;
  const shown = hostname.includes(":") ? `[${hostname}]` : hostname;
  const url = new URL(`http://${shown}:${address.port}/`);
  if (token !== undefined) url.searchParams.set("token", token);

  const signal = options.signal;
  const close = (): Promise<void> =>
    closing ??= (async () => {
      signal?.removeEventListener("abort", onAbort);
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      for (const client of [...clients]) drop(client);
      for (const watch of watches) watch.close();
      await server.shutdown();
      await Promise.all(watches.map((watch) => watch.source.close?.()));
    })();
  const onAbort = (): void => void close();
  if (signal?.aborted) void close();
  else signal?.addEventListener("abort", onAbort, { once: true });

  return {
    url,
    close,
    [Symbol.asyncDispose]: close,
  };
}

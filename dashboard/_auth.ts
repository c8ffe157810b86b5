// Copyright 2026 the @concurrent/futures authors. MIT license.
// Who may see the dashboard: anyone on this machine when it binds a loopback
// address (and the request names a loopback host, against DNS rebinding);
// with a token, only requests carrying it (`?token=`, then a cookie, or an
// `Authorization: Bearer` header).

/** Whether `hostname` is a loopback address or name. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  if (/^::ffff:127\.\d+\.\d+\.\d+$/.test(host)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Compares two strings in time that depends on their lengths only. */
export function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ (y[i % y.length] ?? 0);
  return diff === 0;
}

/** The value of cookie `name` in `request`, if it has one. */
export function cookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (header === null) return undefined;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index === -1) continue;
    if (part.slice(0, index).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(index + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** How a request proved it may see the dashboard, if it did. */
export type Proof = "query" | "cookie" | "header";

/**
 * Checks `request` against `token`.
 *
 * @returns How it carried the token, or `undefined` when it did not.
 */
export function proof(
  request: Request,
  url: URL,
  token: string,
  cookieName: string,
): Proof | undefined {
  const query = url.searchParams.get("token");
  if (query !== null && sameSecret(query, token)) return "query";
  const jar = cookie(request, cookieName);
  if (jar !== undefined && sameSecret(jar, token)) return "cookie";
  const header = request.headers.get("authorization");
  const match = header?.match(/^Bearer\s+(.+)$/i);
  if (match && sameSecret(match[1].trim(), token)) return "header";
  return undefined;
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// A file URL to a POSIX path, as @std/path's posix `fromFileUrl` does it. The
// one caller is the Linux-only io_uring backend, and the core imports no
// registry package: a user importing mod.ts by URL has no import map to
// resolve one (tests/import_graph_test.ts keeps it so).

/**
 * Converts a `file:` URL to a POSIX path.
 *
 * @param url The file URL.
 * @returns The path, percent-decoded.
 * @throws {TypeError} If `url` is not a `file:` URL.
 */
export function fromFileUrl(url: URL | string): string {
  url = url instanceof URL ? url : new URL(url);
  if (url.protocol !== "file:") {
    throw new TypeError(`URL must be a file URL: received "${url.protocol}"`);
  }
  // A lone "%" stays itself instead of making decodeURIComponent throw.
  return decodeURIComponent(
    url.pathname.replace(/%(?![0-9A-Fa-f]{2})/g, "%25"),
  );
}

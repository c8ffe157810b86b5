// Copyright 2026 the @concurrent/futures authors. MIT license.
// The core's own fromFileUrl (the io_uring backend's, kept free of
// registry imports) agrees with @std/path's on POSIX.

import { assertEquals, assertThrows } from "@std/assert";
import { fromFileUrl as stdFromFileUrl } from "@std/path/posix/from-file-url";
import { fromFileUrl } from "../aio/_file_url.ts";

Deno.test("fromFileUrl matches @std/path on POSIX paths", () => {
  for (
    const url of [
      "file:///home/foo",
      "file:///home/foo%20bar/baz.txt",
      "file:///tmp/%E2%82%AC/100%",
      "file:///tmp/a%2Fb",
      "file:///",
      "file://localhost/etc/hosts",
    ]
  ) {
    assertEquals(fromFileUrl(url), stdFromFileUrl(url), url);
    assertEquals(fromFileUrl(new URL(url)), stdFromFileUrl(new URL(url)), url);
  }
});

Deno.test("fromFileUrl rejects URLs that are not file URLs", () => {
  assertThrows(
    () => fromFileUrl("https://example.com/a.txt"),
    TypeError,
    'URL must be a file URL: received "https:"',
  );
});

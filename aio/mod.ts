// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * POSIX AIO for Deno: `aioRead`, `aioWrite`, `aioFsync`, `aioSuspend`,
 * `lioListio`, ... on Deno's async file APIs, or on io_uring.
 *
 * @module
 */

export {};

// Copyright 2026 the @concurrent/futures authors. MIT license.
// The C constants of <aio.h> as the strings the functions take and return.

/**
 * `aio_lio_opcode` for a read in {@linkcode lioListio}.
 *
 * @example Usage
 * ```ts
 * import { LIO_READ } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(LIO_READ, "read");
 * ```
 */
export const LIO_READ = "read";
/**
 * `aio_lio_opcode` for a write in {@linkcode lioListio}.
 *
 * @example Usage
 * ```ts
 * import { LIO_WRITE } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(LIO_WRITE, "write");
 * ```
 */
export const LIO_WRITE = "write";
/**
 * `aio_lio_opcode` for an entry that {@linkcode lioListio} skips.
 *
 * @example Usage
 * ```ts
 * import { LIO_NOP } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(LIO_NOP, "nop");
 * ```
 */
export const LIO_NOP = "nop";
/**
 * {@linkcode lioListio} mode: settle once every request has ended.
 *
 * @example Usage
 * ```ts
 * import { LIO_WAIT } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(LIO_WAIT, "wait");
 * ```
 */
export const LIO_WAIT = "wait";
/**
 * {@linkcode lioListio} mode: settle once the requests are queued.
 *
 * @example Usage
 * ```ts
 * import { LIO_NOWAIT } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(LIO_NOWAIT, "nowait");
 * ```
 */
export const LIO_NOWAIT = "nowait";
/**
 * {@linkcode aioCancel}: the requests were cancelled.
 *
 * @example Usage
 * ```ts
 * import { AIO_CANCELED } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(AIO_CANCELED, "AIO_CANCELED");
 * ```
 */
export const AIO_CANCELED = "AIO_CANCELED";
/**
 * {@linkcode aioCancel}: at least one request was in flight and goes on.
 *
 * @example Usage
 * ```ts
 * import { AIO_NOTCANCELED } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(AIO_NOTCANCELED, "AIO_NOTCANCELED");
 * ```
 */
export const AIO_NOTCANCELED = "AIO_NOTCANCELED";
/**
 * {@linkcode aioCancel}: nothing was left to cancel.
 *
 * @example Usage
 * ```ts
 * import { AIO_ALLDONE } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(AIO_ALLDONE, "AIO_ALLDONE");
 * ```
 */
export const AIO_ALLDONE = "AIO_ALLDONE";
/**
 * {@linkcode aioError} of a request that has not ended yet.
 *
 * @example Usage
 * ```ts
 * import { EINPROGRESS } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(EINPROGRESS, "EINPROGRESS");
 * ```
 */
export const EINPROGRESS = "EINPROGRESS";
/**
 * {@linkcode aioError} of a request that was cancelled.
 *
 * @example Usage
 * ```ts
 * import { ECANCELED } from "@concurrent/futures";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(ECANCELED, "ECANCELED");
 * ```
 */
export const ECANCELED = "ECANCELED";

// Copyright 2026 the @concurrent/futures authors. MIT license.
// The dlopen of libc that the io_uring and linux-aio backends drive the kernel
// through: system call numbers, constants, struct layouts and errno names.
// Nothing here holds state beyond the opened library; the io_uring ring is in
// _uring.ts, the kernel AIO context in _linux_aio.ts.
//
// `syscall(2)` is variadic; it is bound several times under different
// signatures (Deno's `name` field), which is sound on x86-64 and arm64, where
// variadic integer and pointer arguments travel in the same registers as fixed
// ones and the kernel's syscall wrappers truncate each argument to its type.
// The system call number itself is a `long`, hence `i64`.

/** `io_uring_setup(2)`, `io_uring_enter(2)`, `io_uring_register(2)`: the
 * same numbers on x86-64 and arm64 (the unified syscall table, Linux 5.1+). */
export const SYS_IO_URING_SETUP = 425n;
/** See {@linkcode SYS_IO_URING_SETUP}. */
export const SYS_IO_URING_ENTER = 426n;
/** See {@linkcode SYS_IO_URING_SETUP}. */
export const SYS_IO_URING_REGISTER = 427n;

const X86_64 = Deno.build.arch === "x86_64";

/** Kernel AIO system calls (`io_setup(2)` ...): x86-64 has its own numbers,
 * arm64 those of the unified (asm-generic) table. */
export const SYS_IO_SETUP = X86_64 ? 206n : 0n;
/** See {@linkcode SYS_IO_SETUP}. */
export const SYS_IO_DESTROY = X86_64 ? 207n : 1n;
/** See {@linkcode SYS_IO_SETUP}. */
export const SYS_IO_SUBMIT = X86_64 ? 209n : 2n;
/** See {@linkcode SYS_IO_SETUP}. */
export const SYS_IO_CANCEL = X86_64 ? 210n : 3n;
/** See {@linkcode SYS_IO_SETUP}. */
export const SYS_IO_GETEVENTS = X86_64 ? 208n : 4n;
/** `statx(2)`, called through `syscall` (older C libraries lack the wrapper). */
export const SYS_STATX = X86_64 ? 332n : 291n;

// Kernel AIO (include/uapi/linux/aio_abi.h).
export const IOCB_CMD_PREAD = 0;
export const IOCB_CMD_PWRITE = 1;
export const IOCB_CMD_FSYNC = 2;
export const IOCB_CMD_FDSYNC = 3;
export const IOCB_CMD_POLL = 5;
export const IOCB_FLAG_RESFD = 1;
/** `struct iocb`: 64 bytes, addressed in 32-bit words (little-endian). */
export const IOCB = {
  size: 64,
  words: 16,
  // words 0-1: aio_data; word 2: aio_key (0); word 3: aio_rw_flags;
  // word 4: aio_lio_opcode (u16) | aio_reqprio (s16) << 16; word 5: fildes;
  // words 6-7: aio_buf; 8-9: aio_nbytes; 10-11: aio_offset; 12-13: 0;
  // word 14: aio_flags; word 15: aio_resfd.
} as const;
/** `struct io_event`: 32 bytes: data, obj (u64), res, res2 (s64). */
export const IO_EVENT = { size: 32, words: 8 } as const;
/** `struct aio_ring`'s header: 32 bytes before the events; its magic. */
export const AIO_RING = {
  header: 32,
  nr: 1,
  head: 2,
  tail: 3,
  magic: 4,
  incompat: 6,
  MAGIC: 0xa10a10a1,
} as const;

export const POLLIN = 1;
export const POLLOUT = 4;
export const EFD_CLOEXEC = 0o2000000;
export const EFD_NONBLOCK = 0o4000;
export const F_GETFL = 3;
export const F_SETFL = 4;

// statx(2): the fields used here, at their byte offsets in struct statx.
export const AT_EMPTY_PATH = 0x1000;
export const STATX_TYPE = 0x1;
export const STATX_DIOALIGN = 0x2000;
export const STATX = {
  size: 256,
  mask: 0,
  mode: 28,
  dioMemAlign: 152,
  dioOffsetAlign: 156,
} as const;
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;

// io_uring opcodes (include/uapi/linux/io_uring.h).
export const IORING_OP_NOP = 0;
export const IORING_OP_FSYNC = 3;
export const IORING_OP_ASYNC_CANCEL = 14;
export const IORING_OP_OPENAT = 18;
export const IORING_OP_CLOSE = 19;
export const IORING_OP_READ = 22;
export const IORING_OP_WRITE = 23;
/** Every opcode the backend uses; the probe checks that the kernel has them. */
export const REQUIRED_OPS: Readonly<Record<string, number>> = {
  NOP: IORING_OP_NOP,
  FSYNC: IORING_OP_FSYNC,
  ASYNC_CANCEL: IORING_OP_ASYNC_CANCEL,
  OPENAT: IORING_OP_OPENAT,
  CLOSE: IORING_OP_CLOSE,
  READ: IORING_OP_READ,
  WRITE: IORING_OP_WRITE,
};

export const IORING_FSYNC_DATASYNC = 1;
export const IORING_ENTER_GETEVENTS = 1;
export const IORING_FEAT_SINGLE_MMAP = 1;
export const IORING_REGISTER_PROBE = 8;
export const IO_URING_OP_SUPPORTED = 1;
export const IORING_OFF_SQ_RING = 0;
export const IORING_OFF_SQES = 0x10000000;

/** `struct io_uring_params`: 120 bytes; the offsets of the fields we use. */
export const PARAMS = {
  size: 120,
  sqEntries: 0,
  cqEntries: 4,
  flags: 8,
  features: 20,
  // struct io_sqring_offsets sq_off, at 40.
  sqHead: 40,
  sqTail: 44,
  sqRingMask: 48,
  sqRingEntries: 52,
  sqFlags: 56,
  sqDropped: 60,
  sqArray: 64,
  // struct io_cqring_offsets cq_off, at 80.
  cqHead: 80,
  cqTail: 84,
  cqRingMask: 88,
  cqRingEntries: 92,
  cqOverflow: 96,
  cqCqes: 100,
} as const;

/** `struct io_uring_sqe`: 64 bytes, addressed here in 32-bit words. */
export const SQE = {
  size: 64,
  words: 16,
  // word 0: opcode (u8), flags (u8), ioprio (u16); word 1: fd (s32)
  // words 2-3: off (u64); words 4-5: addr (u64); word 6: len (u32)
  // word 7: rw_flags / fsync_flags / open_flags / cancel_flags (u32)
  // words 8-9: user_data (u64); words 10-15: buf_index, personality, ... (0)
} as const;

/** `struct io_uring_cqe`: 16 bytes: user_data (u64), res (s32), flags (u32). */
export const CQE = { size: 16, words: 4 } as const;

/** `struct io_uring_probe` header and `struct io_uring_probe_op` size. */
export const PROBE = { header: 16, opSize: 8, ops: 256 } as const;

// open(2) flags: asm-generic values, the same on x86-64 and arm64.
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_CLOEXEC = 0o2000000;
export const O_NONBLOCK = 0o4000;
/** `O_DIRECT`: one of the few open flags whose value differs by architecture. */
export const O_DIRECT = X86_64 ? 0o40000 : 0o200000;
/** `AT_FDCWD`: paths relative to the process's working directory. */
export const AT_FDCWD = -100;

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
export const MAP_PRIVATE = 2;
export const MAP_ANONYMOUS = 0x20;
export const MAP_POPULATE = 0x8000;
/** `MAP_FAILED`, `(void *) -1`, as `Deno.UnsafePointer.value` gives it. */
export const MAP_FAILED = 2n ** 64n - 1n;

/** errno numbers to names: asm-generic, shared by x86-64 and arm64. */
const ERRNO_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  const list =
    "EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN " +
    "ENOMEM EACCES EFAULT ENOTBLK EBUSY EEXIST EXDEV ENODEV ENOTDIR EISDIR " +
    "EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG ENOSPC ESPIPE EROFS EMLINK " +
    "EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY ELOOP";
  list.split(" ").forEach((name, i) => names[i + 1] = name);
  const more: Record<number, string> = {
    61: "ENODATA",
    62: "ETIME",
    75: "EOVERFLOW",
    95: "EOPNOTSUPP",
    110: "ETIMEDOUT",
    114: "EALREADY",
    115: "EINPROGRESS",
    116: "ESTALE",
    121: "EREMOTEIO",
    122: "EDQUOT",
    125: "ECANCELED",
  };
  for (const [n, name] of Object.entries(more)) names[Number(n)] = name;
  return names;
})();

/**
 * The POSIX name of an errno number (`2` → `"ENOENT"`); an unknown number
 * gives `"EIO"` (the generic I/O error an application can act on).
 */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? "EIO";
}

const SYMBOLS = {
  setup: {
    name: "syscall",
    parameters: ["i64", "u32", "buffer"],
    result: "i32",
  },
  enter: {
    name: "syscall",
    parameters: ["i64", "u32", "u32", "u32", "u32", "pointer", "usize"],
    result: "i32",
  },
  // The same call, run on Deno's blocking pool: the completion wait.
  enterWait: {
    name: "syscall",
    parameters: ["i64", "u32", "u32", "u32", "u32", "pointer", "usize"],
    result: "i32",
    nonblocking: true,
  },
  // A short sleep on Deno's blocking pool: the ring's fairness pause.
  sleep: {
    name: "usleep",
    parameters: ["u32"],
    result: "i32",
    nonblocking: true,
  },
  register: {
    name: "syscall",
    parameters: ["i64", "u32", "u32", "buffer", "u32"],
    result: "i32",
  },
  // Kernel AIO. aio_context_t is an unsigned long (the ring's address).
  ioSetup: {
    name: "syscall",
    parameters: ["i64", "u32", "buffer"],
    result: "i32",
  },
  ioDestroy: {
    name: "syscall",
    parameters: ["i64", "u64"],
    result: "i32",
  },
  ioSubmit: {
    name: "syscall",
    parameters: ["i64", "u64", "i64", "buffer"],
    result: "i32",
  },
  ioCancel: {
    name: "syscall",
    parameters: ["i64", "u64", "u64", "buffer"],
    result: "i32",
  },
  ioGetevents: {
    name: "syscall",
    parameters: ["i64", "u64", "i64", "i64", "buffer", "buffer"],
    result: "i32",
  },
  statx: {
    name: "syscall",
    parameters: ["i64", "i32", "buffer", "i32", "u32", "buffer"],
    result: "i32",
  },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  // The kernel AIO context's completion wait, on Deno's blocking pool.
  pollWait: {
    name: "poll",
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  mmap: {
    parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"],
    result: "pointer",
  },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  strerror: { parameters: ["i32"], result: "pointer" },
  errnoLocation: {
    name: "__errno_location",
    parameters: [],
    result: "pointer",
  },
} as const;

/** The libc functions the backend calls. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

// glibc first; musl names its libc differently.
const LIBC_NAMES = [
  "libc.so.6",
  "libc.so",
  `libc.musl-${Deno.build.arch}.so.1`,
];

let libc: Libc | undefined;
let errnoView: Deno.UnsafePointerView | undefined;

/**
 * Opens libc once (later calls return the same symbols).
 *
 * @throws When no libc could be opened (the message lists each attempt), or
 * `Deno.errors.NotCapable` without `--allow-ffi`.
 */
export function openLibc(): Libc {
  if (libc) return libc;
  const failures: string[] = [];
  for (const name of LIBC_NAMES) {
    try {
      libc = Deno.dlopen(name, SYMBOLS).symbols;
      return libc;
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) throw error;
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new Error(`cannot open libc (${failures.join("; ")})`);
}

/**
 * The calling thread's `errno`: read it right after the failed call, on the
 * thread that made it (so never for a `nonblocking` symbol).
 */
export function errno(): number {
  errnoView ??= new Deno.UnsafePointerView(openLibc().errnoLocation()!);
  return errnoView.getInt32();
}

/** `strerror(3)`: the C library's message for an errno number. */
export function strerror(errno: number): string {
  const p = openLibc().strerror(errno);
  return p ? Deno.UnsafePointerView.getCString(p) : `errno ${errno}`;
}

/** A NUL-terminated copy of a string, for the C functions that take paths. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** The address of a buffer's first byte, as a number (user-space addresses
 * fit in 53 bits on x86-64 and arm64). */
export function addressOf(buffer: Uint8Array): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
}

/**
 * Reads a small file with libc directly (no Deno permission needed beyond
 * `--allow-ffi`): used only to explain why io_uring is refused, from
 * `/proc/sys/kernel/io_uring_disabled`.
 *
 * @returns The text, or `undefined` when it cannot be read.
 */
export function readSmallFile(path: string): string | undefined {
  const lib = openLibc();
  const fd = lib.open(cString(path), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return undefined;
  try {
    const buffer = new Uint8Array(4096);
    const n = Number(lib.read(fd, buffer, BigInt(buffer.length)));
    return n < 0 ? undefined : new TextDecoder().decode(buffer.subarray(0, n));
  } finally {
    lib.close(fd);
  }
}

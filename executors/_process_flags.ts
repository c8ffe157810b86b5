// Copyright 2026 the @concurrent/futures authors. MIT license.
// The `deno run` flags of a ProcessPoolExecutor child: its permissions (a
// Web Worker's `deno.permissions`, as command-line flags, so no
// --unstable-worker-options is needed) and its V8 heap limit.

const NAMES = [
  "read",
  "write",
  "net",
  "env",
  "sys",
  "run",
  "ffi",
  "import",
] as const;
type Name = typeof NAMES[number];

/** Whether this process holds `name` in full. */
function held(name: Name): boolean {
  try {
    return Deno.permissions.querySync({ name } as Deno.PermissionDescriptor)
      .state === "granted";
  } catch {
    return false; // a permission this Deno does not know
  }
}

/**
 * The permission flags for `permissions` (`"inherit"` or absent: what this
 * process holds in full; a missing key of an object is inherited the same
 * way, as for a Web Worker).
 *
 * @throws {TypeError} A value has the wrong type.
 */
export function permissionFlags(
  permissions: Deno.PermissionOptions | undefined,
): string[] {
  if (permissions === "none") return [];
  const flags: string[] = [];
  for (const name of NAMES) {
    const value = permissions === undefined || permissions === "inherit"
      ? "inherit"
      : (permissions as Record<string, unknown>)[name] ?? "inherit";
    if (value === "inherit") {
      if (held(name)) flags.push(`--allow-${name}`);
    } else if (value === true) {
      flags.push(`--allow-${name}`);
    } else if (Array.isArray(value)) {
      if (value.length > 0) {
        const list = value.map((item) =>
          item instanceof URL ? item.pathname : String(item)
        );
        flags.push(`--allow-${name}=${list.join(",")}`);
      }
    } else if (value !== false) {
      throw new TypeError(
        `'permissions.${name}' must be "inherit", a boolean or an array`,
      );
    }
  }
  return flags;
}

/** The V8 flag that caps the JavaScript heap at `maxMemory` MiB. */
export function memoryFlags(maxMemory: number | undefined): string[] {
  return maxMemory === undefined
    ? []
    : [`--v8-flags=--max-old-space-size=${maxMemory}`];
}

/**
 * Adds `path` to the `name` permission in `flags` (for the claims file the
 * child opens at start). Returns whether it was added, i.e. whether the
 * child must give it up once the file is open.
 */
export function grantPath(flags: string[], name: Name, path: string): boolean {
  const flag = `--allow-${name}`;
  if (flags.includes(flag)) return false;
  const index = flags.findIndex((f) => f.startsWith(`${flag}=`));
  if (index === -1) flags.push(`${flag}=${path}`);
  else flags[index] += `,${path}`;
  return true;
}

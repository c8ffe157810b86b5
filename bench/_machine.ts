// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * Describes the machine the sizing suites run on.
 *
 * @module
 */

import type { Machine } from "./_report.ts";

/**
 * Reads the CPU model from `/proc/cpuinfo` text (`model name` on x86,
 * `Model`, `Hardware` or `cpu model` elsewhere).
 *
 * @param text The contents of /proc/cpuinfo.
 * @returns The model, or `undefined` when none is named.
 */
export function cpuModelOf(text: string): string | undefined {
  for (const key of ["model name", "Model", "Hardware", "cpu model"]) {
    const match = new RegExp(`^${key}\\s*:\\s*(.+)$`, "m").exec(text);
    if (match && match[1].trim()) return match[1].trim();
  }
  return undefined;
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/**
 * Describes this machine: cores, memory, OS, Deno, CPU model (from
 * /proc/cpuinfo when readable), load. Whatever cannot be read (no
 * permission, not Linux) is left out.
 *
 * @returns The description.
 */
export function describeMachine(): Machine {
  const cpuinfo = attempt(() => Deno.readTextFileSync("/proc/cpuinfo"));
  return {
    cores: navigator.hardwareConcurrency,
    cpuModel: cpuinfo === undefined ? undefined : cpuModelOf(cpuinfo),
    memoryBytes: attempt(() => Deno.systemMemoryInfo().total),
    os: Deno.build.os,
    arch: Deno.build.arch,
    osRelease: attempt(() => Deno.osRelease()),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    loadavg: attempt(() => Deno.loadavg()),
  };
}

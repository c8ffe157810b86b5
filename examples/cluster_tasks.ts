// Copyright 2026 the @concurrent/futures authors. MIT license.
// Task module of the cluster demo: worker processes import it by URL.

import { countPrimes } from "./primes.ts";

/**
 * Counts the primes in `[from, to)` and says which process did it.
 *
 * @param from First number of the range.
 * @param to End of the range (exclusive).
 * @returns The count and the worker process's pid.
 */
export function countPrimesOn(
  from: number,
  to: number,
): { count: number; pid: number } {
  return { count: countPrimes(from, to), pid: Deno.pid };
}

/**
 * Counts the primes below `n`.
 *
 * @param n The end of the range (exclusive).
 * @returns How many primes are below it.
 */
export function countBelow(n: number): number {
  return countPrimes(2, n);
}

// Copyright 2026 the @concurrent/futures authors. MIT license.
// Task module for the demo: workers import it by URL.

/**
 * Counts the primes in `[from, to)` by trial division: deliberately
 * CPU-bound.
 *
 * @param from First number of the range.
 * @param to End of the range (exclusive).
 * @returns How many primes the range holds.
 */
export function countPrimes(from: number, to: number): number {
  let count = 0;
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

/**
 * Sleeps, then returns: stands for a task that takes too long.
 *
 * @param ms How long to sleep.
 * @returns `ms`.
 */
export async function sleep(ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

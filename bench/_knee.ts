// Copyright 2026 the @concurrent/futures authors. MIT license.

/**
 * The knee of a sizing curve: the smallest size whose throughput is within
 * `tolerance` (10% by default) of the best size's.
 *
 * Why this definition: past the knee, a bigger pool buys at most
 * `tolerance` more throughput but costs memory, start-up time and
 * contention; below it, throughput is clearly left on the table. A 10%
 * band is wider than the run-to-run noise of the suites on a busy machine,
 * so a noisy best does not drag the knee upwards. When the best is the
 * largest size measured and nothing smaller comes close, the curve has not
 * flattened yet: the knee is then reported as "at the end of the range".
 *
 * @module
 */

/** One measured size. */
export interface Point {
  /** The size (pool size, queue depth, chunk size). */
  x: number;
  /** Its throughput (higher is better). */
  y: number;
}

/** Where a curve stops paying off. */
export interface Knee {
  /** The size recommended: the smallest within tolerance of the best. */
  x: number;
  /** Its throughput. */
  y: number;
  /** The best size. */
  bestX: number;
  /** The best throughput. */
  bestY: number;
  /** The throughput a size needs to count as "as good": `(1 - tolerance) * bestY`. */
  threshold: number;
  /** The knee is the largest size measured: bigger sizes may do better still. */
  atEnd: boolean;
}

/** The tolerance of {@linkcode findKnee} unless told otherwise. */
export const KNEE_TOLERANCE = 0.1;

/**
 * Finds the knee of a curve.
 *
 * @param points The measured sizes, in any order; points whose `y` is not a
 * positive finite number are ignored.
 * @param tolerance How far below the best still counts as as good (0..1).
 * @returns The knee, or `undefined` when no point is usable.
 * @throws {RangeError} `tolerance` is not within [0, 1).
 */
export function findKnee(
  points: readonly Point[],
  tolerance: number = KNEE_TOLERANCE,
): Knee | undefined {
  if (!(tolerance >= 0 && tolerance < 1)) {
    throw new RangeError(`'tolerance' must be in [0, 1), got ${tolerance}`);
  }
  const usable = points
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && p.y > 0)
    .toSorted((a, b) => a.x - b.x);
  if (usable.length === 0) return undefined;
  let best = usable[0];
  for (const p of usable) if (p.y > best.y) best = p;
  const threshold = (1 - tolerance) * best.y;
  const knee = usable.find((p) => p.y >= threshold)!;
  return {
    x: knee.x,
    y: knee.y,
    bestX: best.x,
    bestY: best.y,
    threshold,
    atEnd: usable.length > 1 && knee === usable[usable.length - 1],
  };
}

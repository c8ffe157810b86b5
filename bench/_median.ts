// Copyright 2026 the @concurrent/futures authors. MIT license.
// The median every bench reports (the mean of the middle two for an even
// count).

/** The median of `values` (NaN for none); `values` is left as it was. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

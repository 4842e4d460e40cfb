/**
 * Descriptive statistics of a sample for box plots. Quantiles use linear interpolation
 * between order statistics, numpy's default (`np.quantile(x, q, method='linear')`):
 * position (n - 1) * q, interpolated between its floor and ceiling.
 */
export interface BoxStats {
  count: number;
  mean: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

/** The q-quantile (0 <= q <= 1) of an ascending sorted sample, numpy's 'linear' method. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const position = (n - 1) * q;
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, n - 1);
  const t = position - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  // numpy's _lerp: a + (b - a) * t, taken from the upper end when t >= 0.5 (exact at t = 1).
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** count, mean, min, quartiles and max of `values`; undefined for an empty sample. */
export function boxStats(values: ArrayLike<number>): BoxStats | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return {
    count: n,
    mean: sum / n,
    min: sorted[0]!,
    q1: quantileSorted(sorted, 0.25),
    median: quantileSorted(sorted, 0.5),
    q3: quantileSorted(sorted, 0.75),
    max: sorted[n - 1]!,
  };
}

/**
 * Per-neuron statistics of CoF rows (the multi-faceted-neuron study): Gini sparsity,
 * spectral flatness, multi-faceted (MF) degree and the SF/MF split. NaN marks "no value"
 * inside these functions; the CLI writes it as null.
 */
import type { NeuronStatsRows } from '@cnnpipe/core';

/**
 * Gini index (Hurley & Rickard): sort ascending, G = 1 − 2 Σ_k (c_(k)/‖c‖₁)·(N − k + ½)/N,
 * k = 1..N. One-hot → 1 − 1/N, uniform → 0. NaN for an all-zero or empty row.
 */
export function gini(counts: ArrayLike<number>): number {
  const n = counts.length;
  const sorted = Float64Array.from(counts).sort();
  let l1 = 0;
  for (let i = 0; i < n; i++) l1 += Math.abs(sorted[i]!);
  if (n === 0 || l1 === 0) return NaN;
  let sum = 0;
  for (let k = 1; k <= n; k++) sum += (sorted[k - 1]! / l1) * ((n - k + 0.5) / n);
  return 1 - 2 * sum;
}

/** What the study adds to every count before normalising (equation 1). */
export const FLATNESS_EPSILON = 1e-7;

/**
 * Spectral flatness (the study's equation 1): p = (c + 1e-7) / Σ(c + 1e-7), then
 * log2(F + 1) = −(1/log2 N) Σ p log2 p, so F = 2^H − 1 ∈ [0, 1] with N the row length.
 * An all-zero row gets −1; a row of one class (N < 2) has no flatness (NaN).
 */
export function flatness(counts: ArrayLike<number>): number {
  const n = counts.length;
  let total = 0;
  let any = false;
  for (let i = 0; i < n; i++) {
    total += counts[i]! + FLATNESS_EPSILON;
    if (counts[i]! !== 0) any = true;
  }
  if (!any) return -1;
  if (n < 2) return NaN;
  let entropy = 0;
  for (let i = 0; i < n; i++) {
    const p = (counts[i]! + FLATNESS_EPSILON) / total;
    if (p > 0) entropy -= p * Math.log2(p);
  }
  return 2 ** (entropy / Math.log2(n)) - 1;
}

/** Complementary error function to double precision (series below 3, continued fraction above). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) {
    // erf(x) = 2/√π e^{−x²} Σ 2^n x^{2n+1} / (1·3···(2n+1)): positive terms, no cancellation.
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  }
  if (x > 27) return 0;
  // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated backwards.
  let f = x;
  for (let n = 300; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** Two-sided p-value of `x` under N(mean, sd²): erfc(|x − mean| / (sd √2)); 1 when sd is 0. */
export function twoSidedP(x: number, mean: number, sd: number): number {
  if (Number.isNaN(x)) return NaN;
  if (!(sd > 0)) return 1;
  return erfc(Math.abs(x - mean) / (sd * Math.SQRT2));
}

/** The neuron-stats columns (core's codec) but layer and neuron, and how many rows are undefined. */
export interface NeuronStats extends Omit<NeuronStatsRows, 'layer' | 'neuron'> {
  /** 'MF' or 'SF'; null where the MF degree is undefined. */
  facet: ('MF' | 'SF' | null)[];
  /** Rows with no response or zero sparsity (their MF statistics are NaN). */
  undefinedRows: number;
}

/**
 * The statistics of a CoF table: `counts` is rows x classes (row-major), `layers` the layer
 * of each row. MF = flatness / sparsity; mf_norm is min-max over all rows; facet is 'MF'
 * when MF is above its layer's mean; p_value is two-sided under a normal fitted (maximum
 * likelihood: mean and population standard deviation) to the layer's MF values.
 */
export function neuronStats(counts: ArrayLike<number>, classes: number, layers: string[]): NeuronStats {
  const rows = layers.length;
  if (counts.length !== rows * classes) throw new Error(`neuronStats: ${counts.length} counts for ${rows}x${classes}`);
  const g = new Float64Array(rows);
  const f = new Float64Array(rows);
  const mf = new Float64Array(rows);
  let undefinedRows = 0;
  const row = new Float64Array(classes);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < classes; j++) row[j] = counts[r * classes + j]!;
    g[r] = gini(row);
    f[r] = flatness(row);
    mf[r] = g[r]! > 0 && f[r]! >= 0 ? f[r]! / g[r]! : NaN;
    if (Number.isNaN(mf[r]!)) undefinedRows++;
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of mf) {
    if (Number.isNaN(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mfNorm = mf.map((v) => (Number.isNaN(v) ? NaN : max > min ? (v - min) / (max - min) : 0));
  // Per layer: mean and population sd of the defined MF values.
  const fit = new Map<string, { n: number; sum: number; mean: number; sd: number }>();
  layers.forEach((layer, r) => {
    if (Number.isNaN(mf[r]!)) return;
    const s = fit.get(layer) ?? { n: 0, sum: 0, mean: 0, sd: 0 };
    s.n++;
    s.sum += mf[r]!;
    fit.set(layer, s);
  });
  for (const s of fit.values()) s.mean = s.sum / s.n;
  layers.forEach((layer, r) => {
    if (Number.isNaN(mf[r]!)) return;
    const s = fit.get(layer)!;
    s.sd += (mf[r]! - s.mean) ** 2;
  });
  for (const s of fit.values()) s.sd = Math.sqrt(s.sd / s.n);
  const facet: ('MF' | 'SF' | null)[] = [];
  const pValue = new Float64Array(rows);
  layers.forEach((layer, r) => {
    const v = mf[r]!;
    if (Number.isNaN(v)) {
      facet.push(null);
      pValue[r] = NaN;
      return;
    }
    const s = fit.get(layer)!;
    facet.push(v > s.mean ? 'MF' : 'SF');
    pValue[r] = twoSidedP(v, s.mean, s.sd);
  });
  return { gini: g, flatness: f, mf, mfNorm, facet, pValue, undefinedRows };
}

import { gemm, matrix, type NumericArray } from '@cnnpipe/core';
import { rankAverage } from './rank.js';

/**
 * Representational similarity analysis (Kriegeskorte et al. 2008, as thingsvision computes
 * it): per layer the representational dissimilarity matrix RDM_ij = 1 − Pearson(x_i, x_j)
 * between images, then the Pearson (or Spearman) correlation of two layers' RDMs over the
 * n(n−1)/2 pairs above the diagonal. Each RDM's upper triangle is centred and scaled to unit
 * norm (ranked first for Spearman), so a correlation is one dot product; B's vectors are held
 * together and each A layer meets them in one Gemm. Memory: (q + 1) n(n−1)/2 float64 vectors
 * plus n x n float64 working matrices and, for Spearman, the ranking's buffers, for q layers of
 * B and D features in all (rsaBytes; 2000 images, 9 x 8 zoo layers: 270 MB estimated, 305 MB
 * measured above node's baseline).
 */
export type Correlation = 'pearson' | 'spearman';

export function pairCount(n: number): number {
  return (n * (n - 1)) / 2;
}

/** Bytes RSA holds, about: the activations (float64), B's RDMs, one of A's, the working matrices. */
export function rsaBytes(n: number, q: number, features: number, correlation: Correlation): number {
  const t = pairCount(n);
  return 8 * (n * features + (q + 1) * t + 2 * n * n + (correlation === 'spearman' ? 3 * t : 0));
}

/** Rows centred and scaled to unit norm (float64); rows with no variance come back as NaN. */
function standardiseRows(x: NumericArray, n: number, d: number): { z: Float64Array; constant: number } {
  const z = new Float64Array(n * d);
  let constant = 0;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let mean = 0;
    for (let k = 0; k < d; k++) mean += x[o + k]!;
    mean /= d;
    let ss = 0;
    for (let k = 0; k < d; k++) {
      const c = x[o + k]! - mean;
      z[o + k] = c;
      ss += c * c;
    }
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : NaN;
    if (!(ss > 0)) constant++;
    for (let k = 0; k < d; k++) z[o + k]! *= inv;
  }
  return { z, constant };
}

/** Centres a vector and scales it to unit norm in place (NaN throughout when it is constant). */
function unitCentred(v: Float64Array): void {
  let mean = 0;
  for (let i = 0; i < v.length; i++) mean += v[i]!;
  mean /= v.length;
  let ss = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]! - mean;
    v[i] = c;
    ss += c * c;
  }
  const inv = ss > 0 ? 1 / Math.sqrt(ss) : NaN;
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
}

export interface RdmVector {
  /** The RDM's upper triangle (row by row), centred to unit norm. */
  u: Float64Array;
  /** Images whose representation has no variance across features (their RDM rows are NaN). */
  constant: number;
}

/**
 * One layer's RDM upper triangle, ready for correlations: x is n x d (row-major), written
 * into `into` (length n(n−1)/2) when given.
 */
export async function rdmVector(x: NumericArray, n: number, d: number, correlation: Correlation, into?: Float64Array): Promise<RdmVector> {
  const { z, constant } = standardiseRows(x, n, d);
  const r = (await gemm(matrix(z, n, d), matrix(z, n, d), { transB: true })).data;
  const u = into ?? new Float64Array(pairCount(n));
  let t = 0;
  for (let i = 0; i < n; i++) {
    const o = i * n;
    for (let j = i + 1; j < n; j++) u[t++] = 1 - r[o + j]!;
  }
  if (correlation === 'spearman' && !u.some(Number.isNaN)) u.set(rankAverage(u));
  unitCentred(u);
  return { u, constant };
}

export interface RsaLayer {
  values: NumericArray;
  width: number;
}

/** RSA of every (A layer, B layer) pair over the same n images: row-major p x q. */
export async function rsa(
  a: RsaLayer[],
  b: RsaLayer[],
  n: number,
  correlation: Correlation,
  onConstant: (side: 'a' | 'b', layer: number, images: number) => void = () => undefined,
): Promise<Float64Array> {
  const t = pairCount(n);
  const q = b.length;
  const ub = new Float64Array(q * t);
  for (let j = 0; j < q; j++) {
    const { constant } = await rdmVector(b[j]!.values, n, b[j]!.width, correlation, ub.subarray(j * t, (j + 1) * t));
    if (constant > 0) onConstant('b', j, constant);
  }
  const out = new Float64Array(a.length * q);
  const ua = new Float64Array(t);
  for (let i = 0; i < a.length; i++) {
    const { constant } = await rdmVector(a[i]!.values, n, a[i]!.width, correlation, ua);
    if (constant > 0) onConstant('a', i, constant);
    const dots = (await gemm(matrix(ub, q, t), matrix(ua, t, 1))).data;
    for (let j = 0; j < q; j++) out[i * q + j] = Math.max(-1, Math.min(1, dots[j]!));
  }
  return out;
}

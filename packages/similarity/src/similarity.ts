import { gemm, matrix } from '@cnnpipe/core';

/**
 * Neuron-to-neuron similarity of one layer's CoF rows (the study's RSA matrices), with the
 * products done by the core's onnxruntime Gemm kernel.
 */
export interface SimilarityMatrices {
  /** n x n Pearson correlations between rows (unit diagonal, symmetric). */
  pearson: Float64Array;
  /** n x n Euclidean distances between rows (zero diagonal, symmetric). */
  euclidean: Float64Array;
  /** Rows with zero variance: their Pearson correlation with any other row is set to 0. */
  constantRows: number;
}

/**
 * Similarities of the rows of `x` (n x k, row-major, float64).
 * Pearson: rows centred and scaled to unit norm, then Z·Z'. Euclidean: from the Gram matrix
 * X·X' as sqrt(‖xᵢ‖² + ‖xⱼ‖² − 2 xᵢ·xⱼ), clamped at 0 (exact for integer counts).
 */
export async function similarityMatrices(x: Float64Array, n: number, k: number): Promise<SimilarityMatrices> {
  if (x.length !== n * k) throw new Error(`similarityMatrices: ${x.length} values for ${n}x${k}`);
  const z = new Float64Array(n * k);
  let constantRows = 0;
  for (let i = 0; i < n; i++) {
    const row = x.subarray(i * k, (i + 1) * k);
    let mean = 0;
    for (let j = 0; j < k; j++) mean += row[j]!;
    mean /= k;
    let ss = 0;
    for (let j = 0; j < k; j++) ss += (row[j]! - mean) ** 2;
    if (!(ss > 0)) {
      constantRows++;
      continue; // a zero row of Z: correlation 0 with every other row
    }
    const scale = 1 / Math.sqrt(ss);
    for (let j = 0; j < k; j++) z[i * k + j] = (row[j]! - mean) * scale;
  }
  const zm = matrix(z, n, k);
  const xm = matrix(x, n, k);
  const [corr, gram] = await Promise.all([gemm(zm, zm, { transB: true }), gemm(xm, xm, { transB: true })]);
  const pearson = new Float64Array(n * n);
  const euclidean = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    pearson[i * n + i] = 1;
    const gii = gram.data[i * n + i]!;
    for (let j = i + 1; j < n; j++) {
      const r = Math.max(-1, Math.min(1, corr.data[i * n + j]!));
      pearson[i * n + j] = r;
      pearson[j * n + i] = r;
      const d = Math.sqrt(Math.max(0, gii + gram.data[j * n + j]! - 2 * gram.data[i * n + j]!));
      euclidean[i * n + j] = d;
      euclidean[j * n + i] = d;
    }
  }
  return { pearson, euclidean, constantRows };
}

/** Mean of the off-diagonal entries of an n x n matrix; NaN when n < 2. */
export function meanOffDiagonal(m: Float64Array, n: number): number {
  if (n < 2) return NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (i !== j) sum += m[i * n + j]!;
  }
  return sum / (n * (n - 1));
}

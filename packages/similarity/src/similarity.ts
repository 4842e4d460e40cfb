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
 *
 * One Gram matrix G = X·X' (onnxruntime Gemm; in float32 when that is exact) gives both:
 * - Euclidean: sqrt(‖xᵢ‖² + ‖xⱼ‖² − 2 xᵢ·xⱼ), clamped at 0;
 * - Pearson, when every value is an integer small enough that G, k·G and the products of
 *   row sums are exact in float64 (CoF counts always are): from the integer identity
 *   r = (k·Gᵢⱼ − SᵢSⱼ) / sqrt((k·Gᵢᵢ − Sᵢ²)(k·Gⱼⱼ − Sⱼ²)), S the row sums — exact up to the
 *   last division, so no centring pass and no second product. Otherwise rows are centred
 *   and scaled to unit norm and Z·Z' is a second Gemm.
 */
export async function similarityMatrices(x: Float64Array, n: number, k: number): Promise<SimilarityMatrices> {
  if (x.length !== n * k) throw new Error(`similarityMatrices: ${x.length} values for ${n}x${k}`);
  const sums = new Float64Array(n);
  let integral = true;
  let maxAbsSum = 0;
  let maxSquares = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    let squares = 0;
    for (let j = i * k, end = (i + 1) * k; j < end; j++) {
      const v = x[j]!;
      if (integral && !Number.isInteger(v)) integral = false;
      sum += v;
      squares += v * v;
    }
    sums[i] = sum;
    maxAbsSum = Math.max(maxAbsSum, Math.abs(sum));
    maxSquares = Math.max(maxSquares, squares);
  }
  // Every partial sum of the products is at most max ‖xᵢ‖² (Cauchy–Schwarz): all exact below 2^53.
  const exact = integral && k * maxSquares <= Number.MAX_SAFE_INTEGER && maxAbsSum * maxAbsSum <= Number.MAX_SAFE_INTEGER;
  // Integers with every |partial sum| <= max ‖xᵢ‖² <= 2^24 are exact in float32 too, and
  // onnxruntime's float32 Gemm is about twice as fast as its float64 one: the same G.
  const gramPromise = integral && maxSquares <= 2 ** 24 ? gramFloat32(x, n, k) : gemm(matrix(x, n, k), matrix(x, n, k), { transB: true }).then((m) => m.data);
  const corrPromise = exact ? undefined : centredProducts(x, n, k);
  const gram = await gramPromise;
  const pearson = new Float64Array(n * n);
  const euclidean = new Float64Array(n * n);
  let constantRows = 0;
  if (exact) {
    // Scale of each row: k·Gᵢᵢ − Sᵢ² (an exact integer; 0 for a constant row).
    const spread = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      spread[i] = k * gram[i * n + i]! - sums[i]! * sums[i]!;
      if (!(spread[i]! > 0)) constantRows++;
    }
    for (let i = 0; i < n; i++) {
      pearson[i * n + i] = 1;
      const di = spread[i]!;
      const si = sums[i]!;
      const gii = gram[i * n + i]!;
      for (let j = i + 1; j < n; j++) {
        const dj = spread[j]!;
        const g = gram[i * n + j]!;
        const r = di > 0 && dj > 0 ? Math.max(-1, Math.min(1, (k * g - si * sums[j]!) / Math.sqrt(di * dj))) : 0;
        pearson[i * n + j] = r;
        pearson[j * n + i] = r;
        const d = Math.sqrt(Math.max(0, gii + gram[j * n + j]! - 2 * g));
        euclidean[i * n + j] = d;
        euclidean[j * n + i] = d;
      }
    }
    return { pearson, euclidean, constantRows };
  }
  const centred = await corrPromise!;
  constantRows = centred.constantRows;
  const corr = centred.corr;
  for (let i = 0; i < n; i++) {
    pearson[i * n + i] = 1;
    const gii = gram[i * n + i]!;
    for (let j = i + 1; j < n; j++) {
      const r = Math.max(-1, Math.min(1, corr[i * n + j]!));
      pearson[i * n + j] = r;
      pearson[j * n + i] = r;
      const d = Math.sqrt(Math.max(0, gii + gram[j * n + j]! - 2 * gram[i * n + j]!));
      euclidean[i * n + j] = d;
      euclidean[j * n + i] = d;
    }
  }
  return { pearson, euclidean, constantRows };
}

/** X·X' computed in float32 (the caller knows every value and sum is exact there), as float64. */
async function gramFloat32(x: Float64Array, n: number, k: number): Promise<Float64Array> {
  const x32 = matrix(Float32Array.from(x), n, k);
  return Float64Array.from((await gemm(x32, x32, { transB: true })).data);
}

/** Z·Z' of the rows centred and scaled to unit norm (a constant row is a zero row of Z). */
async function centredProducts(x: Float64Array, n: number, k: number): Promise<{ corr: Float64Array; constantRows: number }> {
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
  return { corr: (await gemm(zm, zm, { transB: true })).data, constantRows };
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

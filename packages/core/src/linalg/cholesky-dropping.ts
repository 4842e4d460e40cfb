import { gemm, matrix } from './kernels.js';

/**
 * A rank-revealing (semi-definite) Cholesky factorisation of a symmetric positive
 * semi-definite matrix, and triangular solves with its factor: a column numerically in the
 * span of the columns before it is dropped (its column of L is zero) instead of stopping the
 * factorisation. Hand-written on typed arrays because the factorisation must decide rank
 * column by column, which no well-kept JS library does: ml-matrix's CholeskyDecomposition
 * (definite only) takes 1.8 s at d = 1024 where this one, its O(d³) parts as onnxruntime
 * Gemms on 128-wide blocks, takes 0.08 s (measured on the same 2-core machine).
 */

/** 8 units of roundoff per dimension: the Schur complement of an exactly dependent column stays below it. */
export function dependenceTolerance(d: number): number {
  return 8 * Math.max(d, 16) * Number.EPSILON;
}

function copyBlock(a: Float64Array, n: number, r0: number, r1: number, c0: number, c1: number): Float64Array {
  const w = c1 - c0;
  const out = new Float64Array((r1 - r0) * w);
  for (let i = r0; i < r1; i++) out.set(a.subarray(i * n + c0, i * n + c1), (i - r0) * w);
  return out;
}

/**
 * Unblocked semi-definite Cholesky of the diagonal block `d` (b x b) whose first column is
 * global column k0: column j is dependent when its pivot (the squared distance of column j
 * from the span of the kept columns before it) is at most `tol · ref[k0+j]`; its column of L
 * is then zero and its row keeps the coefficients on the earlier columns.
 */
function factorDiagonal(d: Float64Array, b: number, k0: number, ref: Float64Array, tol: number, dependent: Uint8Array): void {
  for (let j = 0; j < b; j++) {
    const rj = j * b;
    let s = d[rj + j]!;
    for (let k = 0; k < j; k++) s -= d[rj + k]! * d[rj + k]!;
    const g = k0 + j;
    if (dependent[g] || !(s > tol * ref[g]!)) {
      dependent[g] = 1;
      for (let i = j; i < b; i++) d[i * b + j] = 0;
      continue;
    }
    const ljj = Math.sqrt(s);
    d[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < b; i++) {
      const ri = i * b;
      let t = d[ri + j]!;
      for (let k = 0; k < j; k++) t -= d[ri + k]! * d[rj + k]!;
      d[ri + j] = t * inv;
    }
  }
}

/**
 * The inverse of a lower-triangular diagonal block over its kept columns (dependent rows and
 * columns zero): the block triangular solves then run as Gemms. Explicit inverses of the
 * 128-wide diagonal blocks cost 1/3 of a substitution's scalar flops and change the
 * agreement with numpy by less than the normal equations' own error (lstsq's min-norm.test.ts).
 */
function keptInverse(d: Float64Array, b: number, k0: number, dependent: Uint8Array): Float64Array {
  const m = new Float64Array(b * b);
  for (let c = 0; c < b; c++) {
    if (dependent[k0 + c]) continue;
    m[c * b + c] = 1 / d[c * b + c]!;
    for (let i = c + 1; i < b; i++) {
      if (dependent[k0 + i]) continue;
      let s = 0;
      for (let k = c; k < i; k++) s -= d[i * b + k]! * m[k * b + c]!;
      m[i * b + c] = s / d[i * b + i]!;
    }
  }
  return m;
}

export interface DroppingFactor {
  /** Block size of the factorisation and of its inverses. */
  nb: number;
  /** Per diagonal block, the inverse of L over its kept columns. */
  inverses: Float64Array[];
}

/**
 * Blocked right-looking semi-definite Cholesky in place (lower): A ≈ L L' with the columns of
 * L at dependent positions zero. `dependent` may arrive with columns already marked (those
 * must have zero rows and columns in `a`); on return it marks every dependent column.
 */
export async function choleskyDropping(a: Float64Array, n: number, ref: Float64Array, tol: number, dependent: Uint8Array, nb = 128): Promise<DroppingFactor> {
  const inverses: Float64Array[] = [];
  for (let k0 = 0; k0 < n; k0 += nb) {
    const k1 = Math.min(n, k0 + nb);
    const b = k1 - k0;
    const d = copyBlock(a, n, k0, k1, k0, k1);
    factorDiagonal(d, b, k0, ref, tol, dependent);
    for (let i = 0; i < b; i++) a.set(d.subarray(i * b, (i + 1) * b), (k0 + i) * n + k0);
    const inv = keptInverse(d, b, k0, dependent);
    inverses.push(inv);
    if (k1 === n) break;
    const m = n - k1;
    // Panel: P ← A21 L11^-T (dependent columns of L11^-1 are zero, so are those of P).
    const p = (await gemm(matrix(copyBlock(a, n, k1, n, k0, k1), m, b), matrix(inv, b, b), { transB: true })).data;
    for (let r = 0; r < m; r++) a.set(p.subarray(r * b, (r + 1) * b), (k1 + r) * n + k0);
    // Trailing update: A22 -= P P' (lower triangle).
    const u = (await gemm(matrix(p, m, b), matrix(p, m, b), { transB: true })).data;
    for (let i = 0; i < m; i++) {
      const ro = (k1 + i) * n + k1;
      const uo = i * m;
      for (let j = 0; j <= i; j++) a[ro + j]! -= u[uo + j]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = 0;
  return { nb, inverses };
}

/** Forward substitution L Z = B in place (B n x m), dependent rows set to zero. */
export async function forwardDropping(l: Float64Array, n: number, b: Float64Array, m: number, factor: DroppingFactor): Promise<void> {
  const { nb, inverses } = factor;
  for (let k0 = 0, blk = 0; k0 < n; k0 += nb, blk++) {
    const k1 = Math.min(n, k0 + nb);
    const w = k1 - k0;
    const rows = b.subarray(k0 * m, k1 * m);
    if (k0 > 0) {
      const lk = copyBlock(l, n, k0, k1, 0, k0);
      const t = (await gemm(matrix(lk, w, k0), matrix(b.subarray(0, k0 * m), k0, m))).data;
      for (let i = 0; i < w * m; i++) rows[i]! -= t[i]!;
    }
    rows.set((await gemm(matrix(inverses[blk]!, w, w), matrix(rows.slice(), w, m))).data);
  }
}

/** Backward substitution L' X = Z in place (Z n x m), dependent rows set to zero. */
export async function backwardDropping(l: Float64Array, n: number, b: Float64Array, m: number, factor: DroppingFactor): Promise<void> {
  const { nb, inverses } = factor;
  const starts: number[] = [];
  for (let k0 = 0; k0 < n; k0 += nb) starts.push(k0);
  for (let blk = starts.length - 1; blk >= 0; blk--) {
    const k0 = starts[blk]!;
    const k1 = Math.min(n, k0 + nb);
    const w = k1 - k0;
    const rows = b.subarray(k0 * m, k1 * m);
    if (k1 < n) {
      const lk = copyBlock(l, n, k1, n, k0, k1); // (n-k1) x w
      const t = (await gemm(matrix(lk, n - k1, w), matrix(b.subarray(k1 * m, n * m), n - k1, m), { transA: true })).data;
      for (let i = 0; i < w * m; i++) rows[i]! -= t[i]!;
    }
    rows.set((await gemm(matrix(inverses[blk]!, w, w), matrix(rows.slice(), w, m), { transA: true })).data);
  }
}

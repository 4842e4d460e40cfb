import { gemm, matrix } from './kernels.js';
import { backwardDropping, choleskyDropping, forwardDropping } from './cholesky-dropping.js';

/**
 * The minimum-norm least-squares solution from centred normal equations, as numpy.linalg.lstsq
 * gives it on [X 1] (SVD), without the rows: the rank-revealing Cholesky
 * (cholesky-dropping.ts) of the centred Gram, the basic solution on the kept columns, then
 * the exact null-space correction that makes (weights, bias) jointly of minimum norm. With a
 * ridge, the penalised system is definite and its solution is unique.
 */

/** Dense Cholesky solve of a small SPD system G Z = R in place (G k x k is overwritten). */
function solveSpd(g: Float64Array, k: number, r: Float64Array, m: number): void {
  for (let j = 0; j < k; j++) {
    const rj = j * k;
    let s = g[rj + j]!;
    for (let t = 0; t < j; t++) s -= g[rj + t]! * g[rj + t]!;
    const ljj = Math.sqrt(s);
    g[rj + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      let t2 = g[i * k + j]!;
      for (let t = 0; t < j; t++) t2 -= g[i * k + t]! * g[rj + t]!;
      g[i * k + j] = t2 / ljj;
    }
  }
  for (let i = 0; i < k; i++) {
    for (let t = 0; t < i; t++) {
      const lit = g[i * k + t]!;
      for (let c = 0; c < m; c++) r[i * m + c]! -= lit * r[t * m + c]!;
    }
    const inv = 1 / g[i * k + i]!;
    for (let c = 0; c < m; c++) r[i * m + c]! *= inv;
  }
  for (let i = k - 1; i >= 0; i--) {
    for (let t = i + 1; t < k; t++) {
      const lti = g[t * k + i]!;
      for (let c = 0; c < m; c++) r[i * m + c]! -= lti * r[t * m + c]!;
    }
    const inv = 1 / g[i * k + i]!;
    for (let c = 0; c < m; c++) r[i * m + c]! *= inv;
  }
}

export interface MinNormSolution {
  /** DA x DB, row-major. */
  w: Float64Array;
  /** DB. */
  bias: Float64Array;
  /** Source dimensions found dependent (constant, or in the span of earlier ones). */
  dependent: number[];
}

/**
 * Minimum-norm (over weights and bias together, as numpy's lstsq on [X 1]) least-squares
 * solution of the centred normal equations cxx W = cxy, with means mx, my.
 *
 * With L from `choleskyDropping`, the kept columns I give the basic solution W0 (zero at the
 * dependent columns J); each dependent column j = Σ_{i∈I} T_ij x_i (T = L_II'^-1 L_JI'), so
 * the solutions are W0 + N Z with N = E_J - T, bias b = my - W'mx. The norm
 * |W0 + N Z|² + |b0 - c'Z|² (c = N'mx) is least at (N'N + cc') Z = T'W0 + c b0'.
 */
export async function minNormSolve(
  cxx: Float64Array,
  cxy: Float64Array,
  mx: Float64Array,
  my: Float64Array,
  constant: Uint8Array,
  tol: number,
  ridge = 0,
): Promise<MinNormSolution> {
  const da = mx.length;
  const db = my.length;
  const l = cxx.slice();
  const dependent = constant.slice();
  const ref = new Float64Array(da);
  for (let i = 0; i < da; i++) {
    if (constant[i]) {
      for (let j = 0; j < da; j++) l[i * da + j] = l[j * da + i] = 0;
    } else if (ridge > 0) l[i * da + i]! += ridge;
    ref[i] = l[i * da + i]!;
  }
  const factor = await choleskyDropping(l, da, ref, tol, dependent);
  const w = cxy.slice();
  await forwardDropping(l, da, w, db, factor);
  await backwardDropping(l, da, w, db, factor);
  const dep: number[] = [];
  for (let i = 0; i < da; i++) if (dependent[i]) dep.push(i);
  const biasOf = (weights: Float64Array): Float64Array => {
    const b = my.slice();
    for (let i = 0; i < da; i++) {
      const mi = mx[i]!;
      if (mi === 0) continue;
      for (let j = 0; j < db; j++) b[j]! -= weights[i * db + j]! * mi;
    }
    return b;
  };
  const k = dep.length;
  if (k === 0 || ridge > 0) return { w, bias: biasOf(w), dependent: dep };

  // T (da x k): column c solves L' t = L[J_c, :]'.
  const t = new Float64Array(da * k);
  for (let c = 0; c < k; c++) {
    const row = dep[c]! * da;
    for (let i = 0; i < dep[c]!; i++) t[i * k + c] = l[row + i]!;
  }
  await backwardDropping(l, da, t, k, factor);
  const b0 = biasOf(w);
  // c = N'mx = mx_J - T'mx.
  const cv = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let s = mx[dep[c]!]!;
    for (let i = 0; i < da; i++) s -= t[i * k + c]! * mx[i]!;
    cv[c] = s;
  }
  const g = (await gemm(matrix(t, da, k), matrix(t, da, k), { transA: true })).data;
  for (let a = 0; a < k; a++) {
    g[a * k + a]! += 1;
    for (let c = 0; c < k; c++) g[a * k + c]! += cv[a]! * cv[c]!;
  }
  const rhs = (await gemm(matrix(t, da, k), matrix(w, da, db), { transA: true })).data;
  for (let a = 0; a < k; a++) for (let j = 0; j < db; j++) rhs[a * db + j]! += cv[a]! * b0[j]!;
  solveSpd(g, k, rhs, db);
  // W = W0 - T Z + E_J Z.
  const tz = (await gemm(matrix(t, da, k), matrix(rhs, k, db))).data;
  for (let i = 0; i < w.length; i++) w[i]! -= tz[i]!;
  for (let c = 0; c < k; c++) {
    const o = dep[c]! * db;
    for (let j = 0; j < db; j++) w[o + j]! += rhs[c * db + j]!;
  }
  return { w, bias: biasOf(w), dependent: dep };
}

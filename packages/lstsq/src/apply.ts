import { fixedSizeListData, gemm, matrix } from '@cnnpipe/core';
import type { AffineMap } from './normal.js';
import type { Linear } from '@cnnpipe/core';

/** Mapped features: X (rows x DA) → X W' + b (rows x DB), float64 through onnxruntime's Gemm. */
export async function applyMap(map: AffineMap, x: ArrayLike<number>, rows: number): Promise<Float64Array> {
  const x64 = x instanceof Float64Array ? x : Float64Array.from(x);
  const y = (await gemm(matrix(x64, rows, map.da), matrix(map.weights, map.db, map.da), { transB: true })).data;
  for (let i = 0; i < rows; i++) {
    const o = i * map.db;
    for (let j = 0; j < map.db; j++) y[o + j]! += map.bias[j]!;
  }
  return y;
}

export function mappedColumn(y: Float64Array, db: number) {
  return fixedSizeListData(Float32Array.from(y), db);
}

/**
 * The logit-space map between two classifiers: x_B = pinv(W_B)(W_A x_A + b_A - b_B), so
 * W_B x_B + b_B = W_A x_A + b_A whenever W_B has full row rank (K ≤ D_B). ml-matrix loads on
 * first use: the other subcommands start ~0.05 s sooner without it.
 */
export async function logitMap(a: Linear, b: Linear): Promise<AffineMap> {
  const { Matrix, pseudoInverse } = await import('ml-matrix');
  const wa = new Matrix(a.k, a.d);
  for (let i = 0; i < a.k; i++) for (let j = 0; j < a.d; j++) wa.set(i, j, a.weights[i * a.d + j]!);
  const wb = new Matrix(b.k, b.d);
  for (let i = 0; i < b.k; i++) for (let j = 0; j < b.d; j++) wb.set(i, j, b.weights[i * b.d + j]!);
  const pinvB = pseudoInverse(wb); // DB x K
  const m = pinvB.mmul(wa); // DB x DA
  const db = new Matrix(a.k, 1);
  for (let i = 0; i < a.k; i++) db.set(i, 0, a.bias[i]! - b.bias[i]!);
  const bias = pinvB.mmul(db);
  const weights = new Float64Array(b.d * a.d);
  for (let i = 0; i < b.d; i++) for (let j = 0; j < a.d; j++) weights[i * a.d + j] = m.get(i, j);
  const bv = new Float64Array(b.d);
  for (let i = 0; i < b.d; i++) bv[i] = bias.get(i, 0);
  return { da: a.d, db: b.d, weights, bias: bv, r2: new Float64Array(b.d).fill(NaN), r2Total: NaN, rows: 0 };
}

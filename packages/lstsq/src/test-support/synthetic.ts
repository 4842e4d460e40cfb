import type { rng } from './fixtures.js';

/** Synthetic features for the solver tests (min-norm.test.ts, int8-gram.test.ts). */
export type Rng = ReturnType<typeof rng>;

/** y = x M + 1 + noise. */
export function targets(r: Rng, x: Float64Array, n: number, da: number, db: number): Float64Array {
  const m = Array.from({ length: da * db }, () => r.normal());
  const y = new Float64Array(n * db);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < db; j++) {
      let s = 1;
      for (let k = 0; k < da; k++) s += x[i * da + k]! * m[k * db + j]!;
      y[i * db + j] = Math.fround(s + 0.3 * r.normal());
    }
  }
  return y;
}

/** ReLU-like features on a 1/16 grid, so that sums and doublings of columns stay exact. */
export function gridFeatures(r: Rng, n: number, da: number): Float64Array {
  const x = new Float64Array(n * da);
  for (let i = 0; i < x.length; i++) x[i] = Math.max(0, Math.round(16 * (r.normal() + 0.5)) / 16);
  return x;
}

/** Orthonormal columns (n x d, n >= d) by modified Gram-Schmidt of Gaussian draws. */
export function orthonormal(r: Rng, n: number, d: number): Float64Array {
  const q = new Float64Array(n * d).map(() => r.normal());
  for (let k = 0; k < d; k++) {
    for (let p = 0; p < k; p++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += q[i * d + k]! * q[i * d + p]!;
      for (let i = 0; i < n; i++) q[i * d + k]! -= s * q[i * d + p]!;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += q[i * d + k]! ** 2;
    s = Math.sqrt(s);
    for (let i = 0; i < n; i++) q[i * d + k]! /= s;
  }
  return q;
}

/** X = U diag(s) V' * 10 + 0.5 with singular values from 1 down to 1/cond (geometric). */
export function illConditioned(r: Rng, n: number, d: number, cond: number): Float64Array {
  const u = orthonormal(r, n, d);
  const v = orthonormal(r, d, d);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let p = 0; p < d; p++) s += u[i * d + p]! * cond ** (-p / (d - 1)) * v[k * d + p]!;
      x[i * d + k] = 10 * s + 0.5;
    }
  }
  return x;
}


import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../util/random.js';
import { eighDescending, eighTop } from './symmetric-eigen.js';

/** Standard normal draws (Box-Muller over mulberry32). */
function normalRandom(seed: number): () => number {
  const uniform = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** G = X X^T of a random rows x cols matrix (rank min(rows, cols)). */
function randomGram(rows: number, cols: number, seed: number): Float64Array {
  const rand = normalRandom(seed);
  const x = Float64Array.from({ length: rows * cols }, () => rand());
  const g = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) {
      let s = 0;
      for (let q = 0; q < cols; q++) s += x[i * cols + q]! * x[j * cols + q]!;
      g[i * rows + j] = s;
    }
  }
  return g;
}

/** Q diag(lambda) Q^T for a random orthogonal Q. */
function withSpectrum(lambda: number[], seed: number): Float64Array {
  const n = lambda.length;
  const q = eighDescending(randomGram(n, n, seed), n).vectors; // rows: an orthonormal basis
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += q[r * n + i]! * lambda[r]! * q[r * n + j]!;
      a[i * n + j] = s;
    }
  }
  return a;
}

/** max |A v - lambda v| / |lambda_max| and max |V V^T - I| over the first k pairs. */
function quality(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array, k: number) {
  let residual = 0;
  let orthogonality = 0;
  const scale = Math.max(Math.abs(values[0]!), 1e-300);
  for (let r = 0; r < k; r++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j]! * vectors[r * n + j]!;
      residual = Math.max(residual, Math.abs(s - values[r]! * vectors[r * n + i]!) / scale);
    }
    for (let q = 0; q < k; q++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += vectors[r * n + j]! * vectors[q * n + j]!;
      orthogonality = Math.max(orthogonality, Math.abs(s - (r === q ? 1 : 0)));
    }
  }
  return { residual, orthogonality };
}

describe('eighDescending', () => {
  it('is a decomposition of a random symmetric matrix: A v = lambda v, V orthonormal, trace kept, values descending', () => {
    const n = 30;
    const a = randomGram(n, 40, 1);
    const ours = eighDescending(a, n);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i]!;
    expect(ours.values.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 8);
    for (let i = 1; i < n; i++) expect(ours.values[i]!).toBeLessThanOrEqual(ours.values[i - 1]!);
    const q = quality(a, n, ours.values, ours.vectors, n);
    expect(q.residual).toBeLessThan(1e-12);
    expect(q.orthogonality).toBeLessThan(1e-12);
  });

  it('handles 1 x 1 and zero matrices', () => {
    expect(Array.from(eighDescending(Float64Array.of(3), 1).values)).toEqual([3]);
    const z = eighDescending(new Float64Array(9), 3);
    expect(Array.from(z.values)).toEqual([0, 0, 0]);
    expect(quality(new Float64Array(9), 3, z.values, z.vectors, 3).orthogonality).toBeLessThan(1e-15);
  });
});

describe('eighTop', () => {
  it('gives all eigenvalues and the leading eigenvectors of a 100 x 100 Gram matrix, as the full decomposition', () => {
    const n = 100;
    const a = randomGram(n, 900, 2);
    const full = eighDescending(a, n);
    const top = eighTop(a, n, 8);
    for (let i = 0; i < n; i++) expect(Math.abs(top.values[i]! - full.values[i]!)).toBeLessThan(1e-10 * full.values[0]!);
    expect(top.vectors.length).toBe(8 * n);
    const q = quality(a, n, top.values, top.vectors, 8);
    expect(q.residual).toBeLessThan(1e-13);
    expect(q.orthogonality).toBeLessThan(1e-13);
    // Same vectors as the full decomposition, up to sign.
    for (let r = 0; r < 8; r++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += top.vectors[r * n + j]! * full.vectors[r * n + j]!;
      expect(Math.abs(s)).toBeCloseTo(1, 10);
    }
  });

  it('stays orthonormal on clustered and repeated eigenvalues', () => {
    const lambda = [10, 10 + 1e-12, 10 + 2e-12, 9, 9 + 1e-6, 5, 5, 5, 1, 0.5, 0.1, 0, 0, 0];
    lambda.sort((x, y) => y - x);
    const n = lambda.length;
    const a = withSpectrum(lambda, 3);
    const top = eighTop(a, n, 9);
    const q = quality(a, n, top.values, top.vectors, 9);
    expect(q.residual).toBeLessThan(1e-13);
    expect(q.orthogonality).toBeLessThan(1e-12);
    lambda.forEach((v, i) => expect(Math.abs(top.values[i]! - v)).toBeLessThan(1e-12));
  });

  it('is exact on a diagonal matrix and handles rank deficiency and zeros without NaN', () => {
    const d = Float64Array.from([1, 4, 2, 0, 3]);
    const a = new Float64Array(25);
    d.forEach((v, i) => (a[i * 5 + i] = v));
    const top = eighTop(a, 5, 5);
    expect(Array.from(top.values)).toEqual([4, 3, 2, 1, 0]);
    expect(quality(a, 5, top.values, top.vectors, 5).orthogonality).toBeLessThan(1e-14);
    const zero = eighTop(new Float64Array(36), 6, 4);
    for (const v of [...zero.values, ...zero.vectors]) expect(Number.isFinite(v)).toBe(true);
    expect(quality(new Float64Array(36), 6, zero.values, zero.vectors, 4).orthogonality).toBeLessThan(1e-14);
    const rank3 = randomGram(40, 3, 4);
    const r = eighTop(rank3, 40, 6);
    for (const v of r.vectors) expect(Number.isFinite(v)).toBe(true);
    expect(quality(rank3, 40, r.values, r.vectors, 6).orthogonality).toBeLessThan(1e-12);
    expect(r.values[3]! / r.values[0]!).toBeLessThan(1e-12);
  });

  const hasNumpy = spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  it.runIf(hasNumpy)('agrees with numpy.linalg.eigh', () => {
    const n = 60;
    const a = randomGram(n, 45, 5); // rank 45: a null space of dimension 15
    const run = spawnSync(
      '/usr/bin/python3',
      ['-c', 'import json,sys,numpy as np; d=json.load(sys.stdin); w,v=np.linalg.eigh(np.array(d["a"]).reshape(d["n"],d["n"])); json.dump({"w":w[::-1].tolist(),"v":v[:,::-1].T.ravel().tolist()},sys.stdout)'],
      { input: JSON.stringify({ a: Array.from(a), n }), encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    const ref = JSON.parse(run.stdout) as { w: number[]; v: number[] };
    const top = eighTop(a, n, 10);
    ref.w.forEach((v, i) => expect(Math.abs(top.values[i]! - v)).toBeLessThan(1e-10 * ref.w[0]!));
    for (let r = 0; r < 10; r++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += top.vectors[r * n + j]! * ref.v[r * n + j]!;
      expect(Math.abs(s)).toBeCloseTo(1, 9);
    }
  });
});

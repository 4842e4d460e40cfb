import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../util/random.js';
import { backwardDropping, choleskyDropping, dependenceTolerance, forwardDropping } from './cholesky-dropping.js';

/** X'X of n rows of ReLU-like features on a 1/16 grid (sums and doublings of columns stay exact). */
function gram(n: number, d: number, seed: number, tie?: (row: Float64Array) => void): Float64Array {
  const uniform = mulberry32(seed);
  const a = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < d; i++) row[i] = Math.max(0, Math.round(16 * (uniform() * 2 - 0.5)) / 16);
    tie?.(row);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) a[i * d + j]! += row[i]! * row[j]!;
  }
  return a;
}

const diagonal = (a: Float64Array, d: number) => new Float64Array(d).map((_, i) => a[i * d + i]!);

describe('rank-revealing Cholesky', () => {
  it('flags exactly the columns in the span of earlier ones (and constants given up front)', async () => {
    const d = 9;
    const a = gram(300, d, 11, (x) => {
      x[4] = x[1]! + x[2]!;
      x[7] = 2 * x[3]!;
    });
    const dependent = new Uint8Array(d);
    await choleskyDropping(a, d, diagonal(a, d), dependenceTolerance(d), dependent, 4);
    expect(Array.from(dependent)).toEqual([0, 0, 0, 0, 1, 0, 0, 1, 0]);
  });

  it('a definite system across blocks: L L\' = A and the two substitutions solve A X = B', async () => {
    const d = 150;
    const m = 3;
    const a = gram(400, d, 5);
    const l = a.slice();
    const dependent = new Uint8Array(d);
    const factor = await choleskyDropping(l, d, diagonal(a, d), dependenceTolerance(d), dependent, 64);
    expect(dependent.every((x) => x === 0)).toBe(true);
    let worst = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k <= j; k++) s += l[i * d + k]! * l[j * d + k]!;
        worst = Math.max(worst, Math.abs(s - a[i * d + j]!) / a[i * d + i]!);
      }
    }
    expect(worst).toBeLessThan(1e-12);
    const x = Float64Array.from({ length: d * m }, (_, i) => Math.sin(i));
    const b = new Float64Array(d * m);
    for (let i = 0; i < d; i++) for (let c = 0; c < m; c++) for (let k = 0; k < d; k++) b[i * m + c]! += a[i * d + k]! * x[k * m + c]!;
    await forwardDropping(l, d, b, m, factor);
    await backwardDropping(l, d, b, m, factor);
    const err = b.reduce((e, v, i) => Math.max(e, Math.abs(v - x[i]!)), 0);
    expect(err).toBeLessThan(1e-8);
  });
});

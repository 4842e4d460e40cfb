import { describe, expect, it } from 'vitest';
import { rankAverage } from './rank.js';
import { rdmVector, rsa } from './rsa.js';
import { hasScipy, reference, rng, type Layer } from './test-support/reference.js';

const N = 25;
function layer(seed: number, d: number, mix?: Layer): { values: Float32Array; width: number } {
  const r = rng(seed);
  const v = new Float32Array(N * d);
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < d; k++) v[i * d + k] = r.normal() + (mix ? (mix.values[i * mix.width + (k % mix.width)] as number) : 0) + k * 0.1;
  }
  return { values: v, width: d };
}
const A = [layer(1, 4), layer(2, 9)];
const B = [layer(3, 6, A[0]), layer(4, 3)];

describe('RSA', () => {
  it.skipIf(!hasScipy)('equals scipy on a small case: Pearson and Spearman of the 1 − Pearson RDMs', async () => {
    for (const correlation of ['pearson', 'spearman'] as const) {
      const ours = await rsa(A, B, N, correlation);
      const ref = reference('rsa', N, A, B, { correlation });
      expect(ours.length).toBe(4);
      for (let i = 0; i < 4; i++) expect(Math.abs(ours[i]! - ref[i]!)).toBeLessThan(1e-12);
      expect(ours[0]!).toBeGreaterThan(0.2); // A0 and B0 share structure
    }
  });

  it.skipIf(!hasScipy)('ranks ties by their average rank, as scipy.stats.rankdata', () => {
    const v = Float64Array.of(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 0.5, 9);
    expect(Array.from(rankAverage(v))).toEqual(reference('rankdata', 1, [{ values: v, width: v.length }], []));
    // Many ties, values one ulp apart (they share the upper mantissa bits the index replaces), ±0, negatives.
    const r = rng(5);
    const w = Float64Array.from({ length: 20000 }, (_, i) => {
      const base = Math.floor(r.uniform() * 40) / 7 - 1;
      return i % 3 === 0 ? base : i % 3 === 1 ? base * (1 + 2 ** -52) : i % 100 === 2 ? -0 : base + r.uniform() * 1e-12;
    });
    expect(Array.from(rankAverage(w))).toEqual(reference('rankdata', 1, [{ values: w, width: w.length }], []));
  });

  it('a layer against itself is 1; an image without variance makes its RDM undefined', async () => {
    const self = await rsa(A, A, N, 'pearson');
    expect(Math.abs(self[0]! - 1)).toBeLessThan(1e-12);
    expect(Math.abs(self[3]! - 1)).toBeLessThan(1e-12);
    const flat = Float32Array.from(A[0]!.values);
    flat.fill(2, 0, 4); // image 0: the same value in all 4 features
    const v = await rdmVector(flat, N, 4, 'spearman');
    expect(v.constant).toBe(1);
    expect(Number.isNaN(v.u[0])).toBe(true);
  });
});

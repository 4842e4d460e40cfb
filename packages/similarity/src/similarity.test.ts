import { describe, expect, it } from 'vitest';
import { meanOffDiagonal, similarityMatrices } from './similarity.js';

describe('similarityMatrices', () => {
  it('matches hand-computed Pearson and Euclidean values', async () => {
    // rows: a = [1,2,3], b = [2,4,6] (r = 1), c = [3,2,1] (r = −1 with a).
    const x = Float64Array.of(1, 2, 3, 2, 4, 6, 3, 2, 1);
    const { pearson, euclidean, constantRows } = await similarityMatrices(x, 3, 3);
    expect(constantRows).toBe(0);
    const want = [1, 1, -1, 1, 1, -1, -1, -1, 1];
    want.forEach((w, i) => expect(pearson[i]).toBeCloseTo(w, 14));
    expect(euclidean[1]).toBeCloseTo(Math.sqrt(1 + 4 + 9), 14);
    expect(euclidean[2]).toBeCloseTo(Math.sqrt(8), 14);
    expect(euclidean[5]).toBeCloseTo(Math.sqrt(1 + 4 + 25), 14);
  });

  it('is symmetric with unit (Pearson) and zero (Euclidean) diagonal, r in [−1, 1]', async () => {
    const n = 7;
    const k = 5;
    let seed = 1;
    const x = Float64Array.from({ length: n * k }, () => ((seed = (seed * 16807) % 2147483647) % 11));
    const { pearson, euclidean } = await similarityMatrices(x, n, k);
    for (let i = 0; i < n; i++) {
      expect(pearson[i * n + i]).toBe(1);
      expect(euclidean[i * n + i]).toBe(0);
      for (let j = 0; j < n; j++) {
        expect(pearson[i * n + j]).toBe(pearson[j * n + i]);
        expect(euclidean[i * n + j]).toBe(euclidean[j * n + i]);
        expect(Math.abs(pearson[i * n + j]!)).toBeLessThanOrEqual(1);
        expect(euclidean[i * n + j]).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('gives the same Pearson from the exact integer path as from the centred path', async () => {
    // Shifting every value by 0.5 leaves Pearson unchanged but sends it down the centred path.
    const n = 9;
    const k = 40;
    let seed = 7;
    const counts = Float64Array.from({ length: n * k }, () => ((seed = (seed * 16807) % 2147483647) % 13));
    counts.fill(3, 2 * k, 3 * k); // one constant row
    const exact = await similarityMatrices(counts, n, k);
    const centred = await similarityMatrices(counts.map((v) => v + 0.5), n, k);
    expect(exact.constantRows).toBe(1);
    expect(centred.constantRows).toBe(1);
    exact.pearson.forEach((r, i) => expect(r).toBeCloseTo(centred.pearson[i]!, 13));
    exact.euclidean.forEach((d, i) => expect(d).toBeCloseTo(centred.euclidean[i]!, 12));
  });

  it('gives a constant row correlation 0 with others (never NaN)', async () => {
    const { pearson, constantRows } = await similarityMatrices(Float64Array.of(2, 2, 2, 1, 0, 3), 2, 3);
    expect(constantRows).toBe(1);
    expect([...pearson]).toEqual([1, 0, 0, 1]);
  });
});

describe('meanOffDiagonal', () => {
  it('averages the n(n−1) off-diagonal entries; NaN for one neuron', () => {
    expect(meanOffDiagonal(Float64Array.of(1, 2, 4, 1), 2)).toBe(3);
    expect(meanOffDiagonal(Float64Array.of(1), 1)).toBeNaN();
  });
});

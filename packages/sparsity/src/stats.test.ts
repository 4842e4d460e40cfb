import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { erfc, flatness, gini, neuronStats, twoSidedP } from './stats.js';

describe('gini', () => {
  it('is 1 − 1/N for one-hot, 0 for uniform, NaN for all-zero', () => {
    for (const n of [2, 5, 10]) {
      const oneHot = new Array<number>(n).fill(0);
      oneHot[n - 2] = 7;
      expect(gini(oneHot)).toBeCloseTo(1 - 1 / n, 14);
      expect(gini(new Array<number>(n).fill(3))).toBeCloseTo(0, 14);
    }
    expect(gini([0, 0, 0])).toBeNaN();
  });

  it('matches a hand computation and is scale and order invariant', () => {
    // [1,2,3]/6, N=3: Σ = (1/6)(2.5/3) + (2/6)(1.5/3) + (3/6)(0.5/3) = 7/18; G = 1 − 14/18 = 2/9.
    expect(gini([3, 1, 2])).toBeCloseTo(2 / 9, 15);
    expect(gini([30, 10, 20])).toBeCloseTo(gini([1, 2, 3]), 15);
  });
});

describe('flatness', () => {
  it('is 1 for uniform, near 0 for one-hot, −1 for all-zero', () => {
    expect(flatness([4, 4, 4, 4])).toBeCloseTo(1, 14);
    expect(flatness([0, 0, 9, 0])).toBeGreaterThanOrEqual(0);
    expect(flatness([0, 0, 9, 0])).toBeLessThan(1e-5);
    expect(flatness([0, 0, 0])).toBe(-1);
    expect(flatness([5])).toBeNaN();
  });

  it('matches a hand computation of equation (1)', () => {
    // [1, 1, 2]: p ≈ (1/4, 1/4, 1/2), H = 1.5 bits, log2 3 bits: F = 2^(1.5/log2 3) − 1.
    const e = 1e-7;
    const p = [1 + e, 1 + e, 2 + e].map((c) => c / (4 + 3 * e));
    const h = -p.reduce((s, q) => s + q * Math.log2(q), 0) / Math.log2(3);
    expect(flatness([1, 1, 2])).toBeCloseTo(2 ** h - 1, 15);
    expect(flatness([1, 1, 2])).toBeCloseTo(2 ** (1.5 / Math.log2(3)) - 1, 6);
  });
});

describe('erfc', () => {
  it('matches known values to double precision', () => {
    const known: [number, number][] = [
      [0, 1],
      [0.5, 0.4795001221869534623],
      [1, 0.1572992070502851307],
      [2, 0.004677734981047265838],
      [3, 2.209049699858544137e-5],
      [5, 1.537459794428034850e-12],
      [-1, 1.842700792949714869],
    ];
    for (const [x, want] of known) expect(Math.abs(erfc(x) - want) / want).toBeLessThan(1e-13);
  });

  it('agrees with python math.erfc on a grid', () => {
    const xs = Array.from({ length: 121 }, (_, i) => i / 20);
    const py = spawnSync('/usr/bin/python3', ['-c', `import math,json;print(json.dumps([math.erfc(x) for x in ${JSON.stringify(xs)}]))`], {
      encoding: 'utf8',
    });
    expect(py.status).toBe(0);
    const want = JSON.parse(py.stdout) as number[];
    xs.forEach((x, i) => expect(Math.abs(erfc(x) - want[i]!)).toBeLessThanOrEqual(1e-15 * Math.max(1, want[i]! * 1e3)));
  });

  it('gives two-sided p-values: 1 at the mean, ≈0.0455 at 2 sd, 1 when sd is 0', () => {
    expect(twoSidedP(3, 3, 2)).toBe(1);
    expect(twoSidedP(7, 3, 2)).toBeCloseTo(0.04550026389635842, 14);
    expect(twoSidedP(-1, 3, 2)).toBeCloseTo(0.04550026389635842, 14);
    expect(twoSidedP(5, 3, 0)).toBe(1);
  });
});

describe('neuronStats', () => {
  it('computes MF, its normalisation, facets and p-values per layer, with NaN for undefined rows', () => {
    const rows = [
      [5, 0, 0], // a: one-hot
      [3, 2, 0], // a
      [1, 1, 3], // a
      [2, 2, 2], // a: zero sparsity → undefined
      [0, 0, 0], // b: no response → undefined
      [4, 1, 0], // b
    ];
    const layers = ['a', 'a', 'a', 'a', 'b', 'b'];
    const s = neuronStats(rows.flat(), 3, layers);
    expect(s.undefinedRows).toBe(2);
    const mf = rows.map((r) => flatness(r) / gini(r));
    [0, 1, 2, 5].forEach((i) => expect(s.mf[i]).toBeCloseTo(mf[i]!, 14));
    expect(s.mf[3]).toBeNaN();
    expect(s.mf[4]).toBeNaN();
    expect(s.flatness[4]).toBe(-1);
    expect(s.gini[4]).toBeNaN();
    const defined = [0, 1, 2, 5].map((i) => mf[i]!);
    const lo = Math.min(...defined);
    const hi = Math.max(...defined);
    [0, 1, 2, 5].forEach((i) => expect(s.mfNorm[i]).toBeCloseTo((mf[i]! - lo) / (hi - lo), 14));
    const layerA = [0, 1, 2].map((i) => mf[i]!);
    const mean = layerA.reduce((x, y) => x + y) / 3;
    const sd = Math.sqrt(layerA.reduce((x, y) => x + (y - mean) ** 2, 0) / 3);
    expect(s.facet).toEqual([0, 1, 2].map((i): 'MF' | 'SF' | null => (mf[i]! > mean ? 'MF' : 'SF')).concat([null, null, 'SF']));
    [0, 1, 2].forEach((i) => expect(s.pValue[i]).toBeCloseTo(erfc(Math.abs(mf[i]! - mean) / (sd * Math.SQRT2)), 14));
    expect(s.pValue[5]).toBe(1); // alone in its layer: sd 0
  });
});

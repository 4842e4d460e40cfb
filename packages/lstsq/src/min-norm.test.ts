import { describe, expect, it } from 'vitest';
import { GramAccumulator, solveGram, type AffineMap } from './normal.js';
import { asNumpyCoef, maxRelDiff, numpyLstsq, predict, rng } from './test-support/fixtures.js';
import { gridFeatures, illConditioned, targets } from './test-support/synthetic.js';

async function fit(x: Float64Array, y: Float64Array, n: number, da: number, db: number): Promise<AffineMap> {
  const acc = new GramAccumulator(da, db, 97);
  await acc.add(x, y, n);
  return solveGram(await acc.finish());
}

function agreement(map: AffineMap, x: Float64Array, y: Float64Array, n: number) {
  const { da, db } = map;
  const ref = numpyLstsq(x, y, n, da, db);
  const ours = asNumpyCoef(map.weights, map.bias, da, db);
  return {
    rank: ref.rank,
    coef: maxRelDiff(ours, ref.coef),
    predictions: maxRelDiff(predict(x, ours, n, da, db), predict(x, ref.coef, n, da, db)),
  };
}

describe('lstsq against numpy.linalg.lstsq (default rcond)', () => {
  it('full rank: coefficients to 1e-12', async () => {
    const r = rng(1);
    const [n, da, db] = [400, 20, 6];
    const x = gridFeatures(r, n, da);
    const y = targets(r, x, n, da, db);
    const map = await fit(x, y, n, da, db);
    const a = agreement(map, x, y, n);
    expect(a.rank).toBe(da + 1);
    expect(map.dependent).toEqual([]);
    expect(a.coef).toBeLessThan(1e-12);
  });

  it('dead, constant, duplicated, doubled and collinear units: the minimum-norm solution', async () => {
    const r = rng(2);
    const [n, da, db] = [500, 24, 5];
    const x = gridFeatures(r, n, da);
    for (let i = 0; i < n; i++) {
      const o = i * da;
      x[o + 3] = 0; // dead
      x[o + 6] = 4; // constant: collinear with the bias
      x[o + 9] = x[o + 2]!; // duplicated
      x[o + 12] = 2 * x[o + 5]!; // doubled
      x[o + 20] = x[o + 1]! - 2 * x[o + 8]! + x[o + 10]!; // collinear
    }
    const y = targets(r, x, n, da, db);
    const map = await fit(x, y, n, da, db);
    const a = agreement(map, x, y, n);
    expect(a.rank).toBe(da + 1 - 5);
    expect(map.dependent).toEqual([3, 6, 9, 12, 20]);
    // Equal coefficients (not only predictions): the same minimum-norm point, so the same
    // predictions on rows outside the training span too.
    expect(a.coef).toBeLessThan(1e-10);
    expect(a.predictions).toBeLessThan(1e-12);
  });

  it('dependencies across factorisation blocks (300 dimensions, blocks of 128)', async () => {
    const r = rng(5);
    const [n, da, db] = [900, 300, 3];
    const x = gridFeatures(r, n, da);
    for (let i = 0; i < n; i++) {
      const o = i * da;
      x[o + 150] = 0;
      x[o + 200] = x[o + 5]!;
      x[o + 290] = x[o + 10]! + x[o + 130]! - x[o + 250]!;
    }
    const y = targets(r, x, n, da, db);
    const map = await fit(x, y, n, da, db);
    const a = agreement(map, x, y, n);
    expect(a.rank).toBe(da + 1 - 3);
    expect(map.dependent).toEqual([150, 200, 290]);
    expect(a.coef).toBeLessThan(1e-9);
    expect(a.predictions).toBeLessThan(1e-11);
  });

  it('more dimensions than rows', async () => {
    const r = rng(3);
    const [n, da, db] = [30, 50, 4];
    const x = gridFeatures(r, n, da);
    const y = targets(r, x, n, da, db);
    const map = await fit(x, y, n, da, db);
    const a = agreement(map, x, y, n);
    expect(a.rank).toBe(n);
    expect(map.dependent!.length).toBe(da + 1 - n);
    expect(a.coef).toBeLessThan(1e-10);
    expect(a.predictions).toBeLessThan(1e-12);
  });

  // The normal equations square the condition number: with noise in y the predictions
  // differ from numpy's SVD answer by ~1e-17 cond² (measured: 2.8e-13 at 1e2, 1.2e-9 at
  // 1e4, 5.5e-6 at 1e6, 1.0e-3 at 1e7, 1.1e-2 at 1e8, where the smallest direction drowns
  // in the Gram's roundoff and is dropped). The bounds are those figures with a margin.
  const bounds: [number, number][] = [
    [1e2, 1e-11],
    [1e4, 1e-8],
    [1e6, 5e-5],
    [1e7, 1e-2],
    [1e8, 5e-2],
  ];
  it.each(bounds)('ill-conditioned, cond %d: predictions within %d', async (cond, bound) => {
    const r = rng(4);
    const [n, da, db] = [1000, 40, 6];
    const x = illConditioned(r, n, da, cond);
    const y = targets(r, x, n, da, db);
    const map = await fit(x, y, n, da, db);
    const a = agreement(map, x, y, n);
    expect(a.rank).toBe(da + 1);
    expect(a.predictions).toBeLessThan(bound);
  });
});

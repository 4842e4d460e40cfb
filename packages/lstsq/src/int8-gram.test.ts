import { describe, expect, it } from 'vitest';
import type { SliceDigits } from '@cnnpipe/core';
import { GramAccumulator, parseGramChoice, solveGram, type AffineMap } from './normal.js';
import { asNumpyCoef, maxRelDiff, numpyLstsq, predict, rng } from './test-support/fixtures.js';
import { gridFeatures, illConditioned, targets } from './test-support/synthetic.js';

/**
 * lstsq's Gram through core's exact int8 digit products (--gram int8), forced on whatever the
 * CPU, on float32 data, against numpy.linalg.lstsq on the same float32 values.
 */
async function fitInt8(x: Float32Array, y: Float32Array, n: number, da: number, db: number, blockRows = 97, digits?: SliceDigits) {
  const acc = new GramAccumulator(da, db, blockRows, 'int8', digits);
  await acc.add(x, y, n);
  const map = await solveGram(await acc.finish());
  return { map, blocks: acc.blocks };
}

function agreement(map: AffineMap, x: Float32Array, y: Float32Array, n: number) {
  const { da, db } = map;
  const ref = numpyLstsq(Float64Array.from(x), Float64Array.from(y), n, da, db);
  const ours = asNumpyCoef(map.weights, map.bias, da, db);
  return {
    rank: ref.rank,
    coef: maxRelDiff(ours, ref.coef),
    predictions: maxRelDiff(predict(x, ours, n, da, db), predict(x, ref.coef, n, da, db)),
  };
}

const f32 = (a: Float64Array) => Float32Array.from(a);

describe('lstsq fit with the int8 digit products (--gram int8) against numpy', () => {
  it('random float32 features of either sign, blocks not full (1000 rows in blocks of 97): predictions to 1e-7', async () => {
    const r = rng(11);
    const [n, da, db] = [1000, 30, 5];
    const x = Float32Array.from({ length: n * da }, (_, i) => r.normal() * (1 + (i % da)) - 0.3);
    const y = f32(targets(r, Float64Array.from(x), n, da, db));
    const { map, blocks } = await fitInt8(x, y, n, da, db);
    expect(blocks).toEqual({ int8: 11, float64: 0 });
    const a = agreement(map, x, y, n);
    expect(a.rank).toBe(da + 1);
    expect(a.predictions).toBeLessThan(1e-7);
    expect(a.coef).toBeLessThan(1e-6);
  });

  it('a dead unit and a duplicated unit: the minimum-norm map to 1e-6 with both dependent', async () => {
    const r = rng(12);
    const [n, da, db] = [800, 16, 4];
    const x = f32(gridFeatures(r, n, da));
    for (let i = 0; i < n; i++) {
      x[i * da + 3] = 0;
      x[i * da + 9] = x[i * da + 2]!;
    }
    const y = f32(targets(r, Float64Array.from(x), n, da, db));
    const { map } = await fitInt8(x, y, n, da, db);
    const a = agreement(map, x, y, n);
    expect(a.rank).toBe(da + 1 - 2);
    expect(map.dependent).toEqual([3, 9]);
    expect(a.predictions).toBeLessThan(1e-6);
    expect(a.coef).toBeLessThan(1e-6);
  });

  it('a unit with one outlier 1e4 times its other values, an all-zero unit and negative values', async () => {
    const r = rng(13);
    const [n, da, db] = [900, 12, 3];
    const x = Float32Array.from({ length: n * da }, () => r.normal() - 0.5);
    for (let i = 0; i < n; i++) x[i * da + 7] = 0;
    x[123 * da + 4] = 1e4 * Math.abs(x[123 * da + 4]! + 1);
    const y = f32(targets(r, Float64Array.from(x), n, da, db));
    const { map } = await fitInt8(x, y, n, da, db);
    const a = agreement(map, x, y, n);
    expect(map.dependent).toEqual([7]);
    expect(a.predictions).toBeLessThan(1e-7);
  });

  // The normal equations square the condition number: at cond 1e4 the Gram must be good to
  // ~1e-15, which took 7 digits for X and 6 for Y (core's DEFAULT_SLICE_DIGITS).
  it.each([1e2, 1e3, 1e4])('ill-conditioned float32 features, cond %d: predictions to 1e-7', async (cond) => {
    const r = rng(4);
    const [n, da, db] = [1000, 40, 6];
    const x = f32(illConditioned(r, n, da, cond));
    const y = f32(targets(r, Float64Array.from(x), n, da, db));
    const { map } = await fitInt8(x, y, n, da, db, 256);
    const a = agreement(map, x, y, n);
    expect(a.rank).toBe(da + 1);
    expect(a.predictions).toBeLessThan(1e-7);
  });

  it('float64 inputs keep the float64 path', async () => {
    const r = rng(14);
    const x = Float64Array.from({ length: 200 * 5 }, () => r.normal());
    const acc = new GramAccumulator(5, 2, 64, 'int8');
    await acc.add(x, targets(r, x, 200, 5, 2), 200);
    await acc.finish();
    expect(acc.blocks).toEqual({ int8: 0, float64: 4 });
  });
});

describe('--gram int8:D[,E]: fewer digits, a larger perturbation', () => {
  it('parses the path and the digits per source and target value', () => {
    expect(parseGramChoice('auto')?.path).toBe('auto');
    expect(parseGramChoice('float64')?.path).toBe('float64');
    expect(parseGramChoice('int8')).toEqual({ path: 'int8', digits: { x: 7, y: 6 } });
    expect(parseGramChoice('int8:4')).toEqual({ path: 'int8', digits: { x: 4, y: 4 } });
    expect(parseGramChoice('int8:5,3')).toEqual({ path: 'int8', digits: { x: 5, y: 3 } });
    for (const bad of ['int8:1', 'int8:9', 'int8:4,', 'int8:', 'int4', 'float32']) expect(parseGramChoice(bad)).toBeUndefined();
  });

  it('the difference from numpy shrinks with every digit added (cond 1e3), and 7/6 digits are within 1e-7', async () => {
    const r = rng(5);
    const [n, da, db] = [1000, 30, 4];
    const x = f32(illConditioned(r, n, da, 1e3));
    const y = f32(targets(r, Float64Array.from(x), n, da, db));
    const off: number[] = [];
    for (const digits of [{ x: 2, y: 2 }, { x: 3, y: 3 }, { x: 4, y: 4 }, { x: 7, y: 6 }]) {
      const { map } = await fitInt8(x, y, n, da, db, 250, digits);
      off.push(agreement(map, x, y, n).predictions);
    }
    for (let i = 1; i < off.length; i++) expect(off[i]!).toBeLessThan(off[i - 1]!);
    expect(off[0]!).toBeGreaterThan(1e-4);
    expect(off[3]!).toBeLessThan(1e-7);
  });
});

import { describe, expect, it } from 'vitest';
import { GramAccumulator, solveGram } from './normal.js';
import { panelStarts } from './gram-graph.js';
import { rng } from './test-support/fixtures.js';

describe('solveGram', () => {
  it('an exact affine relation is recovered with R² = 1', async () => {
    const acc = new GramAccumulator(3, 2, 16);
    const r = rng(4);
    const x = new Float64Array(100 * 3).map(() => r.normal());
    const y = new Float64Array(100 * 2);
    for (let i = 0; i < 100; i++) {
      y[i * 2] = 2 * x[i * 3]! - x[i * 3 + 2]! + 1;
      y[i * 2 + 1] = 0.5 * x[i * 3 + 1]! - 3;
    }
    await acc.add(x, y, 100);
    const map = await solveGram(await acc.finish());
    const want = [2, 0, -1, 0, 0.5, 0];
    map.weights.forEach((w, i) => expect(w).toBeCloseTo(want[i]!, 10));
    expect(map.bias[0]).toBeCloseTo(1, 10);
    expect(map.bias[1]).toBeCloseTo(-3, 10);
    expect(map.r2Total).toBeCloseTo(1, 10);
    expect(map.rows).toBe(100);
  });
});

describe('GramAccumulator', () => {
  it('float32 rows in uneven pieces give the exact float64 augmented Gram (4 symmetric panels)', async () => {
    const [n, da, db] = [700, 300, 7];
    expect(panelStarts(da).length - 1).toBe(4);
    const r = rng(8);
    const x = new Float32Array(n * da).map(() => r.normal() + 1);
    const y = new Float32Array(n * db).map(() => r.normal());
    const acc = new GramAccumulator(da, db, 256);
    for (const [lo, hi] of [[0, 100], [100, 101], [101, 600], [600, 700]] as const) {
      await acc.add(x.subarray(lo * da, hi * da), y.subarray(lo * db, hi * db), hi - lo);
    }
    const g = await acc.finish();
    expect(g.n).toBe(n);
    const a1 = da + 1;
    const xa = (i: number, k: number) => (k === da ? 1 : x[i * da + k]!);
    let worst = 0;
    for (let k = 0; k < a1; k++) {
      for (let l = 0; l < a1; l++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += xa(i, k) * xa(i, l);
        worst = Math.max(worst, Math.abs(g.xtx[k * a1 + l]! - s) / Math.max(1, Math.abs(s)));
      }
      for (let j = 0; j < db; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += xa(i, k) * y[i * db + j]!;
        worst = Math.max(worst, Math.abs(g.xty[k * db + j]! - s) / Math.max(1, Math.abs(s)));
      }
    }
    for (let j = 0; j < db; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += y[i * db + j]! ** 2;
      worst = Math.max(worst, Math.abs(g.yy[j]! - s) / s);
    }
    expect(worst).toBeLessThan(1e-12);
  });
});

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { boxStats, quantileSorted } from './quartiles.js';

describe('boxStats', () => {
  it('hand-computed: 1 2 3 4', () => {
    // positions 0.75, 1.5, 2.25 between the order statistics
    expect(boxStats([4, 1, 3, 2])).toEqual({ count: 4, mean: 2.5, min: 1, q1: 1.75, median: 2.5, q3: 3.25, max: 4 });
  });

  it('hand-computed: 5 values falls on order statistics', () => {
    expect(boxStats([10, 0, 30, 20, 40])).toEqual({ count: 5, mean: 20, min: 0, q1: 10, median: 20, q3: 30, max: 40 });
  });

  it('one value and none', () => {
    expect(boxStats([0.3])).toEqual({ count: 1, mean: 0.3, min: 0.3, q1: 0.3, median: 0.3, q3: 0.3, max: 0.3 });
    expect(boxStats([])).toBeUndefined();
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it("matches numpy's default (linear) quantiles", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const samples = [2, 3, 6, 7, 10, 101].map((n) => Array.from({ length: n }, () => Math.round(rand() * 1e6) / 1e6));
    const script =
      'import json,sys,numpy as np\n' +
      'xs=json.load(sys.stdin)\n' +
      'print(json.dumps([[float(v) for v in np.quantile(np.array(x),[0,0.25,0.5,0.75,1])]+[float(np.mean(x))] for x in xs]))';
    const out = execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(samples) }).toString();
    const expected = JSON.parse(out) as number[][];
    samples.forEach((sample, k) => {
      const s = boxStats(sample)!;
      const [min, q1, median, q3, max, mean] = expected[k]!;
      expect(s.min).toBe(min);
      expect(s.q1).toBeCloseTo(q1!, 12);
      expect(s.median).toBeCloseTo(median!, 12);
      expect(s.q3).toBeCloseTo(q3!, 12);
      expect(s.max).toBe(max);
      expect(s.mean).toBeCloseTo(mean!, 12);
    });
  });
});

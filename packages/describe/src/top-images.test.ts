import { describe, expect, it } from 'vitest';
import { BestConcepts } from './best-concepts.js';
import { topImages } from './top-images.js';

describe('topImages', () => {
  it('strongest first, ties to the earlier image, per neuron (a stable sort of the values, descending)', () => {
    const n = 50;
    const neurons = 3;
    const values = Float64Array.from({ length: neurons * n }, (_, i) => Math.floor(((i * 7919) % 97) / 10));
    const got = topImages(values, neurons, n, 12);
    for (let k = 0; k < neurons; k++) {
      const v = values.subarray(k * n, (k + 1) * n);
      const want = Array.from({ length: n }, (_, x) => x).sort((a, b) => v[b]! - v[a]! || a - b).slice(0, 12);
      expect(Array.from(got.subarray(k * 12, (k + 1) * 12))).toEqual(want);
    }
  });
});

describe('BestConcepts', () => {
  it('keeps the best concepts over blocks, best first, the earlier of equal scores first, never NaN', () => {
    const best = new BestConcepts(1, 3);
    best.offer(0, Float64Array.of(0.5, Number.NaN, 2, 0.5), 0, 4, 0);
    best.offer(0, Float64Array.of(9, 2, 1), 1, 2, 4); // concepts 4, 5 get scores 2 and 1
    expect(Array.from(best.concept)).toEqual([2, 4, 5]);
    expect(Array.from(best.score)).toEqual([2, 2, 1]);
  });
});

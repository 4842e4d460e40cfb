import { describe, expect, it } from 'vitest';
import { CofCounter, dominantClass } from './cof.js';

describe('CofCounter', () => {
  it('counts classes per (layer, neuron), totals include unknown classes', () => {
    const c = new CofCounter(3);
    c.add('b', 1, 0);
    c.add('a', 0, 2);
    c.add('b', 0, 2);
    c.add('b', 1, 0);
    c.add('b', 1, -1);
    expect(c.unknown).toBe(1);
    expect(c.rows().map((r) => [r.layer, r.neuron, [...r.counts], r.total])).toEqual([
      ['b', 0, [0, 0, 1], 1],
      ['b', 1, [2, 0, 0], 3],
      ['a', 0, [0, 0, 1], 1],
    ]);
    expect(c.rows(['a', 'b']).map((r) => r.layer)).toEqual(['a', 'b', 'b']);
  });
});

describe('dominantClass', () => {
  it('takes the most frequent class, the first on ties, with its share of the total', () => {
    expect(dominantClass(Int32Array.of(1, 3, 3, 0), 8)).toEqual({ index: 1, share: 3 / 8 });
    expect(dominantClass(Int32Array.of(0, 0), 2)).toEqual({ index: -1, share: 0 });
  });
});

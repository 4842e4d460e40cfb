import { describe, expect, it } from 'vitest';
import { NeuronHeaps, offerBlock } from './heap.js';
import { rng } from './test-support/activations.js';

/** Reference: sort every row index by value (desc, or asc for bottom), ties by index, take k. */
function reference(values: Float32Array, rows: number, c: number, n: number, k: number, bottom: boolean): number[] {
  const idx = Array.from({ length: rows }, (_, r) => r).filter((r) => !Number.isNaN(values[r * c + n]!));
  idx.sort((a, b) => (bottom ? values[a * c + n]! - values[b * c + n]! : values[b * c + n]! - values[a * c + n]!) || a - b);
  return idx.slice(0, k);
}

describe('NeuronHeaps', () => {
  it('keeps the k largest, best first, earlier row winning ties', () => {
    const heaps = new NeuronHeaps<number>(1, 3);
    const values = [1, 5, 3, 5, 2, 5, 4];
    values.forEach((v, i) => heaps.offer(0, v, i, -1, i));
    expect(heaps.sorted(0).map((e) => [e.value, e.payload])).toEqual([
      [5, 1],
      [5, 3],
      [5, 5],
    ]);
  });

  it('keeps the k smallest with bottom, and never keeps NaN', () => {
    const heaps = new NeuronHeaps<number>(1, 2, true);
    [3, NaN, 1, 2, 1, -0.5].forEach((v, i) => heaps.offer(0, v, i, i * 10, i));
    expect(heaps.sorted(0).map((e) => [e.value, e.payload, e.extra])).toEqual([
      [-0.5, 5, 50],
      [1, 2, 20],
    ]);
  });

  it('holds fewer than k when fewer came', () => {
    const heaps = new NeuronHeaps<string>(2, 5);
    heaps.offer(1, 2, 0, -1, 'a');
    expect(heaps.count(0)).toBe(0);
    expect(heaps.sorted(1).map((e) => e.payload)).toEqual(['a']);
  });

  it('grows without losing entries', () => {
    const heaps = new NeuronHeaps<number>(1, 2);
    heaps.offer(0, 1, 0, -1, 0);
    heaps.offer(0, 2, 1, -1, 1);
    heaps.grow(4);
    heaps.offer(3, 7, 2, -1, 2);
    heaps.offer(0, 0.5, 3, -1, 3);
    expect(heaps.sorted(0).map((e) => e.payload)).toEqual([1, 0]);
    expect(heaps.sorted(3).map((e) => e.payload)).toEqual([2]);
  });

  it('rejects k < 1', () => {
    expect(() => new NeuronHeaps(1, 0)).toThrow(/positive integer/);
  });

  for (const bottom of [false, true]) {
    it(`offerBlock matches a full sort on random data with many ties (bottom=${bottom})`, () => {
      const random = rng(bottom ? 7 : 3);
      const rows = 400;
      const c = 16;
      const k = 10;
      // Few distinct values: many ties, so the tie rule is exercised.
      const values = Float32Array.from({ length: rows * c }, () => Math.floor(random() * 12) / 4);
      const extras = Int32Array.from({ length: rows * c }, (_, i) => i);
      const heaps = new NeuronHeaps<number>(c, k, bottom);
      // Three uneven blocks, as batches arrive.
      for (const [start, end] of [
        [0, 37],
        [37, 250],
        [250, 400],
      ] as const) {
        offerBlock(heaps, values.subarray(start * c, end * c), end - start, start, (r) => start + r, extras.subarray(start * c, end * c));
      }
      for (let n = 0; n < c; n++) {
        const got = heaps.sorted(n);
        const want = reference(values, rows, c, n, k, bottom);
        expect(got.map((e) => e.payload)).toEqual(want);
        expect(got.map((e) => e.value)).toEqual(want.map((r) => values[r * c + n]));
        expect(got.map((e) => e.extra)).toEqual(want.map((r) => r * c + n));
      }
    });
  }
});

import { describe, expect, it } from 'vitest';
import type { Layer, Neuron } from './data.js';
import { betterConcept } from './data.js';
import { conceptOf, dominantClass, mostSimilar, summarizeLayer } from './summary.js';

const neuron = (n: number, extra: Partial<Neuron> = {}): Neuron => ({ layer: 'l', neuron: n, top: [], components: [], ...extra });

describe('layer summaries', () => {
  // Three neurons; Pearson matrix rows in the similarity table's order 2, 0, 1.
  const m = [
    [1, 0.5, -0.2],
    [0.5, 1, 0.8],
    [-0.2, 0.8, 1],
  ];
  const layer: Layer = {
    name: 'l',
    similarityOrder: [2, 0, 1],
    neurons: [
      neuron(0, { similarity: Float64Array.from(m[1]!), counts: Int32Array.from([1, 9]), stats: { gini: 0.8, flatness: 0.1, mf: 0.1, mfNorm: 0.1, facet: 'SF', pValue: 0.5 } }),
      neuron(1, { similarity: Float64Array.from(m[2]!), counts: Int32Array.from([5, 5]), stats: { gini: 0.1, flatness: 0.9, mf: 1, mfNorm: 0.9, facet: 'MF', pValue: 0.5 } }),
      neuron(2, { similarity: Float64Array.from(m[0]!), counts: Int32Array.from([0, 4]), concept: { name: 'stripes', score: 0.3 }, stats: { gini: 0.9, flatness: 0.1, mf: 0.1, mfNorm: 0.1, facet: 'SF', pValue: 0.5 } }),
    ],
  };

  it('counts facets, averages off-diagonal Pearson and tallies concepts', () => {
    const s = summarizeLayer(layer, ['cat', 'dog']);
    expect(s).toMatchObject({ neurons: 3, sf: 2, mf: 1 });
    expect(s.meanPearson).toBeCloseTo((0.5 - 0.2 + 0.8) / 3, 12);
    // neuron 0: dog; neuron 1: tie -> cat (lower index); neuron 2: its concepts label.
    expect(s.concepts).toEqual([
      { name: 'cat', neurons: 1 },
      { name: 'dog', neurons: 1 },
      { name: 'stripes', neurons: 1 },
    ]);
  });

  it('lists the most similar neurons by Pearson, mapping columns through the table order', () => {
    expect(mostSimilar(layer.neurons[1]!, layer, 5)).toEqual([
      { neuron: 0, pearson: 0.8 },
      { neuron: 2, pearson: -0.2 },
    ]);
    expect(mostSimilar(layer.neurons[0]!, layer, 1)).toEqual([{ neuron: 1, pearson: 0.8 }]);
  });

  it('labels a neuron by its dominant class share when no concept is given', () => {
    expect(dominantClass([1, 9], ['cat', 'dog'])).toEqual({ name: 'dog', score: 0.9, source: 'cof' });
    expect(dominantClass([0, 0], ['cat', 'dog'])).toBeUndefined();
    expect(conceptOf(layer.neurons[2]!, ['cat', 'dog'])).toEqual({ name: 'stripes', score: 0.3, source: 'concepts' });
  });

  it('keeps the best-scoring label when a concepts table has several for one unit', () => {
    const a = { name: 'stripes', score: 0.2 };
    const b = { name: 'dots', score: 0.5 };
    expect(betterConcept(undefined, a)).toBe(a);
    expect(betterConcept(a, b)).toBe(b);
    expect(betterConcept(b, a)).toBe(b);
    expect(betterConcept(b, { name: 'tie', score: 0.5 })).toBe(b);
    expect(betterConcept({ name: 'unscored', score: Number.NaN }, a)).toBe(a);
    expect(betterConcept(a, { name: 'unscored', score: Number.NaN })).toBe(a);
  });
});

import { describe, expect, it } from 'vitest';
import {
  compareSets,
  conceptsReport,
  indexModel,
  perLayerReport,
  scoresReport,
  summaryReport,
  topConcepts,
  topReport,
} from './compare.js';
import { checkTable, selectLayers, type ConceptTable } from './table.js';

/** A table from [layer, unit, concept, score] rows (score null -> NaN). */
function table(rows: [string, number, string | null, number | null][]): ConceptTable {
  return {
    layer: rows.map((r) => r[0]),
    unit: Int32Array.from(rows, (r) => r[1]),
    concept: rows.map((r) => r[2]),
    score: Float64Array.from(rows, (r) => r[3] ?? Number.NaN),
  };
}

// A: layer2 {dotted x2, striped}, layer3 {dog, striped}; B: layer3 {dog, sky}, layer4 {striped, car}
const A = table([
  ['layer2', 0, 'dotted', 0.1],
  ['layer2', 1, 'dotted', 0.2],
  ['layer2', 2, 'striped', 0.3],
  ['layer3', 0, 'dog', 0.4],
  ['layer3', 1, 'striped', null],
]);
const B = table([
  ['layer3', 0, 'dog', 0.5],
  ['layer3', 1, 'sky', 0.7],
  ['layer4', 0, 'striped', 0.2],
  ['layer4', 1, 'car', 0.4],
]);
const ia = indexModel('imagenet', A);
const ib = indexModel('places', B);

describe('compareSets', () => {
  it('Jaccard = shared / union, hand-computed', () => {
    expect(compareSets(new Set(['a', 'b', 'c']), new Set(['b', 'c', 'd', 'e']))).toEqual({
      shared: 2,
      onlyA: 1,
      onlyB: 2,
      union: 5,
      jaccard: 0.4,
    });
    expect(compareSets(new Set(['a']), new Set(['a'])).jaccard).toBe(1);
    expect(compareSets(new Set(['a']), new Set(['b'])).jaccard).toBe(0);
  });

  it('two empty sets: Jaccard null, not NaN', () => {
    expect(compareSets(new Set(), new Set())).toEqual({ shared: 0, onlyA: 0, onlyB: 0, union: 0, jaccard: null });
  });
});

describe('summary', () => {
  it('overall and per layer, per model; a concept in one layer of A and another of B counts as shared overall', () => {
    const rows = summaryReport(ia, ib);
    // overall A {dotted, striped, dog}, B {dog, sky, striped, car}: shared 2 (dog, striped), union 5
    expect(rows[0]).toEqual({ model: 'imagenet', layer: null, neurons: 5, concepts: 3, only: 1, shared: 2, union: 5, jaccard: 0.4 });
    // layer2 only in A: comparison null
    expect(rows[1]).toEqual({ model: 'imagenet', layer: 'layer2', neurons: 3, concepts: 2, only: null, shared: null, union: null, jaccard: null });
    // layer3: A {dog, striped}, B {dog, sky}: shared 1, union 3
    expect(rows[2]).toEqual({ model: 'imagenet', layer: 'layer3', neurons: 2, concepts: 2, only: 1, shared: 1, union: 3, jaccard: 1 / 3 });
    expect(rows[3]).toEqual({ model: 'places', layer: null, neurons: 4, concepts: 4, only: 2, shared: 2, union: 5, jaccard: 0.4 });
    expect(rows[4]).toMatchObject({ model: 'places', layer: 'layer3', concepts: 2, only: 1, shared: 1 });
    expect(rows[5]).toMatchObject({ model: 'places', layer: 'layer4', concepts: 2, only: null, jaccard: null });
    expect(rows).toHaveLength(6);
  });

  it('empty tables', () => {
    const empty = indexModel('e', table([]));
    expect(summaryReport(empty, empty)).toEqual([
      { model: 'e', layer: null, neurons: 0, concepts: 0, only: 0, shared: 0, union: 0, jaccard: null },
      { model: 'e', layer: null, neurons: 0, concepts: 0, only: 0, shared: 0, union: 0, jaccard: null },
    ]);
    expect(summaryReport(ia, empty)[0]).toMatchObject({ concepts: 3, only: 3, shared: 0, union: 3, jaccard: 0 });
  });
});

describe('per-layer', () => {
  it('a layer present in only one model is kept with nulls for the other side', () => {
    expect(perLayerReport(ia, ib)).toEqual([
      { layer: 'layer2', a_neurons: 3, b_neurons: null, a_concepts: 2, b_concepts: null, shared: null, only_a: null, only_b: null, union: null, jaccard: null },
      { layer: 'layer3', a_neurons: 2, b_neurons: 2, a_concepts: 2, b_concepts: 2, shared: 1, only_a: 1, only_b: 1, union: 3, jaccard: 1 / 3 },
      { layer: 'layer4', a_neurons: null, b_neurons: 2, a_concepts: null, b_concepts: 2, shared: null, only_a: null, only_b: null, union: null, jaccard: null },
    ]);
  });

  it('an explicit layer order, including a layer with no neurons at all', () => {
    expect(perLayerReport(ia, ib, ['layer4', 'fc']).map((r) => [r.layer, r.a_neurons, r.b_neurons])).toEqual([
      ['layer4', null, 2],
      ['fc', null, null],
    ]);
  });

  it('a layer whose neurons are all unlabelled has 0 concepts', () => {
    const a = indexModel('a', table([['layer1', 0, null, 0.1]]));
    const b = indexModel('b', table([['layer1', 0, 'dog', 0.1]]));
    expect(perLayerReport(a, b)[0]).toMatchObject({ a_neurons: 1, a_concepts: 0, b_concepts: 1, shared: 0, union: 1, jaccard: 0 });
  });
});

describe('concepts', () => {
  it('one row per concept, neurons and layers in A and in B', () => {
    expect(conceptsReport(ia, ib)).toEqual([
      { concept: 'car', in: 'b', a_neurons: 0, b_neurons: 1, a_layers: '', b_layers: 'layer4' },
      { concept: 'dog', in: 'both', a_neurons: 1, b_neurons: 1, a_layers: 'layer3', b_layers: 'layer3' },
      { concept: 'dotted', in: 'a', a_neurons: 2, b_neurons: 0, a_layers: 'layer2', b_layers: '' },
      { concept: 'sky', in: 'b', a_neurons: 0, b_neurons: 1, a_layers: '', b_layers: 'layer3' },
      { concept: 'striped', in: 'both', a_neurons: 2, b_neurons: 1, a_layers: 'layer2,layer3', b_layers: 'layer4' },
    ]);
  });
});

describe('top', () => {
  it('most neurons first, ties alphabetical', () => {
    const m = indexModel(
      'm',
      table([
        ['l', 0, 'zebra', 0],
        ['l', 1, 'zebra', 0],
        ['l', 2, 'cat', 0],
        ['l', 3, 'apple', 0],
        ['l', 4, 'bee', 0],
        ['l', 5, 'bee', 0],
        ['l', 6, 'dog', 0],
        ['l', 7, null, 0],
      ]),
    );
    expect(topConcepts(m, 4)).toEqual([
      { model: 'm', rank: 1, concept: 'bee', neurons: 2, fraction: 2 / 8 },
      { model: 'm', rank: 2, concept: 'zebra', neurons: 2, fraction: 2 / 8 },
      { model: 'm', rank: 3, concept: 'apple', neurons: 1, fraction: 1 / 8 },
      { model: 'm', rank: 4, concept: 'cat', neurons: 1, fraction: 1 / 8 },
    ]);
    expect(topConcepts(m, 100)).toHaveLength(5);
  });

  it('per model, A then B', () => {
    expect(topReport(ia, ib, 1).map((r) => [r.model, r.concept, r.neurons])).toEqual([
      ['imagenet', 'dotted', 2], // tie with striped (2): alphabetical
      ['places', 'car', 1],
    ]);
  });
});

describe('scores', () => {
  it('per model and layer; missing scores excluded', () => {
    const rows = scoresReport(ia, ib);
    expect(rows.map((r) => [r.model, r.layer, r.count])).toEqual([
      ['imagenet', 'layer2', 3],
      ['imagenet', 'layer3', 1],
      ['places', 'layer3', 2],
      ['places', 'layer4', 2],
    ]);
    expect(rows[0]!.mean).toBeCloseTo(0.2, 15);
    expect(rows[0]).toMatchObject({ min: 0.1, median: 0.2, max: 0.3 });
    expect(rows[0]!.q1).toBeCloseTo(0.15, 15);
    expect(rows[0]!.q3).toBeCloseTo(0.25, 15);
    expect(rows[1]).toEqual({ model: 'imagenet', layer: 'layer3', count: 1, mean: 0.4, min: 0.4, q1: 0.4, median: 0.4, q3: 0.4, max: 0.4 });
  });

  it('a layer with no score at all: count 0, statistics null', () => {
    const m = indexModel('m', table([['l', 0, 'x', null]]));
    expect(scoresReport(m, indexModel('n', table([])))).toEqual([
      { model: 'm', layer: 'l', count: 0, mean: null, min: null, q1: null, median: null, q3: null, max: null },
    ]);
  });
});

describe('checkTable', () => {
  it('a duplicate (layer, unit) is an error naming it', () => {
    const t = table([
      ['layer2', 0, 'a', 0.1],
      ['layer3', 0, 'b', 0.1],
      ['layer2', 0, 'c', 0.1],
    ]);
    expect(() => checkTable(t, 'a.arrows')).toThrow(/a\.arrows: duplicate row for layer 'layer2', unit 0 \(row 3/);
  });

  it('counts missing scores and unlabelled neurons; blank concepts become null', () => {
    const checked = checkTable(
      table([
        ['l', 0, ' ', 0.1],
        ['l', 1, null, null],
        ['l', 2, 'x', null],
      ]),
      'x',
    );
    expect(checked.missingScores).toBe(2);
    expect(checked.unlabelled).toBe(2);
    expect(checked.table.concept).toEqual([null, null, 'x']);
  });

  it('selectLayers keeps only the named layers', () => {
    expect(selectLayers(A, new Set(['layer3'])).concept).toEqual(['dog', 'striped']);
  });
});

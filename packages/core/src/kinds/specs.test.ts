import { Schema } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { fixedSizeListData, float64Data, int32Data, makeBatch, utf8Data } from '../arrow/columns.js';
import { expectKind } from './specs.js';
import { META } from './metadata.js';

function schemaOf(columns: Parameters<typeof makeBatch>[0], kind?: string): Schema {
  return makeBatch(columns, new Map(kind ? [[META.kind, kind]] : [])).schema;
}

const concepts = {
  layer: utf8Data(['layer2']),
  unit: int32Data(Int32Array.of(0)),
  concept: utf8Data(['dotted']),
  score: float64Data(Float64Array.of(0.2)),
};

describe('table kind validation', () => {
  it('accepts a table of the expected kind and returns the kind', () => {
    expect(expectKind(schemaOf(concepts, 'concepts'), ['topk', 'concepts'])).toBe('concepts');
  });

  it('names the expected and the received kind', () => {
    expect(() => expectKind(schemaOf(concepts, 'concepts'), 'topk', 'x.arrows')).toThrow(
      "x.arrows: wrong table kind (expected 'topk', got 'concepts')",
    );
  });

  it('says when there is no kind at all', () => {
    expect(() => expectKind(schemaOf(concepts), 'concepts')).toThrow(/no cnnpipe.kind metadata/);
  });

  it('names a missing column and lists the present ones', () => {
    const { score: _score, ...noScore } = concepts;
    expect(() => expectKind(schemaOf(noScore, 'concepts'), 'concepts', 'stdin')).toThrow(
      "stdin (kind 'concepts'): missing column 'score' (expected float64; columns are: layer, unit, concept)",
    );
  });

  it('names a column of the wrong type', () => {
    const wrong = { ...concepts, unit: float64Data(Float64Array.of(0)) };
    expect(() => expectKind(schemaOf(wrong, 'concepts'), 'concepts')).toThrow(
      "column 'unit' has type float64 (expected int32)",
    );
    const vectors = { layer: utf8Data(['l']), neuron: int32Data(Int32Array.of(0)), counts: fixedSizeListData(Float32Array.of(1, 2), 2), total: int32Data(Int32Array.of(3)) };
    expect(() => expectKind(schemaOf(vectors, 'cof'), 'cof')).toThrow(
      "column 'counts' has type FixedSizeList<float32>[2] (expected FixedSizeList<int32>)",
    );
  });
});

import { float64Data, int32Data, makeBatch, utf8Data } from '../arrow/columns.js';
import { float64OrNaN } from '../arrow/readers.js';
import type { KindCodec } from './codec.js';
import { int32Column, stringRows, utf8Rows } from './decode-columns.js';

/** A `concepts` table: per (layer, unit) the concept it detects and how well (null: none; a null score is NaN). */
export interface ConceptsRows {
  layer: string[];
  unit: Int32Array;
  concept: (string | null)[];
  score: Float64Array;
}

export const conceptsCodec: KindCodec<ConceptsRows> = {
  kind: 'concepts',
  numbers: () => ['score'],
  decode: (columns) => ({
    layer: stringRows(columns, 'layer'),
    unit: int32Column(columns, 'unit'),
    concept: utf8Rows(columns, 'concept'),
    score: float64OrNaN(columns.getChild('score')!), // a null score (none) reads as NaN
  }),
  encode: (rows, metadata) =>
    makeBatch(
      { layer: utf8Data(rows.layer), unit: int32Data(rows.unit), concept: utf8Data(rows.concept), score: float64Data(rows.score) },
      metadata,
    ),
  empty: () => ({ layer: [], unit: new Int32Array(0), concept: [], score: new Float64Array(0) }),
};

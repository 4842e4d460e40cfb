import { float64Data, int32Data, makeBatch } from '../arrow/columns.js';
import { float64OrNaN } from '../arrow/readers.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { KindCodec } from './codec.js';
import { int32Column, stringRows } from './decode-columns.js';

/**
 * A `layer-similarity` table (compare's output): one row per (A layer, B layer), the
 * similarity `value` by `method` (cka, rsa-pearson, ...) over `n` images.
 */
export interface LayerSimilarityRows {
  aModel: string[];
  aLayer: string[];
  bModel: string[];
  bLayer: string[];
  value: Float64Array;
  method: string[];
  n: Int32Array;
}

export const layerSimilarityCodec: KindCodec<LayerSimilarityRows> = {
  kind: 'layer-similarity',
  numbers: () => [],
  decode: (columns) => ({
    aModel: stringRows(columns, 'a_model'),
    aLayer: stringRows(columns, 'a_layer'),
    bModel: stringRows(columns, 'b_model'),
    bLayer: stringRows(columns, 'b_layer'),
    value: float64OrNaN(columns.getChild('value')!),
    method: stringRows(columns, 'method'),
    n: int32Column(columns, 'n'),
  }),
  encode: (rows, metadata) =>
    makeBatch(
      {
        a_model: utf8Column(rows.aModel),
        a_layer: utf8Column(rows.aLayer),
        b_model: utf8Column(rows.bModel),
        b_layer: utf8Column(rows.bLayer),
        value: float64Data(rows.value),
        method: utf8Column(rows.method),
        n: int32Data(rows.n),
      },
      metadata,
    ),
  empty: () => ({ aModel: [], aLayer: [], bModel: [], bLayer: [], value: new Float64Array(0), method: [], n: new Int32Array(0) }),
};

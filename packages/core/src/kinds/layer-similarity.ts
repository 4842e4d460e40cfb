import { float64Data, int32Data, makeBatch, primitiveValues } from '../arrow/columns.js';
import { float64OrNaN, readRows, utf8Reader } from '../arrow/readers.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { KindCodec } from './codec.js';

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

const strings = (columns: Parameters<KindCodec<unknown>['decode']>[0], name: string) => readRows(utf8Reader(columns.getChild(name)), columns.numRows).map(String);

export const layerSimilarityCodec: KindCodec<LayerSimilarityRows> = {
  kind: 'layer-similarity',
  numbers: () => [],
  decode: (columns) => ({
    aModel: strings(columns, 'a_model'),
    aLayer: strings(columns, 'a_layer'),
    bModel: strings(columns, 'b_model'),
    bLayer: strings(columns, 'b_layer'),
    value: float64OrNaN(columns.getChild('value')!),
    method: strings(columns, 'method'),
    n: Int32Array.from(primitiveValues(columns.getChild('n')!)),
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

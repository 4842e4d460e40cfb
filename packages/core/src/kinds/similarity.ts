import { Float64 } from 'apache-arrow';
import { int32Data, makeBatch } from '../arrow/columns.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { KindCodec } from './codec.js';
import { flatListData, listValues, type FlatList } from './list-columns.js';
import { int32Column, stringRows } from './decode-columns.js';

/**
 * A `similarity` table (similarity's output): per (layer, neuron) its row of the layer's
 * neuron x neuron Pearson matrix (`values`) and, when present, of the Euclidean distances.
 * A batch is usually one layer: n rows of n values, `values.values` the n x n matrix itself.
 */
export interface SimilarityRows {
  layer: string[];
  neuron: Int32Array;
  values: FlatList<Float64Array>;
  euclidean?: FlatList<Float64Array>;
}

export const similarityCodec: KindCodec<SimilarityRows, SimilarityRows, { euclidean: boolean }> = {
  kind: 'similarity',
  numbers: () => [],
  decode(columns) {
    const euclidean = columns.getChild('euclidean');
    return {
      layer: stringRows(columns, 'layer'),
      neuron: int32Column(columns, 'neuron'),
      values: listValues(columns.getChild('values')!, new Float64Array(0)),
      ...(euclidean ? { euclidean: listValues(euclidean, new Float64Array(0)) } : {}),
    };
  },
  encode(rows, metadata) {
    return makeBatch(
      {
        layer: utf8Column(rows.layer),
        neuron: int32Data(rows.neuron),
        values: flatListData(rows.values, () => new Float64()),
        ...(rows.euclidean ? { euclidean: flatListData(rows.euclidean, () => new Float64()) } : {}),
      },
      metadata,
    );
  },
  empty: ({ euclidean }) => {
    const none = (): FlatList<Float64Array> => ({ values: new Float64Array(0), offsets: new Int32Array(1) });
    return { layer: [], neuron: new Int32Array(0), values: none(), ...(euclidean ? { euclidean: none() } : {}) };
  },
};

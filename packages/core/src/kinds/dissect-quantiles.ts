import { Float32 } from 'apache-arrow';
import { int32Data, makeBatch } from '../arrow/columns.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { KindCodec } from './codec.js';
import { flatListData, listValues, type FlatList } from './list-columns.js';
import { int32Column, stringRows } from './decode-columns.js';

/** A `dissect-quantiles` table (dissect quantiles): per (layer, unit) the top activations one shard saw. */
export interface DissectQuantilesRows {
  layer: string[];
  unit: Int32Array;
  values: FlatList<Float32Array>;
}

export const dissectQuantilesCodec: KindCodec<DissectQuantilesRows> = {
  kind: 'dissect-quantiles',
  numbers: () => [],
  decode: (columns) => ({
    layer: stringRows(columns, 'layer'),
    unit: int32Column(columns, 'unit'),
    values: listValues(columns.getChild('values')!, new Float32Array(0)),
  }),
  encode: (rows, metadata) =>
    makeBatch({ layer: utf8Column(rows.layer), unit: int32Data(rows.unit), values: flatListData(rows.values, () => new Float32()) }, metadata),
  empty: () => ({ layer: [], unit: new Int32Array(0), values: { values: new Float32Array(0), offsets: new Int32Array(1) } }),
};

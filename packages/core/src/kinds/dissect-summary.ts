import { int32Data, makeBatch } from '../arrow/columns.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { KindCodec } from './codec.js';
import { int32Column, stringRows } from './decode-columns.js';

/** A `dissect-summary` table (dissect summary): per layer and category the unique concepts detected and the detector units. */
export interface DissectSummaryRows {
  layer: string[];
  category: string[];
  unique: Int32Array;
  detectors: Int32Array;
}

export const dissectSummaryCodec: KindCodec<DissectSummaryRows> = {
  kind: 'dissect-summary',
  numbers: () => [],
  decode: (columns) => ({
    layer: stringRows(columns, 'layer'),
    category: stringRows(columns, 'category'),
    unique: int32Column(columns, 'unique'),
    detectors: int32Column(columns, 'detectors'),
  }),
  encode: (rows, metadata) =>
    makeBatch(
      { layer: utf8Column(rows.layer), category: utf8Column(rows.category), unique: int32Data(rows.unique), detectors: int32Data(rows.detectors) },
      metadata,
    ),
  empty: () => ({ layer: [], category: [], unique: new Int32Array(0), detectors: new Int32Array(0) }),
};

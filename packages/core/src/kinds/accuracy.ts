import { float64Data, int32Data, makeBatch, utf8Data } from '../arrow/columns.js';
import { float64OrNaN } from '../arrow/readers.js';
import type { KindCodec } from './codec.js';
import { int32Column, stringRows } from './decode-columns.js';

/** An `accuracy` table: per (source features, target classifier) how many images and the top-1/top-5 fractions. */
export interface AccuracyRows {
  source: string[];
  target: string[];
  n: Int32Array;
  top1: Float64Array;
  top5: Float64Array;
}

export const accuracyCodec: KindCodec<AccuracyRows> = {
  kind: 'accuracy',
  numbers: () => ['top1', 'top5'],
  decode: (columns) => ({
    source: stringRows(columns, 'source'),
    target: stringRows(columns, 'target'),
    n: int32Column(columns, 'n'),
    top1: float64OrNaN(columns.getChild('top1')!),
    top5: float64OrNaN(columns.getChild('top5')!),
  }),
  encode: (rows, metadata) =>
    makeBatch(
      { source: utf8Data(rows.source), target: utf8Data(rows.target), n: int32Data(rows.n), top1: float64Data(rows.top1), top5: float64Data(rows.top5) },
      metadata,
    ),
  empty: () => ({ source: [], target: [], n: new Int32Array(0), top1: new Float64Array(0), top5: new Float64Array(0) }),
};

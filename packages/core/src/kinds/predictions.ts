import { Bool, vectorFromArray } from 'apache-arrow';
import { int32Data, makeBatch, utf8Data } from '../arrow/columns.js';
import { boolTristate, int32Reader } from '../arrow/readers.js';
import type { IntColumn, KindCodec, NullableInt32 } from './codec.js';
import { int32Column, utf8Rows } from './decode-columns.js';

/** A bool column from 1 (true), 0 (false), -1 (null). */
const tristate = (v: Int8Array) => vectorFromArray(Array.from(v, (x) => (x < 0 ? null : x === 1)), new Bool()).data[0]!;

/** A `predictions` table to write: per image the true label, the predicted index and whether top-1/top-5 hit (-1: no label). */
export interface PredictionsRows {
  image: (string | null)[];
  label: NullableInt32;
  pred: Int32Array;
  top1: Int8Array;
  top5: Int8Array;
}

/** A `predictions` table read back. */
export interface PredictionsBatch {
  image: (string | null)[];
  label: IntColumn;
  pred: Int32Array;
  top1: Int8Array;
  top5: Int8Array;
}

export const predictionsCodec: KindCodec<PredictionsBatch, PredictionsRows> = {
  kind: 'predictions',
  numbers: () => [],
  decode: (columns) => ({
    image: utf8Rows(columns, 'image'),
    label: int32Reader(columns.getChild('label')),
    pred: int32Column(columns, 'pred'),
    top1: boolTristate(columns.getChild('top1')!),
    top5: boolTristate(columns.getChild('top5')!),
  }),
  encode: (rows, metadata) =>
    makeBatch(
      {
        image: utf8Data(rows.image),
        label: int32Data(rows.label.values, rows.label.isNull),
        pred: int32Data(rows.pred),
        top1: tristate(rows.top1),
        top5: tristate(rows.top5),
      },
      metadata,
    ),
  empty: () => ({ image: [], label: { values: new Int32Array(0) }, pred: new Int32Array(0), top1: new Int8Array(0), top5: new Int8Array(0) }),
};

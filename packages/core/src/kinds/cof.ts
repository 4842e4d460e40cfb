import type { FixedSizeList } from 'apache-arrow';
import { fixedSizeListData, fixedSizeListValues, int32Data, makeBatch, utf8Data } from '../arrow/columns.js';
import type { KindCodec } from './codec.js';
import { int32Column, stringRows } from './decode-columns.js';

/** A `cof` table: per (layer, neuron), how many of its top-k images are of each of K classes. */
export interface CofRows {
  layer: string[];
  neuron: Int32Array;
  /** rows x K, row-major. */
  counts: Int32Array;
  /** K, the number of classes. */
  classes: number;
  /** Its top-k rows (also those of no known class). */
  total: Int32Array;
}

export const cofCodec: KindCodec<CofRows, CofRows, { classes: number }> = {
  kind: 'cof',
  numbers: () => [],
  decode(columns) {
    const counts = columns.getChild('counts')!;
    const classes = (counts.type as FixedSizeList).listSize;
    const values = columns.numRows === 0 ? new Int32Array(0) : fixedSizeListValues(counts).values;
    return {
      layer: stringRows(columns, 'layer'),
      neuron: int32Column(columns, 'neuron'),
      counts: values instanceof Int32Array ? values : Int32Array.from(values),
      classes,
      total: int32Column(columns, 'total'),
    };
  },
  encode(rows, metadata) {
    return makeBatch(
      {
        layer: utf8Data(rows.layer),
        neuron: int32Data(rows.neuron),
        counts: fixedSizeListData(rows.counts, rows.classes),
        total: int32Data(rows.total),
      },
      metadata,
    );
  },
  empty: ({ classes }) => ({ layer: [], neuron: new Int32Array(0), counts: new Int32Array(0), classes, total: new Int32Array(0) }),
};

import type { FixedSizeList } from 'apache-arrow';
import { fixedSizeListData, fixedSizeListValues, float64Data, int32Data, makeBatch, primitiveValues } from '../arrow/columns.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { KindCodec } from './codec.js';
import { int32Column, stringRows } from './decode-columns.js';

/**
 * A `dissect-tally` table (dissect tally): per (layer, unit) one shard's sums: its threshold,
 * the intersections with each of L labels (rows x L) and the activated area per each of C
 * categories (rows x C). The label totals travel in the cnnpipe.dissect metadata.
 */
export interface DissectTallyRows {
  layer: string[];
  unit: Int32Array;
  threshold: Float64Array;
  /** rows x labels, row-major. */
  inter: Float64Array;
  labels: number;
  /** rows x categories, row-major. */
  act: Float64Array;
  categories: number;
}

const float64s = (values: ArrayLike<number>) => (values instanceof Float64Array ? values : Float64Array.from(values));

export const dissectTallyCodec: KindCodec<DissectTallyRows, DissectTallyRows, { labels: number; categories: number }> = {
  kind: 'dissect-tally',
  numbers: () => [],
  decode(columns) {
    const inter = columns.getChild('inter')!;
    const act = columns.getChild('act')!;
    const none = columns.numRows === 0;
    return {
      layer: stringRows(columns, 'layer'),
      unit: int32Column(columns, 'unit'),
      threshold: Float64Array.from(primitiveValues(columns.getChild('threshold')!)),
      inter: none ? new Float64Array(0) : float64s(fixedSizeListValues(inter).values),
      labels: (inter.type as FixedSizeList).listSize,
      act: none ? new Float64Array(0) : float64s(fixedSizeListValues(act).values),
      categories: (act.type as FixedSizeList).listSize,
    };
  },
  encode: (rows, metadata) =>
    makeBatch(
      {
        layer: utf8Column(rows.layer),
        unit: int32Data(rows.unit),
        threshold: float64Data(rows.threshold),
        inter: fixedSizeListData(rows.inter, rows.labels),
        act: fixedSizeListData(rows.act, rows.categories),
      },
      metadata,
    ),
  empty: ({ labels, categories }) => ({
    layer: [],
    unit: new Int32Array(0),
    threshold: new Float64Array(0),
    inter: new Float64Array(0),
    labels,
    act: new Float64Array(0),
    categories,
  }),
};

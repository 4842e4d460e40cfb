import { float64Data, int32Data, makeBatch, utf8Data } from '../arrow/columns.js';
import { float64OrNaN } from '../arrow/readers.js';
import type { KindCodec } from './codec.js';
import { int32Column, stringRows, utf8Rows } from './decode-columns.js';

/**
 * A `neuron-stats` table: per (layer, neuron) its sparsity, flatness and multi-facetedness.
 * A statistic that is not defined (NaN) is written as null, never as NaN or Infinity, and
 * reads back as NaN.
 */
export interface NeuronStatsRows {
  layer: string[];
  neuron: Int32Array;
  gini: Float64Array;
  flatness: Float64Array;
  mf: Float64Array;
  mfNorm: Float64Array;
  facet: (string | null)[];
  pValue: Float64Array;
}

/** A float64 column with every non-finite value as null (its slot holds 0). */
function nullableFloat64(values: Float64Array) {
  const isNull = (i: number) => !Number.isFinite(values[i]!);
  return float64Data(values.map((v) => (Number.isFinite(v) ? v : 0)), isNull);
}

export const neuronStatsCodec: KindCodec<NeuronStatsRows> = {
  kind: 'neuron-stats',
  numbers: () => ['gini', 'flatness', 'mf', 'mf_norm', 'p_value'],
  decode: (columns) => ({
    layer: stringRows(columns, 'layer'),
    neuron: int32Column(columns, 'neuron'),
    gini: float64OrNaN(columns.getChild('gini')!),
    flatness: float64OrNaN(columns.getChild('flatness')!),
    mf: float64OrNaN(columns.getChild('mf')!),
    mfNorm: float64OrNaN(columns.getChild('mf_norm')!),
    facet: utf8Rows(columns, 'facet'),
    pValue: float64OrNaN(columns.getChild('p_value')!),
  }),
  encode: (rows, metadata) =>
    makeBatch(
      {
        layer: utf8Data(rows.layer),
        neuron: int32Data(rows.neuron),
        gini: nullableFloat64(rows.gini),
        flatness: nullableFloat64(rows.flatness),
        mf: nullableFloat64(rows.mf),
        mf_norm: nullableFloat64(rows.mfNorm),
        facet: utf8Data(rows.facet),
        p_value: nullableFloat64(rows.pValue),
      },
      metadata,
    ),
  empty: () => {
    const none = new Float64Array(0);
    return { layer: [], neuron: new Int32Array(0), gini: none, flatness: none, mf: none, mfNorm: none, facet: [], pValue: none };
  },
};

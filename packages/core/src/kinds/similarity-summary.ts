import { float64Data, int32Data, makeBatch, primitiveValues } from '../arrow/columns.js';
import { float64OrNaN } from '../arrow/readers.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { KindCodec } from './codec.js';
import { stringRows } from './decode-columns.js';

/**
 * A `similarity-summary` table (similarity --summary): per layer the mean off-diagonal
 * Pearson similarity and Euclidean distance of its neurons (NaN: written as null, e.g. a
 * layer of one neuron), and how many neurons it has.
 */
export interface SimilaritySummaryRows {
  layer: string[];
  meanPearson: Float64Array;
  meanEuclidean: Float64Array;
  neurons: Int32Array;
}

/** Non-finite means are written as null. */
const orNull = (values: Float64Array) =>
  float64Data(Float64Array.from(values, (v) => (Number.isFinite(v) ? v : 0)), (i) => !Number.isFinite(values[i]!));

export const similaritySummaryCodec: KindCodec<SimilaritySummaryRows> = {
  kind: 'similarity-summary',
  numbers: () => [],
  decode: (columns) => {
    const neurons = columns.getChild('neurons');
    return {
      layer: stringRows(columns, 'layer'),
      meanPearson: float64OrNaN(columns.getChild('mean_pearson')!),
      meanEuclidean: float64OrNaN(columns.getChild('mean_euclidean')!),
      neurons: neurons ? Int32Array.from(primitiveValues(neurons)) : new Int32Array(columns.numRows),
    };
  },
  encode: (rows, metadata) =>
    makeBatch(
      {
        layer: utf8Column(rows.layer),
        mean_pearson: orNull(rows.meanPearson),
        mean_euclidean: orNull(rows.meanEuclidean),
        neurons: int32Data(rows.neurons),
      },
      metadata,
    ),
  empty: () => ({ layer: [], meanPearson: new Float64Array(0), meanEuclidean: new Float64Array(0), neurons: new Int32Array(0) }),
};

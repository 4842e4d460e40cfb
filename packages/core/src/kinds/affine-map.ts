import type { FixedSizeList, Schema } from 'apache-arrow';
import { fixedSizeListData, fixedSizeListValues, float64Data, int32Data, makeBatch, primitiveValues } from '../arrow/columns.js';
import { NonFiniteGuard } from '../arrow/nonfinite.js';
import { CliError } from '../cli/errors.js';
import type { Data } from 'apache-arrow';
import { readKind, type KindCodec, type Source } from './codec.js';

/** Metadata keys of affine-map and gram tables (beyond META). */
export const AFFINE_MAP_META = {
  source: 'cnnpipe.source',
  target: 'cnnpipe.target',
  sourceColumn: 'cnnpipe.source_column',
  targetColumn: 'cnnpipe.target_column',
  rows: 'cnnpipe.rows',
  r2: 'cnnpipe.r2',
  ridge: 'cnnpipe.ridge',
  method: 'cnnpipe.method',
} as const;

/** An affine map x_B = W x_A + b: one row per target dimension. */
export interface AffineMapRows {
  da: number;
  db: number;
  /** DB x DA, row-major: row j maps the source features to target dimension j. */
  weights: Float64Array;
  bias: Float64Array;
  /** Training R² per target dimension (fitted maps only: the `r2` column). */
  r2?: Float64Array;
}

/** One batch of an affine-map table as stored: its rows' dims, weights (rows x da) and biases. */
export interface AffineMapBatch {
  rows: number;
  da: number;
  dim: ArrayLike<number>;
  weights: ArrayLike<number> & { subarray(start: number, end: number): ArrayLike<number> };
  bias: ArrayLike<number>;
}

export const affineMapCodec: KindCodec<AffineMapBatch, AffineMapRows, { da: number; r2: boolean }> = {
  kind: 'affine-map',
  numbers: () => ['weights', 'bias'],
  decode(columns) {
    const weights = columns.getChild('weights')!;
    const da = (weights.type as FixedSizeList).listSize;
    return {
      rows: columns.numRows,
      da,
      dim: primitiveValues(columns.getChild('dim')!),
      weights: columns.numRows === 0 ? new Float64Array(0) : fixedSizeListValues(weights).values,
      bias: primitiveValues(columns.getChild('bias')!),
    };
  },
  encode(map, metadata) {
    const dims = new Int32Array(map.db);
    for (let j = 0; j < map.db; j++) dims[j] = j;
    const columns: Record<string, Data> = {
      dim: int32Data(dims),
      weights: fixedSizeListData(map.weights, map.da),
      bias: float64Data(map.bias),
    };
    if (map.r2) columns.r2 = float64Data(map.r2);
    return makeBatch(columns, metadata);
  },
  empty: ({ da, r2 }) => ({ da, db: 0, weights: new Float64Array(0), bias: new Float64Array(0), ...(r2 ? { r2: new Float64Array(0) } : {}) }),
};

/**
 * An affine-map table whole (FILE, stdin or an open input), rows placed by their `dim`. A
 * map's weights are not data to drop: NaN/Inf in them always stops.
 */
export async function readAffineMap(source: Source): Promise<AffineMapRows & { name: string; schema: Schema }> {
  const reader = await readKind(affineMapCodec, source, { guard: (name) => NonFiniteGuard.strict(name) });
  const stored = await reader.all();
  const da = (reader.schema.fields.find((f) => f.name === 'weights')!.type as FixedSizeList).listSize;
  const db = stored.rows;
  const weights = new Float64Array(db * da);
  const bias = new Float64Array(db);
  for (let i = 0; i < db; i++) {
    const dim = stored.dim[i]!;
    if (dim < 0 || dim >= db) throw new CliError(`${reader.name}: dim ${dim} out of range (expected 0..${db - 1})`);
    weights.set(stored.weights.subarray(i * da, (i + 1) * da), dim * da);
    bias[dim] = stored.bias[i]!;
  }
  return { da, db, weights, bias, name: reader.name, schema: reader.schema };
}

import type { FixedSizeList } from 'apache-arrow';
import { fixedSizeListData, fixedSizeListValues, float64Data, int32Data, makeBatch, primitiveValues } from '../arrow/columns.js';
import { NonFiniteGuard } from '../arrow/nonfinite.js';
import { CliError } from '../cli/errors.js';
import { readKind, type KindCodec, type KindReader, type Source } from './codec.js';
import { checkColumns } from './specs.js';

/**
 * The streamed sufficient statistics of an affine least-squares fit Y ≈ X·W + 1·b' in
 * float64 (`lstsq fit --partial`): they add exactly across shards, so `lstsq merge` of the
 * shards' grams solves the same normal equations as one fit on all rows.
 */
export interface Gram {
  da: number;
  db: number;
  n: number;
  /** Augmented [X 1]'[X 1], row-major (DA+1)x(DA+1). */
  xtx: Float64Array;
  /** Augmented [X 1]'Y, row-major (DA+1)xDB. */
  xty: Float64Array;
  /** Σ y_j² per target dimension. */
  yy: Float64Array;
}

/** The statistics of no rows. */
export function emptyGram(da: number, db: number): Gram {
  return { da, db, n: 0, xtx: new Float64Array((da + 1) * (da + 1)), xty: new Float64Array((da + 1) * db), yy: new Float64Array(db) };
}

const GRAM_COLUMNS = [
  { name: 'da', type: 'int32' as const },
  { name: 'db', type: 'int32' as const },
  { name: 'xtx', type: 'FixedSizeList<float64>' as const },
  { name: 'xty', type: 'FixedSizeList<float64>' as const },
  { name: 'yy', type: 'FixedSizeList<float64>' as const },
];

/**
 * A gram table: one row per shard's Gram. Decoding copies each row's statistics out of the
 * batch (they are summed into); sizes that do not match a row's da and db are for
 * `readGramTable` to name. A gram always has a row: the writer's empty shape is the
 * statistics of no rows.
 */
export const gramCodec: KindCodec<Gram[], Gram, { da: number; db: number }> = {
  kind: 'gram',
  numbers: () => ['n', 'xtx', 'xty', 'yy'],
  decode(columns) {
    const n = primitiveValues(columns.getChild('n')!);
    const da = primitiveValues(columns.getChild('da')!);
    const db = primitiveValues(columns.getChild('db')!);
    const lists = (['xtx', 'xty', 'yy'] as const).map((name) => {
      const vector = columns.getChild(name)!;
      const size = (vector.type as FixedSizeList).listSize;
      return { size, values: columns.numRows === 0 ? new Float64Array(0) : fixedSizeListValues(vector).values };
    });
    const row = (i: number, { size, values }: (typeof lists)[number]) => Float64Array.from(values.subarray(i * size, (i + 1) * size));
    return Array.from({ length: columns.numRows }, (_, i) => ({
      da: da[i]!,
      db: db[i]!,
      n: n[i]!,
      xtx: row(i, lists[0]!),
      xty: row(i, lists[1]!),
      yy: row(i, lists[2]!),
    }));
  },
  encode(gram, metadata) {
    return makeBatch(
      {
        n: float64Data(Float64Array.of(gram.n)),
        da: int32Data(Int32Array.of(gram.da)),
        db: int32Data(Int32Array.of(gram.db)),
        xtx: fixedSizeListData(gram.xtx, gram.xtx.length),
        xty: fixedSizeListData(gram.xty, gram.xty.length),
        yy: fixedSizeListData(gram.yy, gram.yy.length),
      },
      metadata,
    );
  },
  empty: ({ da, db }) => emptyGram(da, db),
};

/**
 * Every gram of a gram table (FILE, stdin or an open input), each checked against its da and
 * db. Its rows are sums, not data to drop: NaN/Inf in them always stops.
 */
export async function readGramTable(source: Source): Promise<{ reader: KindReader<Gram[]>; grams: Gram[] }> {
  const reader = await readKind(gramCodec, source, { guard: (name) => NonFiniteGuard.strict(name) });
  checkColumns(reader.schema, GRAM_COLUMNS, `${reader.name} (kind 'gram')`);
  const grams = await reader.all();
  for (const g of grams) {
    if (g.xtx.length !== (g.da + 1) * (g.da + 1) || g.xty.length !== (g.da + 1) * g.db || g.yy.length !== g.db) {
      throw new CliError(`${reader.name}: gram sizes do not match da=${g.da}, db=${g.db} (expected a table written by 'lstsq fit --partial')`);
    }
  }
  return { reader, grams };
}

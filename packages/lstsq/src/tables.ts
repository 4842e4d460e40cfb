import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import {
  CliError,
  META,
  NonFiniteGuard,
  checkColumns,
  expectKind,
  fixedSizeListData,
  fixedSizeListValues,
  float64Data,
  int32Data,
  makeBatch,
  primitiveValues,
  readAllBatches,
  type ArrowInput,
  type Metadata,
} from '@cnnpipe/core';
import { DataType, type FixedSizeList, type RecordBatch, type Schema } from 'apache-arrow';
import type { AffineMap, Gram } from './normal.js';

/** Metadata keys of affine-map and gram tables (beyond the core's). */
export const MAP_META = {
  source: 'cnnpipe.source',
  target: 'cnnpipe.target',
  sourceColumn: 'cnnpipe.source_column',
  targetColumn: 'cnnpipe.target_column',
  rows: 'cnnpipe.rows',
  r2: 'cnnpipe.r2',
  ridge: 'cnnpipe.ridge',
  method: 'cnnpipe.method',
} as const;

/** `FILE[:COLUMN]`: the column after the last colon, unless the whole thing is a file. */
export function splitSpec(spec: string): { file: string; column?: string } {
  const at = spec.lastIndexOf(':');
  if (at <= 0 || existsSync(spec)) return { file: spec };
  return { file: spec.slice(0, at), column: spec.slice(at + 1) || undefined };
}

/** Whether a field is a feature column: FixedSizeList<float32|float64>. */
function isFeature(type: DataType): boolean {
  return DataType.isFixedSizeList(type) && DataType.isFloat(type.children[0]!.type);
}

/**
 * The feature column to use: the asked one (checked), else the only FixedSizeList<float>
 * column other than `logits`.
 */
export function featureColumn(schema: Schema, source: string, asked?: string): { name: string; width: number } {
  if (asked !== undefined) {
    const field = schema.fields.find((f) => f.name === asked);
    if (!field) {
      const have = schema.fields.filter((f) => isFeature(f.type)).map((f) => f.name);
      throw new CliError(`${source}: no column '${asked}' (expected a feature column; feature columns are: ${have.join(', ') || 'none'})`);
    }
    if (!isFeature(field.type)) throw new CliError(`${source}: column '${asked}' is not FixedSizeList<float32> (expected a feature column)`);
    return { name: asked, width: (field.type as FixedSizeList).listSize };
  }
  const candidates = schema.fields.filter((f) => isFeature(f.type) && f.name !== 'logits');
  if (candidates.length !== 1) {
    throw new CliError(
      `${source}: ${candidates.length === 0 ? 'no feature column' : `several feature columns (${candidates.map((f) => f.name).join(', ')})`}` +
        ` (expected one FixedSizeList<float32> column, or name it as FILE:COLUMN)`,
    );
  }
  const field = candidates[0]!;
  return { name: field.name, width: (field.type as FixedSizeList).listSize };
}

/** A short name for a table's model: cnnpipe.model, else the file's base name. */
export function modelName(schema: Schema, file: string): string {
  const model = schema.metadata.get(META.model);
  if (model) return basename(model).replace(/\.onnx$/, '');
  return basename(file).replace(/\.(arrows|arrow|feather)$/, '');
}

export function mapBatch(map: AffineMap, metadata: Metadata): RecordBatch {
  const dims = new Int32Array(map.db);
  for (let j = 0; j < map.db; j++) dims[j] = j;
  const columns: Record<string, ReturnType<typeof float64Data> | ReturnType<typeof int32Data> | ReturnType<typeof fixedSizeListData>> = {
    dim: int32Data(dims),
    weights: fixedSizeListData(map.weights, map.da),
    bias: float64Data(map.bias),
  };
  if (!Number.isNaN(map.r2Total)) columns.r2 = float64Data(map.r2);
  return makeBatch(columns, metadata);
}

/** A map's or a gram's rows are not data to drop: NaN/Inf in them always stops (core's policy). */
function stopOnNonFinite(name: string, batches: RecordBatch[], columns: string[]): void {
  const guard = NonFiniteGuard.strict(name);
  let row = 0;
  for (const batch of batches) {
    guard.scanBatch(batch, row, columns);
    row += batch.numRows;
  }
  guard.finish();
}

/** Reads an affine-map table whole: DB rows of DA weights. */
export async function readMap(input: ArrowInput): Promise<AffineMap & { schema: Schema }> {
  expectKind(input.schema, 'affine-map', input.name);
  const batches = await readAllBatches(input);
  stopOnNonFinite(input.name, batches, ['weights', 'bias']);
  const da = (input.schema.fields.find((f) => f.name === 'weights')!.type as FixedSizeList).listSize;
  const db = batches.reduce((s, b) => s + b.numRows, 0);
  const weights = new Float64Array(db * da);
  const bias = new Float64Array(db);
  let row = 0;
  for (const batch of batches) {
    const w = fixedSizeListValues(batch.getChild('weights')!).values;
    const b = primitiveValues(batch.getChild('bias')!);
    const d = primitiveValues(batch.getChild('dim')!);
    for (let i = 0; i < batch.numRows; i++) {
      const dim = d[i]!;
      if (dim < 0 || dim >= db) throw new CliError(`${input.name}: dim ${dim} out of range (expected 0..${db - 1})`);
      weights.set(w.subarray(i * da, (i + 1) * da), dim * da);
      bias[dim] = b[i]!;
    }
    row += batch.numRows;
  }
  const r2 = Number(input.schema.metadata.get(MAP_META.r2));
  return { da, db, weights, bias, r2: new Float64Array(db), r2Total: r2, rows: row, schema: input.schema };
}

export function gramBatch(gram: Gram, metadata: Metadata): RecordBatch {
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
}

const GRAM_COLUMNS = [
  { name: 'da', type: 'int32' as const },
  { name: 'db', type: 'int32' as const },
  { name: 'xtx', type: 'FixedSizeList<float64>' as const },
  { name: 'xty', type: 'FixedSizeList<float64>' as const },
  { name: 'yy', type: 'FixedSizeList<float64>' as const },
];

/** Reads a gram table (one or more rows, summed). */
export async function readGrams(input: ArrowInput): Promise<Gram[]> {
  expectKind(input.schema, 'gram', input.name);
  checkColumns(input.schema, GRAM_COLUMNS, `${input.name} (kind 'gram')`);
  const out: Gram[] = [];
  const batches = await readAllBatches(input);
  stopOnNonFinite(input.name, batches, ['n', 'xtx', 'xty', 'yy']);
  for (const batch of batches) {
    const n = primitiveValues(batch.getChild('n')!);
    const da = primitiveValues(batch.getChild('da')!);
    const db = primitiveValues(batch.getChild('db')!);
    const xtx = fixedSizeListValues(batch.getChild('xtx')!);
    const xty = fixedSizeListValues(batch.getChild('xty')!);
    const yy = fixedSizeListValues(batch.getChild('yy')!);
    for (let i = 0; i < batch.numRows; i++) {
      const a = da[i]!;
      const b = db[i]!;
      if (xtx.size !== (a + 1) * (a + 1) || xty.size !== (a + 1) * b || yy.size !== b) {
        throw new CliError(`${input.name}: gram sizes do not match da=${a}, db=${b} (expected a table written by 'lstsq fit --partial')`);
      }
      out.push({
        da: a,
        db: b,
        n: n[i]!,
        xtx: Float64Array.from(xtx.values.subarray(i * xtx.size, (i + 1) * xtx.size)),
        xty: Float64Array.from(xty.values.subarray(i * xty.size, (i + 1) * xty.size)),
        yy: Float64Array.from(yy.values.subarray(i * yy.size, (i + 1) * yy.size)),
      });
    }
  }
  return out;
}

import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import {
  AFFINE_MAP_META,
  CliError,
  META,
  affineMapCodec,
  gramCodec,
  readAffineMap,
  readGramTable,
  writeKind,
  type AffineMapRows,
  type ArrowInput,
  type Gram,
  type Metadata,
  type Source,
} from '@cnnpipe/core';
import { DataType, type FixedSizeList, type RecordBatch, type Schema } from 'apache-arrow';
import type { AffineMap } from './normal.js';

/** Metadata keys of affine-map and gram tables (beyond the core's): core's AFFINE_MAP_META. */
export const MAP_META = AFFINE_MAP_META;

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

/** An affine map as the codec writes it: the r2 column only for fitted maps. */
function mapRows(map: AffineMap): AffineMapRows {
  return { da: map.da, db: map.db, weights: map.weights, bias: map.bias, ...(Number.isNaN(map.r2Total) ? {} : { r2: map.r2 }) };
}

/** Writes `map` as the whole output, `options.from`'s metadata passed on. */
export async function writeMap(map: AffineMap, output: string | undefined, options: { from?: Schema; metadata: Record<string, string | null> }): Promise<void> {
  await writeKind(affineMapCodec, output, mapRows(map), { ...options, shape: { da: map.da, r2: !Number.isNaN(map.r2Total) } });
}

/** An affine-map batch (for other tools' tests and tables). */
export function mapBatch(map: AffineMap, metadata: Metadata): RecordBatch {
  return affineMapCodec.encode(mapRows(map), metadata);
}

/** Reads an affine-map table whole: DB rows of DA weights; its R² from the metadata. */
export async function readMap(source: Source): Promise<AffineMap & { schema: Schema }> {
  const map = await readAffineMap(source);
  const r2 = Number(map.schema.metadata.get(MAP_META.r2));
  return { da: map.da, db: map.db, weights: map.weights, bias: map.bias, r2: new Float64Array(map.db), r2Total: r2, rows: map.db, schema: map.schema };
}

export function gramBatch(gram: Gram, metadata: Metadata): RecordBatch {
  return gramCodec.encode(gram, metadata);
}

/** Reads a gram table (one or more rows, summed). */
export async function readGrams(input: ArrowInput): Promise<Gram[]> {
  return (await readGramTable(input)).grams;
}

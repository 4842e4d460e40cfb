import { ArrowWriter, CliError, UsageError, activationsCodec, fixedSizeListValues, passMetadata, readFinalLinear, readKind, type ToolContext } from '@cnnpipe/core';
import { Field, FixedSizeList, Float32, RecordBatch, Schema, Struct, makeData, type Data } from 'apache-arrow';
import { basename } from 'node:path';
import { need, type LstsqArgs } from './args.js';
import { applyMap, logitMap, mappedColumn } from './apply.js';
import { naiveMap } from './normal.js';
import { MAP_META, featureColumn, readMap, writeMap } from './tables.js';

/**
 * `lstsq apply`: the activations table passes through with one column added (or replaced),
 * the mapped features. Every other column of the input is kept as it is, whatever its type,
 * so the batch is spliced here rather than rebuilt by the activations codec.
 */
export async function apply(args: LstsqArgs, ctx: ToolContext): Promise<void> {
  const mapFile = need(args.map, '--map MAP.arrows', 'apply');
  const files = args._.slice(1).map(String);
  if (files.length > 1) throw new UsageError(`expected at most one FILE, got ${files.length}`);
  if (mapFile === '-' && (files[0] === undefined || files[0] === '-')) throw new UsageError("stdin ('-') can be read only once");
  const map = await readMap(mapFile);
  const fitted = map.schema.metadata.get(MAP_META.sourceColumn);
  const opened = await readKind(activationsCodec, files[0]);
  const fallback = fitted !== undefined && opened.schema.fields.some((f) => f.name === fitted) ? fitted : undefined;
  const col = featureColumn(opened.schema, opened.name, args.column ?? fallback);
  if (col.width !== map.da) {
    throw new CliError(`${opened.name}: column '${col.name}' has ${col.width} features (expected ${map.da}, the map's source width)`);
  }
  // NaN/Inf are looked for in the mapped column only.
  const input = await readKind(activationsCodec, opened.input, { guard: (n) => ctx.nonFinite(n, 'images'), columns: [col.name] });
  const name = args.as ?? map.schema.metadata.get(MAP_META.targetColumn) ?? 'mapped';
  const kept = input.schema.fields.filter((f) => f.name !== name);
  const keptIndex = kept.map((f) => input.schema.fields.indexOf(f));
  const fields = [...kept, new Field(name, new FixedSizeList(map.db, new Field('item', new Float32(), false)), false)];
  const metadata = passMetadata(input.schema, {
    [MAP_META.source]: map.schema.metadata.get(MAP_META.source) ?? null,
    [MAP_META.target]: map.schema.metadata.get(MAP_META.target) ?? null,
    'cnnpipe.mapped_column': name,
  });
  const schema = new Schema(fields, metadata);
  const writer = ArrowWriter.open(args.output, schema);
  for await (const batch of input.records()) {
    // A NaN/Inf found (without --skip-nonfinite): the rest is only scanned, to count them.
    if (input.guard!.any && !input.guard!.skip) continue;
    const y = await applyMap(map, fixedSizeListValues(batch.getChild(col.name)!).values, batch.numRows);
    const children: Data[] = keptIndex.map((i) => batch.data.children[i]!);
    children.push(mappedColumn(y, map.db) as unknown as Data);
    await writer.write(new RecordBatch(schema, makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children })));
  }
  await writer.close();
}

/** `lstsq logits`: the map between two classifiers' feature spaces through their final Gemms. */
export async function logits(args: LstsqArgs): Promise<void> {
  const fa = need(args.sourceModel, '--source-model A.onnx', 'logits');
  const fb = need(args.targetModel, '--target-model B.onnx', 'logits');
  const a = readFinalLinear(fa);
  const b = readFinalLinear(fb);
  if (a.k !== b.k) throw new CliError(`${fb}: ${b.k} classes (expected ${a.k}, as ${fa}; the logit map needs the same classes)`);
  if (b.k > b.d) throw new CliError(`${fb}: ${b.k} classes for ${b.d} features (expected at most as many classes as features)`);
  const metadata = {
    [MAP_META.source]: basename(fa).replace(/\.onnx$/, ''),
    [MAP_META.target]: basename(fb).replace(/\.onnx$/, ''),
    [MAP_META.method]: 'logits',
  };
  await writeMap(await logitMap(a, b), args.output, { metadata });
}

/** `lstsq naive`: identity with truncation or zero padding. */
export async function naive(args: LstsqArgs): Promise<void> {
  const da = need(args.sourceDim, '--source-dim DA', 'naive');
  const db = need(args.targetDim, '--target-dim DB', 'naive');
  if (!Number.isInteger(da) || da < 1 || !Number.isInteger(db) || db < 1) {
    throw new UsageError(`--source-dim and --target-dim must be positive integers, got ${da} and ${db}`);
  }
  await writeMap(naiveMap(da, db), args.output, { metadata: { [MAP_META.method]: 'naive' } });
}

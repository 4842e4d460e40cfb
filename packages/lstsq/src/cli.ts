import {
  ArrowWriter,
  CliError,
  META,
  UsageError,
  expectKind,
  fixedSizeListValues,
  openArrow,
  passMetadata,
  runTool,
  type CommonArgs,
  type ToolContext,
} from '@cnnpipe/core';
import { Field, FixedSizeList, Float32, RecordBatch, Schema, Struct, makeData, type Data } from 'apache-arrow';
import { basename } from 'node:path';
import { applyMap, logitMap, mappedColumn } from './apply.js';
import { readFinalLinear } from '@cnnpipe/core';
import { accumulate } from './fit.js';
import { addGram, naiveMap, solveGram, type AffineMap, type Gram } from './normal.js';
import { MAP_META, featureColumn, gramBatch, mapBatch, modelName, readGrams, readMap, splitSpec } from './tables.js';

interface LstsqArgs extends CommonArgs {
  source?: string;
  target?: string;
  ridge: number;
  partial: boolean;
  intersect: boolean;
  map?: string;
  column?: string;
  as?: string;
  sourceModel?: string;
  targetModel?: string;
  sourceDim?: number;
  targetDim?: number;
}

const SUBCOMMANDS = ['fit', 'merge', 'apply', 'logits', 'naive'] as const;

function need<T>(value: T | undefined, flag: string, sub: string): T {
  if (value === undefined || value === null || (typeof value === 'number' && Number.isNaN(value))) {
    throw new UsageError(`lstsq ${sub} needs ${flag}`);
  }
  return value;
}

async function writeMap(map: AffineMap, metadata: Map<string, string>, output?: string): Promise<void> {
  const batch = mapBatch(map, metadata);
  const writer = ArrowWriter.open(output, batch.schema);
  await writer.write(batch);
  await writer.close();
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(x) : 'NaN';
}

async function fit(args: LstsqArgs, ctx: ToolContext): Promise<void> {
  const src = splitSpec(need(args.source, '--source A.arrows[:COLUMN]', 'fit'));
  const tgt = splitSpec(need(args.target, '--target B.arrows[:COLUMN]', 'fit'));
  if (src.file === '-' && tgt.file === '-') throw new UsageError("stdin ('-') can be read only once");
  const a = await openArrow(src.file);
  const b = await openArrow(tgt.file);
  expectKind(a.schema, 'activations', a.name);
  expectKind(b.schema, 'activations', b.name);
  const ca = featureColumn(a.schema, a.name, src.column);
  const cb = featureColumn(b.schema, b.name, tgt.column);
  if (!(args.ridge >= 0)) throw new UsageError(`--ridge must be >= 0, got ${args.ridge}`);
  const gram = await accumulate(
    { input: a, column: ca.name, width: ca.width, guard: ctx.nonFinite(a.name, 'images') },
    { input: b, column: cb.name, width: cb.width, guard: ctx.nonFinite(b.name, 'images') },
    { intersect: args.intersect, warn: ctx.warn },
  );
  const meta: Record<string, string | null> = {
    [META.kind]: args.partial ? 'gram' : 'affine-map',
    [MAP_META.source]: modelName(a.schema, a.name),
    [MAP_META.target]: modelName(b.schema, b.name),
    [MAP_META.sourceColumn]: ca.name,
    [MAP_META.targetColumn]: cb.name,
    [MAP_META.rows]: String(gram.n),
    [MAP_META.method]: 'lstsq',
  };
  if (args.partial) {
    const batch = gramBatch(gram, passMetadata(b.schema, meta));
    const writer = ArrowWriter.open(args.output, batch.schema);
    await writer.write(batch);
    await writer.close();
    return;
  }
  await solveAndWrite(gram, args, passMetadata(b.schema, meta), ctx);
}

async function solveAndWrite(gram: Gram, args: LstsqArgs, metadata: Map<string, string>, ctx: ToolContext): Promise<void> {
  const map = await solveGram(gram, args.ridge);
  metadata.set(META.kind, 'affine-map');
  metadata.set(MAP_META.rows, String(gram.n));
  metadata.set(MAP_META.r2, fmt(map.r2Total));
  metadata.set(MAP_META.ridge, String(args.ridge));
  // Named by the models, so a study's many fits can be told apart.
  const pair = [metadata.get(MAP_META.source), metadata.get(MAP_META.target)];
  const names = pair.every((n) => n) ? `${pair[0]} -> ${pair[1]}: ` : '';
  ctx.info(`${names}${gram.n} rows, ${gram.da} -> ${gram.db} features, training R² ${map.r2Total.toFixed(4)}`);
  const dependent = map.dependent ?? [];
  if (dependent.length > 0) {
    const shown = dependent.slice(0, 8).join(', ') + (dependent.length > 8 ? ', ...' : '');
    ctx.info(
      `note: ${dependent.length} of ${gram.da} source dimensions are linearly dependent on the others or constant ` +
        `(${shown}); ${args.ridge > 0 ? 'the ridge penalty decides their weights' : 'the map is the minimum-norm least-squares solution, as numpy.linalg.lstsq'}`,
    );
  }
  await writeMap(map, metadata, args.output);
}

async function merge(args: LstsqArgs, ctx: ToolContext): Promise<void> {
  const files = args._.slice(1).map(String);
  if (files.length === 0) throw new UsageError('lstsq merge needs at least one GRAM file');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError("stdin ('-') can be read only once");
  let total: Gram | undefined;
  let first: Schema | undefined;
  for (const file of files) {
    const input = await openArrow(file);
    first ??= input.schema;
    for (const g of await readGrams(input)) {
      if (!total) total = g;
      else {
        if (total.da !== g.da || total.db !== g.db) {
          throw new CliError(`${input.name}: gram is ${g.da} -> ${g.db} (expected ${total.da} -> ${total.db} as in ${files[0]})`);
        }
        addGram(total, g);
      }
    }
  }
  if (!total) throw new CliError('no gram rows in the inputs (expected tables written by lstsq fit --partial)');
  await solveAndWrite(total, args, passMetadata(first), ctx);
}

async function apply(args: LstsqArgs, ctx: ToolContext): Promise<void> {
  const mapFile = need(args.map, '--map MAP.arrows', 'apply');
  const files = args._.slice(1).map(String);
  if (files.length > 1) throw new UsageError(`expected at most one FILE, got ${files.length}`);
  if (mapFile === '-' && (files[0] === undefined || files[0] === '-')) throw new UsageError("stdin ('-') can be read only once");
  const map = await readMap(await openArrow(mapFile));
  const input = await openArrow(files[0]);
  expectKind(input.schema, 'activations', input.name);
  const fitted = map.schema.metadata.get(MAP_META.sourceColumn);
  const fallback = fitted !== undefined && input.schema.fields.some((f) => f.name === fitted) ? fitted : undefined;
  const col = featureColumn(input.schema, input.name, args.column ?? fallback);
  if (col.width !== map.da) {
    throw new CliError(`${input.name}: column '${col.name}' has ${col.width} features (expected ${map.da}, the map's source width)`);
  }
  const name = args.as ?? map.schema.metadata.get(MAP_META.targetColumn) ?? 'mapped';
  const kept = input.schema.fields.filter((f) => f.name !== name);
  const keptIndex = kept.map((f) => input.schema.fields.indexOf(f));
  const newField = new Field(name, new FixedSizeList(map.db, new Field('item', new Float32(), false)), false);
  const fields = [...kept, newField];
  const metadata = passMetadata(input.schema, {
    [MAP_META.source]: map.schema.metadata.get(MAP_META.source) ?? null,
    [MAP_META.target]: map.schema.metadata.get(MAP_META.target) ?? null,
    'cnnpipe.mapped_column': name,
  });
  const schema = new Schema(fields, metadata);
  const writer = ArrowWriter.open(args.output, schema);
  const guard = ctx.nonFinite(input.name, 'images');
  let row = 0;
  for await (const whole of input.batches()) {
    const parts = guard.filterBatch(whole, row, [col.name]);
    row += whole.numRows;
    // A NaN/Inf found (without --skip-nonfinite): the rest is only scanned, to count them.
    if (guard.any && !guard.skip) continue;
    for (const batch of parts) {
      const x = fixedSizeListValues(batch.getChild(col.name)!).values;
      const y = await applyMap(map, x, batch.numRows);
      const children: Data[] = keptIndex.map((i) => batch.data.children[i]!);
      children.push(mappedColumn(y, map.db) as unknown as Data);
      const data = makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children });
      await writer.write(new RecordBatch(schema, data));
    }
  }
  guard.finish();
  await writer.close();
}

async function logits(args: LstsqArgs): Promise<void> {
  const fa = need(args.sourceModel, '--source-model A.onnx', 'logits');
  const fb = need(args.targetModel, '--target-model B.onnx', 'logits');
  const a = readFinalLinear(fa);
  const b = readFinalLinear(fb);
  if (a.k !== b.k) throw new CliError(`${fb}: ${b.k} classes (expected ${a.k}, as ${fa}; the logit map needs the same classes)`);
  if (b.k > b.d) throw new CliError(`${fb}: ${b.k} classes for ${b.d} features (expected at most as many classes as features)`);
  const map = await logitMap(a, b);
  const metadata = new Map<string, string>([
    [META.kind, 'affine-map'],
    [MAP_META.source, basename(fa).replace(/\.onnx$/, '')],
    [MAP_META.target, basename(fb).replace(/\.onnx$/, '')],
    [MAP_META.method, 'logits'],
  ]);
  await writeMap(map, metadata, args.output);
}

async function naive(args: LstsqArgs): Promise<void> {
  const da = need(args.sourceDim, '--source-dim DA', 'naive');
  const db = need(args.targetDim, '--target-dim DB', 'naive');
  if (!Number.isInteger(da) || da < 1 || !Number.isInteger(db) || db < 1) {
    throw new UsageError(`--source-dim and --target-dim must be positive integers, got ${da} and ${db}`);
  }
  const metadata = new Map<string, string>([
    [META.kind, 'affine-map'],
    [MAP_META.method, 'naive'],
  ]);
  await writeMap(naiveMap(da, db), metadata, args.output);
}

export function main(argv?: string[]): Promise<void> {
  return runTool<LstsqArgs>(
    {
      name: 'lstsq',
      usage: 'fit|merge|apply|logits|naive ...',
      description:
        "Least-squares affine maps between two networks' feature vectors (affine-map kind: one row per target " +
        'dimension, `weights` over the source dimensions, `bias`).\n' +
        '  fit --source A.arrows[:COL] --target B.arrows[:COL] [--ridge L] [--partial] [--intersect]\n' +
        '      streams both activation tables (joined on image), accumulates the float64 normal equations and ' +
        'solves them by a rank-revealing Cholesky: dependent source dimensions (dead, constant, duplicated, collinear) get ' +
        "numpy.linalg.lstsq's minimum-norm solution, with a note; training R² goes in the metadata. --partial writes the gram table instead.\n" +
        '  merge GRAM...   adds gram tables of shards and solves: the same map as one fit on all rows.\n' +
        '  apply --map MAP [--column COL] [--as NAME] [FILE]   activations in, mapped features added as NAME.\n' +
        '  logits --source-model A.onnx --target-model B.onnx   x_B = pinv(W_B)(W_A x_A + b_A - b_B).\n' +
        '  naive --source-dim DA --target-dim DB   identity with truncation or zero padding.',
      examples: [
        [
          'lstsq naive --source-dim 4 --target-dim 3 | show',
          'the naive truncation map from 4 to 3 dimensions',
        ],
        ['lstsq fit --source vgg.arrows:features --target resnet.arrows:features > vgg2resnet.arrows', 'fit an affine map'],
        ['lstsq fit --partial --source a1.arrows --target b1.arrows > g1.arrows && lstsq merge g1.arrows g2.arrows > map.arrows', 'fit by shards'],
        ['lstsq apply --map vgg2resnet.arrows --column features val-vgg.arrows | classify --model resnet.onnx --column features --summary', 'classify mapped features'],
        ['lstsq logits --source-model examples/zoo/vgg.onnx --target-model examples/zoo/resnet.onnx > logit-map.arrows', 'the logit-space map'],
      ],
      options: (y) =>
        y
          .option('source', { type: 'string', describe: 'fit: source activations FILE[:COLUMN]' })
          .option('target', { type: 'string', describe: 'fit: target activations FILE[:COLUMN]' })
          .option('ridge', { type: 'number', default: 0, describe: 'fit/merge: ridge penalty added to the centred Gram diagonal (bias unpenalised)' })
          .option('partial', { type: 'boolean', default: false, describe: 'fit: write the gram table (for lstsq merge) instead of the map' })
          .option('intersect', { type: 'boolean', default: false, describe: 'fit: join on the images both tables hold (target held in memory), with a warning' })
          .option('map', { type: 'string', describe: 'apply: the affine-map table' })
          .option('column', { type: 'string', describe: "apply: the feature column to map (default: the map's source column, else the only one)" })
          .option('as', { type: 'string', describe: "apply: name of the new column (default: the map's target column, else 'mapped')" })
          .option('source-model', { type: 'string', describe: 'logits: model A (ONNX ending in a Gemm)' })
          .option('target-model', { type: 'string', describe: 'logits: model B (ONNX ending in a Gemm)' })
          .option('source-dim', { type: 'number', describe: 'naive: source width DA' })
          .option('target-dim', { type: 'number', describe: 'naive: target width DB' }),
      readsNumbers: true,
      async run(args, ctx) {
        const sub = String(args._[0] ?? '');
        if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
          throw new UsageError(`expected a subcommand (${SUBCOMMANDS.join(', ')}), got '${sub || 'none'}'`);
        }
        if (sub !== 'merge' && sub !== 'apply' && args._.length > 1) {
          throw new UsageError(`lstsq ${sub} takes no FILE arguments, got ${args._.slice(1).join(' ')}`);
        }
        if (sub === 'fit') await fit(args, ctx);
        else if (sub === 'merge') await merge(args, ctx);
        else if (sub === 'apply') await apply(args, ctx);
        else if (sub === 'logits') await logits(args);
        else await naive(args);
      },
    },
    argv,
  );
}

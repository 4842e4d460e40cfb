import {
  CliError,
  UsageError,
  activationsCodec,
  gramCodec,
  hasAmxInt8,
  passMetadata,
  readGramTable,
  readKind,
  writeKind,
  type ToolContext,
} from '@cnnpipe/core';
import type { Schema } from 'apache-arrow';
import { need, type LstsqArgs } from './args.js';
import { accumulate } from './fit.js';
import { GRAM_PATHS, addGram, parseGramChoice, solveGram, type Gram } from './normal.js';
import { MAP_META, featureColumn, modelName, splitSpec, writeMap } from './tables.js';

/** `lstsq fit`: both activation tables streamed into the Gram, then solved (or written with --partial). */
export async function fit(args: LstsqArgs, ctx: ToolContext): Promise<void> {
  const src = splitSpec(need(args.source, '--source A.arrows[:COLUMN]', 'fit'));
  const tgt = splitSpec(need(args.target, '--target B.arrows[:COLUMN]', 'fit'));
  if (src.file === '-' && tgt.file === '-') throw new UsageError("stdin ('-') can be read only once");
  const a = await readKind(activationsCodec, src.file);
  const b = await readKind(activationsCodec, tgt.file);
  const ca = featureColumn(a.schema, a.name, src.column);
  const cb = featureColumn(b.schema, b.name, tgt.column);
  if (!(args.ridge >= 0)) throw new UsageError(`--ridge must be >= 0, got ${args.ridge}`);
  const choice = parseGramChoice(args.gram ?? 'auto');
  if (!choice) throw new UsageError(`--gram must be one of ${GRAM_PATHS.join(', ')} (int8:D or int8:D,E for D source and E target digits, 2-8), got '${args.gram}'`);
  if (choice.path === 'int8' && !hasAmxInt8()) ctx.warn('--gram int8: this CPU has no AMX int8 tiles, so the digit products run on slower int8 kernels than float64 Gemm');
  let products = '';
  const gram = await accumulate(
    { input: a.input, column: ca.name, width: ca.width, guard: ctx.nonFinite(a.name, 'images') },
    { input: b.input, column: cb.name, width: cb.width, guard: ctx.nonFinite(b.name, 'images') },
    {
      intersect: args.intersect,
      warn: ctx.warn,
      gram: choice.path,
      digits: choice.digits,
      onBlocks: (b) => {
        const used = [b.int8 > 0 ? `${b.int8} by int8 digit products (${choice.digits.x} source, ${choice.digits.y} target digits)` : '', b.float64 > 0 ? `${b.float64} by float64 Gemm` : ''].filter(Boolean);
        products = used.length > 0 ? `; blocks: ${used.join(', ')}` : '';
      },
    },
  );
  const meta: Record<string, string> = {
    [MAP_META.source]: modelName(a.schema, a.name),
    [MAP_META.target]: modelName(b.schema, b.name),
    [MAP_META.sourceColumn]: ca.name,
    [MAP_META.targetColumn]: cb.name,
    [MAP_META.rows]: String(gram.n),
    [MAP_META.method]: 'lstsq',
  };
  if (args.partial) {
    await writeKind(gramCodec, args.output, gram, { from: b.schema, metadata: meta, shape: gram });
    return;
  }
  await solveAndWrite(gram, args, b.schema, meta, ctx, products);
}

/** `lstsq merge`: the shards' grams added, then solved. */
export async function merge(args: LstsqArgs, ctx: ToolContext): Promise<void> {
  const files = args._.slice(1).map(String);
  if (files.length === 0) throw new UsageError('lstsq merge needs at least one GRAM file');
  if (files.filter((f) => f === '-').length > 1) throw new UsageError("stdin ('-') can be read only once");
  let total: Gram | undefined;
  let first: Schema | undefined;
  for (const file of files) {
    const { reader, grams } = await readGramTable(file);
    first ??= reader.schema;
    for (const g of grams) {
      if (!total) total = g;
      else {
        if (total.da !== g.da || total.db !== g.db) {
          throw new CliError(`${reader.name}: gram is ${g.da} -> ${g.db} (expected ${total.da} -> ${total.db} as in ${files[0]})`);
        }
        addGram(total, g);
      }
    }
  }
  if (!total) throw new CliError('no gram rows in the inputs (expected tables written by lstsq fit --partial)');
  await solveAndWrite(total, args, first, {}, ctx);
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(x) : 'NaN';
}

/** Solves a Gram and writes its affine map, saying what the fit found. */
async function solveAndWrite(gram: Gram, args: LstsqArgs, from: Schema | undefined, meta: Record<string, string>, ctx: ToolContext, products = ''): Promise<void> {
  const map = await solveGram(gram, args.ridge);
  const metadata = { ...meta, [MAP_META.rows]: String(gram.n), [MAP_META.r2]: fmt(map.r2Total), [MAP_META.ridge]: String(args.ridge) };
  // Named by the models, so a study's many fits can be told apart.
  const passed = passMetadata(from, metadata);
  const pair = [passed.get(MAP_META.source), passed.get(MAP_META.target)];
  const names = pair.every((n) => n) ? `${pair[0]} -> ${pair[1]}: ` : '';
  ctx.info(`${names}${gram.n} rows, ${gram.da} -> ${gram.db} features, training R² ${map.r2Total.toFixed(4)}${products}`);
  const dependent = map.dependent ?? [];
  if (dependent.length > 0) {
    const shown = dependent.slice(0, 8).join(', ') + (dependent.length > 8 ? ', ...' : '');
    ctx.info(
      `note: ${dependent.length} of ${gram.da} source dimensions are linearly dependent on the others or constant ` +
        `(${shown}); ${args.ridge > 0 ? 'the ridge penalty decides their weights' : 'the map is the minimum-norm least-squares solution, as numpy.linalg.lstsq'}`,
    );
  }
  await writeMap(map, args.output, { from, metadata });
}

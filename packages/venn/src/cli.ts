import { basename } from 'node:path';
import { ArrowWriter, CliError, META, UsageError, openArrow, runTool, type CommonArgs, type ToolContext } from '@cnnpipe/core';
import { Schema, type RecordBatch } from 'apache-arrow';
import {
  conceptsReport,
  indexModel,
  perLayerReport,
  scoresReport,
  summaryReport,
  topReport,
  type ConceptRow,
  type PerLayerRow,
  type ScoreRow,
  type SummaryRow,
  type TopRow,
} from './compare.js';
import { normalizeConcepts } from './normalize.js';
import { readConcepts } from './read.js';
import { rowsToBatch } from './reports.js';
import { checkTable, layersInOrder, mapConcepts, selectLayers, type ConceptTable } from './table.js';

export const REPORTS = ['summary', 'per-layer', 'concepts', 'top', 'scores'] as const;
export type Report = (typeof REPORTS)[number];

/** Metadata key naming the report a `venn` table holds. */
export const REPORT_KEY = 'cnnpipe.report';
/** Metadata keys: the two models' names (JSON [a, b]) and, with --normalize, merged spellings. */
export const NAMES_KEY = 'cnnpipe.venn.names';
export const MERGED_KEY = 'cnnpipe.venn.merged';
export const MODELS_KEY = 'cnnpipe.venn.models';

interface VennArgs extends CommonArgs {
  names?: string;
  report: Report;
  top: number;
  layer?: string[];
  normalize: boolean;
}

/** Model names: --names a,b, else the file names without extension, else 'a' and 'b'. */
export function modelNames(files: string[], names: string | undefined): [string, string] {
  if (names !== undefined) {
    const parts = names.split(',').map((s) => s.trim());
    if (parts.length !== 2 || parts.some((p) => p === '') || parts[0] === parts[1]) {
      throw new UsageError(`--names '${names}' (expected two different names separated by a comma, e.g. imagenet,places)`);
    }
    return [parts[0]!, parts[1]!];
  }
  const guess = files.map((f) => (f === '-' ? '' : basename(f).replace(/\.(arrows|arrow|ipc|feather)$/i, '')));
  if (guess[0] && guess[1] && guess[0] !== guess[1]) return [guess[0], guess[1]];
  return ['a', 'b'];
}

/** Computes one report from two checked tables: the pure part of the tool. */
export function computeReport(
  report: Report,
  a: ConceptTable,
  b: ConceptTable,
  options: { names: [string, string]; top?: number; layers?: string[]; normalize?: boolean },
): { batch: RecordBatch; merged?: number; groups?: Map<string, string[]> } {
  const metadata = new Map<string, string>([
    [META.kind, 'venn'],
    [REPORT_KEY, report],
    [NAMES_KEY, JSON.stringify(options.names)],
  ]);
  if (options.layers) {
    const keep = new Set(options.layers);
    a = selectLayers(a, keep);
    b = selectLayers(b, keep);
  }
  let merged: number | undefined;
  let groups: Map<string, string[]> | undefined;
  if (options.normalize) {
    const spellings = [...a.concept, ...b.concept].filter((c): c is string => c !== null);
    const norm = normalizeConcepts(spellings);
    a = mapConcepts(a, norm.map);
    b = mapConcepts(b, norm.map);
    merged = norm.merged;
    groups = norm.groups;
    metadata.set(MERGED_KEY, String(merged));
  }
  const ia = indexModel(options.names[0], a);
  const ib = indexModel(options.names[1], b);
  const order = options.layers;
  let batch: RecordBatch;
  switch (report) {
    case 'summary':
      batch = rowsToBatch<SummaryRow>(
        summaryReport(ia, ib, order),
        [
          ['model', 'utf8'],
          ['layer', 'utf8'],
          ['neurons', 'int32'],
          ['concepts', 'int32'],
          ['only', 'int32'],
          ['shared', 'int32'],
          ['union', 'int32'],
          ['jaccard', 'float64'],
        ],
        metadata,
      );
      break;
    case 'per-layer':
      batch = rowsToBatch<PerLayerRow>(
        perLayerReport(ia, ib, order),
        [
          ['layer', 'utf8'],
          ['a_neurons', 'int32'],
          ['b_neurons', 'int32'],
          ['a_concepts', 'int32'],
          ['b_concepts', 'int32'],
          ['shared', 'int32'],
          ['only_a', 'int32'],
          ['only_b', 'int32'],
          ['union', 'int32'],
          ['jaccard', 'float64'],
        ],
        metadata,
      );
      break;
    case 'concepts':
      batch = rowsToBatch<ConceptRow>(
        conceptsReport(ia, ib),
        [
          ['concept', 'utf8'],
          ['in', 'utf8'],
          ['a_neurons', 'int32'],
          ['b_neurons', 'int32'],
          ['a_layers', 'utf8'],
          ['b_layers', 'utf8'],
        ],
        metadata,
      );
      break;
    case 'top':
      batch = rowsToBatch<TopRow>(
        topReport(ia, ib, options.top ?? 15),
        [
          ['model', 'utf8'],
          ['rank', 'int32'],
          ['concept', 'utf8'],
          ['neurons', 'int32'],
          ['fraction', 'float64'],
        ],
        metadata,
      );
      break;
    case 'scores':
      batch = rowsToBatch<ScoreRow>(
        scoresReport(ia, ib, order),
        [
          ['model', 'utf8'],
          ['layer', 'utf8'],
          ['count', 'int32'],
          ['mean', 'float64'],
          ['min', 'float64'],
          ['q1', 'float64'],
          ['median', 'float64'],
          ['q3', 'float64'],
          ['max', 'float64'],
        ],
        metadata,
      );
      break;
  }
  return { batch, merged, groups };
}

async function load(file: string, ctx: ToolContext): Promise<{ table: ConceptTable; schema: Schema }> {
  const input = await openArrow(file);
  const checked = checkTable(await readConcepts(input, ctx.nonFinite(input.name)), input.name);
  if (checked.missingScores > 0) {
    ctx.warn(`${input.name}: ${checked.missingScores} neuron(s) without a score (excluded from score statistics)`);
  }
  if (checked.unlabelled > 0) {
    ctx.warn(`${input.name}: ${checked.unlabelled} neuron(s) without a concept (counted as neurons, not concepts)`);
  }
  return { table: checked.table, schema: input.schema };
}

/**
 * The output's metadata: the report's own keys; of the inputs' metadata, the user's keys
 * (not cnnpipe.*, which describe one model each) and the two model files as
 * `cnnpipe.venn.models` (JSON [A's cnnpipe.model, B's], null where unknown).
 */
export function outputMetadata(report: Map<string, string>, a: Schema, b: Schema): Map<string, string> {
  const out = new Map<string, string>();
  for (const schema of [a, b]) {
    for (const [key, value] of schema.metadata) if (!key.startsWith('cnnpipe.') && !out.has(key)) out.set(key, value);
  }
  const models = [a, b].map((s) => s.metadata.get(META.model) ?? null);
  if (models.some((m) => m !== null)) out.set(MODELS_KEY, JSON.stringify(models));
  for (const [key, value] of report) out.set(key, value);
  return out;
}

export function main(argv?: string[]): Promise<void> {
  return runTool<VennArgs>(
    {
      name: 'venn',
      usage: 'A B',
      description:
        "Compares the concepts two networks' neurons learned, from two 'concepts' tables (csv --to-arrow " +
        '--kind concepts of CLIP-Dissect or NetDissect output, or cof --concepts). Reports: summary (per ' +
        'model the distinct concepts overall (layer null) and per layer, with shared, only-this-model, union and ' +
        'Jaccard = shared / union), per-layer (the comparison layer by layer; a layer one model lacks has ' +
        'nulls), concepts (one row per concept: neurons and layers in A and in B), top (the N concepts ' +
        'with most neurons per model, ties alphabetical), scores (per model and layer: count, mean, min, ' +
        "q1, median, q3, max of the score; numpy's linear quantiles). Output kind 'venn', metadata " +
        "cnnpipe.report names the report. '-' reads one input from stdin.",
      examples: [
        [
          "printf 'layer,unit,description,similarity\\nl4,0,dot,.2\\nl4,1,stripe,.3\\n' | \\\n    csv --to-arrow --kind concepts >a.arrows",
          'a tiny annotation file for model A (CLIP-Dissect columns)',
        ],
        [
          "printf 'layer,unit,description,similarity\\nl4,0,stripes,.25\\nl4,1,sky,.4\\n' | \\\n    csv --to-arrow --kind concepts >b.arrows",
          'and one for model B',
        ],
        [
          'venn a.arrows b.arrows --names imagenet,places --normalize | show',
          "the summary: with --normalize 'stripes' counts as 'stripe', so 1 shared concept of 3 (Jaccard 0.33)",
        ],
        ['venn imagenet.arrows places.arrows --report top --top 15 | csv > top15.csv', 'the top-15 concepts of each model, for bar charts'],
        ['venn imagenet.arrows places.arrows --report scores --layers layer2,layer3,layer4 | show', 'score distributions per layer, for box plots'],
      ],
      options: (y) =>
        y
          .option('names', { type: 'string', describe: 'Names of the two models, comma-separated (default: the file names)' })
          .option('report', { alias: 'r', choices: REPORTS, default: 'summary' as Report, describe: 'Which report to write' })
          .option('top', { type: 'number', default: 15, describe: 'How many concepts per model in --report top' })
          .option('layer', { type: 'string', array: true, alias: 'layers', describe: 'Only this layer (repeatable, in this order; --layers a,b as before)' })
          .option('normalize', {
            type: 'boolean',
            default: false,
            describe: 'Match concepts after trimming, lowercasing and folding simple plurals (stripes -> stripe)',
          }),
      readsNumbers: true,
      async run(args, ctx) {
        const files = args._.map(String);
        if (files.length !== 2) throw new UsageError(`expected two inputs A B, got ${files.length}`);
        if (files[0] === '-' && files[1] === '-') throw new UsageError("stdin ('-') can be read only once");
        if (!Number.isInteger(args.top) || args.top < 1) throw new UsageError(`--top ${args.top} (expected a positive integer)`);
        const names = modelNames(files, args.names);
        const { table: a, schema: schemaA } = await load(files[0]!, ctx);
        const { table: b, schema: schemaB } = await load(files[1]!, ctx);
        let layers: string[] | undefined;
        if (args.layer !== undefined) {
          layers = [...new Set(args.layer.flatMap((l) => l.split(',')).map((s) => s.trim()).filter((s) => s !== ''))];
          if (layers.length === 0) throw new UsageError(`--layer '${args.layer.join(',')}' (expected layer names)`);
          const inA = new Set(layersInOrder(a));
          const inB = new Set(layersInOrder(b));
          for (const layer of layers) {
            if (!inA.has(layer) && !inB.has(layer)) {
              const known = [...new Set([...inA, ...inB])].join(', ') || 'none';
              throw new CliError(`--layers: no layer '${layer}' in either input (expected one of: ${known})`);
            }
            if (!inA.has(layer)) ctx.warn(`layer '${layer}' is not in ${names[0]}`);
            if (!inB.has(layer)) ctx.warn(`layer '${layer}' is not in ${names[1]}`);
          }
        }
        const { batch, merged, groups } = computeReport(args.report, a, b, {
          names,
          top: args.top,
          layers,
          normalize: args.normalize,
        });
        if (merged !== undefined) {
          const examples = [...(groups ?? [])].slice(0, 3).map(([c, s]) => `${s.map((x) => `'${x}'`).join(', ')} -> '${c}'`);
          ctx.info(`--normalize merged ${merged} spelling(s)${examples.length ? ` (e.g. ${examples.join('; ')})` : ''}`);
        }
        const schema = new Schema(batch.schema.fields, outputMetadata(batch.schema.metadata, schemaA, schemaB));
        const writer = ArrowWriter.open(args.output, schema);
        await writer.write(batch);
        await writer.close();
      },
    },
    argv,
  );
}

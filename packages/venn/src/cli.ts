import { runTool, vennCodec, writeKind, UsageError, type CommonArgs, type ToolContext } from '@cnnpipe/core';
import { Schema } from 'apache-arrow';
import { readConcepts } from './read.js';
import { REPORTS, chooseLayers, computeReport, mergedNote, modelNames, outputMetadata, type Report } from './report.js';
import { checkTable } from './table.js';

interface VennArgs extends CommonArgs {
  names?: string;
  report: Report;
  top: number;
  layer?: string[];
  normalize: boolean;
}

/** One checked concepts table; its missing scores and unlabelled neurons are warned about. */
async function load(file: string, ctx: ToolContext) {
  const input = await readConcepts(file, ctx.nonFinite);
  const checked = checkTable(input.table, input.name);
  if (checked.missingScores > 0) ctx.warn(`${input.name}: ${checked.missingScores} neuron(s) without a score (excluded from score statistics)`);
  if (checked.unlabelled > 0) ctx.warn(`${input.name}: ${checked.unlabelled} neuron(s) without a concept (counted as neurons, not concepts)`);
  return { table: checked.table, schema: input.schema };
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
        const a = await load(files[0]!, ctx);
        const b = await load(files[1]!, ctx);
        const layers = args.layer === undefined ? undefined : chooseLayers(args.layer, a.table, b.table, names, (m) => ctx.warn(m));
        const out = computeReport(args.report, a.table, b.table, { names, top: args.top, layers, normalize: args.normalize });
        if (out.merged !== undefined) ctx.info(mergedNote(out.merged, out.groups));
        // The two inputs' metadata merged by venn's rule (outputMetadata), in its order.
        const from = new Schema([], outputMetadata(out.metadata, a.schema, b.schema));
        await writeKind(vennCodec, args.output, out.report, { from, shape: { columns: out.report.columns } });
      },
    },
    argv,
  );
}

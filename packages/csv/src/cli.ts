import { KINDS, UsageError, runTool, type CommonArgs } from '@cnnpipe/core';
import { csvToArrow, type ToArrowOptions } from './to-arrow.js';
import { arrowToCsv, type ToCsvOptions } from './to-csv.js';

interface CsvArgs extends CommonArgs, ToArrowOptions, ToCsvOptions {
  toArrow: boolean;
}

export function main(argv?: string[]): Promise<void> {
  return runTool<CsvArgs>(
    {
      name: 'csv',
      usage: '[--to-arrow [--kind KIND]] [FILE]',
      description:
        'Arrow stream to CSV (vector columns as JSON arrays, nulls empty), or with --to-arrow a CSV to an ' +
        'Arrow stream with column types inferred (int32, float64, bool, List<float64>, utf8). ' +
        "'--kind concepts' reads CLIP-Dissect descriptions.csv (layer,unit,description,similarity), NetDissect " +
        'tally.csv (unit,category,label,score; one file per layer, give --layer; units 1-based become 0-based) ' +
        'or a cnnpipe concepts CSV, as the concepts kind (layer, unit, concept, score). ' +
        "'--kind embeddings' reads concept words with their text embeddings (a word then D numbers per row, or " +
        'concept,embedding with JSON arrays) as concept utf8 + embedding FixedSizeList<float32>[D], for describe. ' +
        "A concepts table from describe is written with CLIP-Dissect's header (layer,unit,description,similarity). " +
        'FILE defaults to stdin.',
      examples: [
        ['extract --model examples/zoo/vgg.onnx --layer block3 examples/data/fashion-mnist/test | topk -k 5 | csv > top5.csv', 'any table as CSV'],
        ["printf 'layer,unit,description,similarity\\nlayer2,0,dotted,0.2\\n' | csv --to-arrow --kind concepts | show", 'a CLIP-Dissect file as concepts'],
        ['csv --to-arrow --kind concepts --layer layer4 tally.csv > layer4.arrows', 'a NetDissect tally of layer4'],
        ["printf 'concept,e0,e1\\ndog,0.6,0.8\\ncat,1,0\\n' | csv --to-arrow --kind embeddings | show", 'concept words and text embeddings for describe'],
      ],
      options: (y) =>
        y
          .option('to-arrow', { type: 'boolean', default: false, describe: 'Read CSV, write an Arrow stream' })
          .option('kind', {
            type: 'string',
            choices: Object.keys(KINDS),
            describe: "With --to-arrow: the table kind to declare and check ('concepts' also maps known formats)",
          })
          .option('layer', { type: 'string', describe: 'With --kind concepts: the layer a NetDissect tally describes (or the layer to keep)' })
          .option('unit-base', { type: 'number', describe: "With --kind concepts: the file's first unit number (default: 1 for NetDissect, else 0)" })
          .option('delimiter', { type: 'string', default: ',', describe: 'Field delimiter' })
          .option('header', { type: 'boolean', default: true, describe: 'Write a header row (--no-header to omit)' }),
      async run(args) {
        const files = args._.map(String);
        if (files.length > 1) throw new UsageError(`expected at most one FILE, got ${files.length}: ${files.join(' ')}`);
        args.file = files[0];
        if (args.delimiter.length !== 1) throw new UsageError(`--delimiter must be one character, got '${args.delimiter}'`);
        if (!args.toArrow && (args.kind || args.layer || args.unitBase !== undefined)) {
          throw new UsageError('--kind, --layer and --unit-base apply only with --to-arrow');
        }
        await (args.toArrow ? csvToArrow(args) : arrowToCsv(args));
      },
    },
    argv,
  );
}

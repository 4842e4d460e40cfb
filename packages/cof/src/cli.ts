import {
  CliError,
  META,
  oneFile,
  classesOf,
  cofCodec,
  conceptsCodec,
  layersOf,
  parseClassList,
  readKind,
  runTool,
  topkCodec,
  writeKind,
  type CommonArgs,
} from '@cnnpipe/core';
import { cofRows, conceptRows, countTopk } from './count.js';

interface CofArgs extends CommonArgs {
  concepts: boolean;
  classes?: string;
}

export function main(argv?: string[]): Promise<void> {
  return runTool<CofArgs>(
    {
      name: 'cof',
      usage: '[FILE]',
      description:
        'The neuron-by-class co-occurrence (CoF) matrix: reads topk rows and writes one row per ' +
        '(layer, neuron) with `counts` (how many of its top-k images are of each class of ' +
        'cnnpipe.classes, by label, or by class name when the label is null) and `total` (its ' +
        'top-k rows). With --concepts, writes the concepts kind instead: the dominant class as ' +
        "the neuron's concept and its share of the top-k as the score (ties: the first class).",
      examples: [
        ['extract --model examples/zoo/vgg.onnx --layer block3 examples/data/fashion-mnist/test | topk -k 100 | cof | sparsity | csv', 'CoF matrix, then each neuron sparsity and MF degree'],
        ['cof --concepts topk.arrows | csv', 'the dominant class of each neuron'],
      ],
      options: (y) =>
        y
          .option('concepts', { type: 'boolean', default: false, describe: 'Write each neuron dominant class (concepts kind)' })
          .option('classes', { type: 'string', describe: `Class names as a,b,c or @file (label = index), for a table without ${META.classes} metadata (or to replace it)` }),
      readsNumbers: true,
      async run(args, ctx) {
        // A NaN/Inf value means the top-k counted here was chosen from NaN/Inf: core's policy.
        const reader = await readKind(topkCodec, oneFile(args), { guard: ctx.nonFinite });
        const classNames = args.classes !== undefined ? parseClassList(args.classes) : classesOf(reader.schema);
        if (!classNames || classNames.length === 0) {
          throw new CliError(`${reader.name}: no class names (expected a JSON list of class names in ${META.classes} metadata, or --classes a,b,c or @file)`);
        }
        const counter = await countTopk(reader, classNames);
        if (counter.unknown > 0) ctx.warn(`${counter.unknown} top-k rows have no known class (counted in 'total' only)`);
        const rows = counter.rows((layersOf(reader.schema) ?? []).map((l) => l.name));
        const output = { from: reader.schema, metadata: { [META.classes]: JSON.stringify(classNames) } };
        if (args.concepts) await writeKind(conceptsCodec, args.output, conceptRows(rows, classNames), { ...output });
        else await writeKind(cofCodec, args.output, cofRows(rows, classNames.length), { ...output, shape: { classes: classNames.length } });
      },
    },
    argv,
  );
}

import {
  ArrowWriter,
  CliError,
  META,
  UsageError,
  classesOf,
  expectKind,
  fixedSizeListData,
  float64Data,
  int32Data,
  layersOf,
  makeBatch,
  parseClassList,
  openArrow,
  passMetadata,
  primitiveValues,
  runTool,
  utf8Data,
  type CommonArgs,
} from '@cnnpipe/core';
import type { RecordBatch } from 'apache-arrow';
import { CofCounter, dominantClass, type CofRow } from './cof.js';

interface CofArgs extends CommonArgs {
  concepts: boolean;
  classes?: string;
}

function cofBatch(rows: CofRow[], classes: number, metadata: Map<string, string>): RecordBatch {
  const counts = new Int32Array(rows.length * classes);
  rows.forEach((r, i) => counts.set(r.counts, i * classes));
  return makeBatch(
    {
      layer: utf8Data(rows.map((r) => r.layer)),
      neuron: int32Data(Int32Array.from(rows, (r) => r.neuron)),
      counts: fixedSizeListData(counts, classes),
      total: int32Data(Int32Array.from(rows, (r) => r.total)),
    },
    metadata,
  );
}

function conceptsBatch(rows: CofRow[], classNames: string[], metadata: Map<string, string>): RecordBatch {
  const dominant = rows.map((r) => dominantClass(r.counts, r.total));
  return makeBatch(
    {
      layer: utf8Data(rows.map((r) => r.layer)),
      unit: int32Data(Int32Array.from(rows, (r) => r.neuron)),
      concept: utf8Data(dominant.map((d) => (d.index < 0 ? null : classNames[d.index]!))),
      score: float64Data(Float64Array.from(dominant, (d) => d.share)),
    },
    metadata,
  );
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
        if (args._.length > 1) throw new UsageError(`expected at most one FILE, got ${args._.length}`);
        const input = await openArrow(args._[0] === undefined ? undefined : String(args._[0]));
        expectKind(input.schema, 'topk', input.name);
        const classNames = args.classes !== undefined ? parseClassList(args.classes) : classesOf(input.schema);
        if (!classNames || classNames.length === 0) {
          throw new CliError(`${input.name}: no class names (expected a JSON list of class names in ${META.classes} metadata, or --classes a,b,c or @file)`);
        }
        const classIndex = new Map(classNames.map((name, i) => [name, i]));
        const counter = new CofCounter(classNames.length);
        // A NaN/Inf value means the top-k counted here was chosen from NaN/Inf: core's policy.
        const guard = ctx.nonFinite(input.name);
        let row = 0;
        for await (const whole of input.batches()) {
          for (const batch of guard.filterBatch(whole, row, ['value'])) {
            const layer = batch.getChild('layer')!;
            const neuron = primitiveValues(batch.getChild('neuron')!) as Int32Array;
            const label = batch.getChild('label')!;
            const cls = batch.getChild('class')!;
            for (let r = 0; r < batch.numRows; r++) {
              const l = label.get(r) as number | null;
              let index: number;
              if (l !== null && l !== undefined) {
                if (l < 0 || l >= classNames.length) {
                  throw new CliError(
                    `${input.name}: label ${l} is out of range (expected 0..${classNames.length - 1}, the ${classNames.length} classes of ${META.classes})`,
                  );
                }
                index = l;
              } else {
                const name = cls.get(r) as string | null;
                index = name === null ? -1 : (classIndex.get(name) ?? -1);
              }
              counter.add(String(layer.get(r)), neuron[r]!, index);
            }
          }
          row += whole.numRows;
        }
        guard.finish();
        if (counter.unknown > 0) {
          ctx.warn(`${counter.unknown} top-k rows have no known class (counted in 'total' only)`);
        }
        const rows = counter.rows((layersOf(input.schema) ?? []).map((l) => l.name));
        const metadata = passMetadata(input.schema, { [META.kind]: args.concepts ? 'concepts' : 'cof', [META.classes]: JSON.stringify(classNames) });
        const batch = args.concepts ? conceptsBatch(rows, classNames, metadata) : cofBatch(rows, classNames.length, metadata);
        const writer = ArrowWriter.open(args.output, batch.schema);
        await writer.write(batch);
        await writer.close();
      },
    },
    argv,
  );
}

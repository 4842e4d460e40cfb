import {
  ArrowWriter,
  META,
  UsageError,
  expectKind,
  fixedSizeListValues,
  float64Data,
  makeBatch,
  openArrow,
  passMetadata,
  primitiveValues,
  readAllBatches,
  runTool,
  utf8Data,
  int32Data,
  type CommonArgs,
} from '@cnnpipe/core';
import type { FixedSizeList } from 'apache-arrow';
import { neuronStats } from './stats.js';

/** A float64 column with NaN written as null (never NaN or Infinity in the output). */
function nullableFloat64(values: Float64Array) {
  const isNull = (i: number) => !Number.isFinite(values[i]!);
  const clean = values.map((v) => (Number.isFinite(v) ? v : 0));
  return float64Data(clean, isNull);
}

export function main(argv?: string[]): Promise<void> {
  return runTool<CommonArgs>(
    {
      name: 'sparsity',
      usage: '[FILE]',
      description:
        'Per CoF row (one neuron): `gini` (Hurley–Rickard Gini sparsity of its class counts), ' +
        '`flatness` (spectral flatness, the study equation 1: 1e-7 added to every count; −1 for an ' +
        'all-zero row), `mf` (multi-faceted degree = flatness / gini), `mf_norm` (MF min-max ' +
        "normalised over the whole table), `facet` ('MF' when MF is above its layer's mean, else " +
        "'SF') and `p_value` (two-sided, under a normal fitted to the layer's MF values by maximum " +
        'likelihood). Rows with no response or zero sparsity get nulls (one warning says how many).',
      examples: [
        ['extract --model examples/zoo/vgg.onnx --layer block3 examples/data/fashion-mnist/test | topk -k 100 | cof | sparsity | csv > neurons.csv', 'each neuron statistics as CSV'],
        ['sparsity cof.arrows | show', 'the same from a saved CoF table'],
      ],
      async run(args, ctx) {
        if (args._.length > 1) throw new UsageError(`expected at most one FILE, got ${args._.length}`);
        const input = await openArrow(args._[0] === undefined ? undefined : String(args._[0]));
        expectKind(input.schema, 'cof', input.name);
        const classes = (input.schema.fields.find((f) => f.name === 'counts')!.type as FixedSizeList).listSize;
        const batches = await readAllBatches(input);
        const layers: string[] = [];
        const neurons: number[] = [];
        const parts: Float64Array[] = [];
        for (const batch of batches) {
          for (const v of batch.getChild('layer')!) layers.push(String(v));
          for (const v of primitiveValues(batch.getChild('neuron')!)) neurons.push(v);
          parts.push(Float64Array.from(fixedSizeListValues(batch.getChild('counts')!).values));
        }
        const counts = new Float64Array(layers.length * classes);
        let at = 0;
        for (const part of parts) {
          counts.set(part, at);
          at += part.length;
        }
        const stats = neuronStats(counts, classes, layers);
        if (stats.undefinedRows > 0) {
          ctx.warn(
            `${stats.undefinedRows} of ${layers.length} neurons have no response or zero sparsity: their mf, mf_norm, facet and p_value are null`,
          );
        }
        const batch = makeBatch(
          {
            layer: utf8Data(layers),
            neuron: int32Data(Int32Array.from(neurons)),
            gini: nullableFloat64(stats.gini),
            flatness: nullableFloat64(stats.flatness),
            mf: nullableFloat64(stats.mf),
            mf_norm: nullableFloat64(stats.mfNorm),
            facet: utf8Data(stats.facet),
            p_value: nullableFloat64(stats.pValue),
          },
          passMetadata(input.schema, { [META.kind]: 'neuron-stats' }),
        );
        const writer = ArrowWriter.open(args.output, batch.schema);
        await writer.write(batch);
        await writer.close();
      },
    },
    argv,
  );
}

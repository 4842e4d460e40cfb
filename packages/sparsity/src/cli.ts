import { cofCodec, oneFile, neuronStatsCodec, readKind, runTool, writeKind, type CommonArgs } from '@cnnpipe/core';
import { neuronStats } from './stats.js';

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
        const reader = await readKind(cofCodec, oneFile(args));
        const cof = await reader.all();
        const stats = neuronStats(cof.counts, cof.classes, cof.layer);
        if (stats.undefinedRows > 0) {
          ctx.warn(
            `${stats.undefinedRows} of ${cof.layer.length} neurons have no response or zero sparsity: their mf, mf_norm, facet and p_value are null`,
          );
        }
        const { undefinedRows: _, ...columns } = stats;
        await writeKind(neuronStatsCodec, args.output, { layer: cof.layer, neuron: cof.neuron, ...columns }, { from: reader.schema });
      },
    },
    argv,
  );
}

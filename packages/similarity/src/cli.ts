import {
  UsageError,
  cofCodec,
  evenOffsets,
  readKind,
  runTool,
  similarityCodec,
  similaritySummaryCodec,
  writeKind,
  KindWriter,
  type CommonArgs,
} from '@cnnpipe/core';
import { groupByLayer } from './layers.js';
import { meanOffDiagonal, similarityMatrices } from './similarity.js';

interface SimilarityArgs extends CommonArgs {
  summary: boolean;
}

export function main(argv?: string[]): Promise<void> {
  return runTool<SimilarityArgs>(
    {
      name: 'similarity',
      usage: '[FILE]',
      description:
        'Neuron-to-neuron similarity per layer from a CoF table (the study RSA matrices): for each ' +
        'neuron, `values` is its row of the layer Pearson correlation matrix and `euclidean` its row of ' +
        'the Euclidean distance matrix between CoF rows (neurons in ascending order; computed with ' +
        'onnxruntime Gemm). A neuron whose counts are constant has correlation 0 with every other ' +
        '(a warning says how many). --summary writes one row per layer instead: the mean ' +
        'off-diagonal Pearson similarity and Euclidean dissimilarity.',
      examples: [
        ['extract --model examples/zoo/vgg.onnx --layer block3 examples/data/fashion-mnist/test | topk -k 100 | cof | similarity --summary | csv', 'each layer mean similarity and dissimilarity'],
        ['similarity cof.arrows -o rsa.arrows', 'the Pearson and Euclidean RSA matrices of every layer'],
      ],
      options: (y) =>
        y.option('summary', { type: 'boolean', default: false, describe: 'One row per layer: mean off-diagonal similarity and distance' }),
      async run(args, ctx) {
        if (args._.length > 1) throw new UsageError(`expected at most one FILE, got ${args._.length}`);
        const input = await readKind(cofCodec, args._[0] === undefined ? undefined : String(args._[0]));
        const cof = await input.all();
        const layers = groupByLayer(cof);
        const summary = { layer: [] as string[], neurons: new Int32Array(layers.length), pearson: new Float64Array(layers.length), euclidean: new Float64Array(layers.length) };
        const writer = args.summary ? undefined : KindWriter.open(similarityCodec, args.output, { from: input.schema, shape: { euclidean: true } });
        let constantRows = 0;
        for (const [i, layer] of layers.entries()) {
          const n = layer.neurons.length;
          const m = await similarityMatrices(layer.counts, n, cof.classes);
          constantRows += m.constantRows;
          if (writer) {
            const offsets = evenOffsets(n, n); // row i of each n x n matrix is neuron i's
            await writer.write({ layer: new Array<string>(n).fill(layer.name), neuron: layer.neurons, values: { values: m.pearson, offsets }, euclidean: { values: m.euclidean, offsets } });
          } else {
            summary.layer.push(layer.name);
            summary.neurons[i] = n;
            summary.pearson[i] = meanOffDiagonal(m.pearson, n);
            summary.euclidean[i] = meanOffDiagonal(m.euclidean, n);
          }
        }
        if (constantRows > 0) ctx.warn(`${constantRows} neurons have constant class counts: their Pearson correlation with other neurons is set to 0`);
        if (writer) return writer.close();
        const rows = { layer: summary.layer, meanPearson: summary.pearson, meanEuclidean: summary.euclidean, neurons: summary.neurons };
        await writeKind(similaritySummaryCodec, args.output, rows, { from: input.schema, shape: undefined });
      },
    },
    argv,
  );
}

import { UsageError, activationsCodec, readKind, runTool, type ToolContext } from '@cnnpipe/core';
import type { CkaLayout } from './cka.js';
import type { CompareArgs } from './common.js';
import { sideLayout } from './layers.js';
import { compareCka, merge } from './run-cka.js';
import { compareRsa } from './run-rsa.js';

const METHODS = ['cka', 'rsa'] as const;
const CORRELATIONS = ['pearson', 'spearman'] as const;

async function compare(args: CompareArgs, ctx: ToolContext): Promise<void> {
  const files = args._.map(String);
  if (files.length !== 2) throw new UsageError(`expected two activations tables A B, got ${files.length}${files.length ? `: ${files.join(' ')}` : ''}`);
  if (files[0] === '-' && files[1] === '-') throw new UsageError("stdin ('-') can be read only once");
  if (args.method === 'rsa' && args.partial) throw new UsageError('--partial is for --method cka (RSA needs every image at once)');
  if (args.method === 'rsa' && args.debiased) throw new UsageError('--debiased is for --method cka');
  if (!(Number.isInteger(args.maxImages) && args.maxImages >= 3)) throw new UsageError(`--max-images must be an integer >= 3, got ${args.maxImages}`);
  const a = (await readKind(activationsCodec, files[0])).input;
  const b = (await readKind(activationsCodec, files[1])).input;
  const layout: CkaLayout = {
    a: sideLayout(a, ([] as string[]).concat(args.layerA ?? []).map(String), '--layer-a'),
    b: sideLayout(b, ([] as string[]).concat(args.layerB ?? []).map(String), '--layer-b'),
  };
  if (args.method === 'rsa') await compareRsa(a, b, layout, args, ctx);
  else await compareCka(a, b, layout, args, ctx);
}

export function main(argv?: string[]): Promise<void> {
  return runTool<CompareArgs>(
    {
      name: 'compare',
      readsNumbers: true,
      usage: 'A.arrows B.arrows | merge PART...',
      description:
        'Layer-by-layer similarity of two networks over the same images (activations tables joined by image; give the ' +
        'same table twice to compare a network with itself). Writes a layer-similarity table: one row per (A layer, ' +
        'B layer) with a_model, a_layer, b_model, b_layer, value, method, n, which `plot heatmap` draws as a CKA figure.\n' +
        '  --method cka (default): linear CKA (Kornblith et al. 2019) from streamed float64 statistics, memory ' +
        'independent of the number of images: (D + L + 1)² float64 for D features in L layers; --debiased uses the ' +
        "unbiased HSIC estimator (better for small n). --partial writes the statistics (lstsq's gram kind) instead; " +
        'merge adds such shards and gives exactly the values of one run on all images.\n' +
        '  --method rsa: Pearson (--correlation spearman: Spearman) correlation of the representational dissimilarity ' +
        'matrices 1 − Pearson(x_i, x_j) over image pairs. It holds n x n: about 8 bytes x (nD + (q + 1) n(n−1)/2 + 2n²) ' +
        'for q layers of B and D features (Spearman: 3 n(n−1)/2 more), and stops beyond --max-images.',
      examples: [
        [
          'extract --model examples/zoo/vgg.onnx --layer block1 --layer block2 --layer block3 --layer block4 examples/data/fashion-mnist/test -o vgg.arrows && ' +
            'extract --model examples/zoo/resnet.onnx --layer layer1 --layer layer2 --layer layer3 --layer layer4 examples/data/fashion-mnist/test -o resnet.arrows && ' +
            'compare vgg.arrows resnet.arrows | plot heatmap -o cka.png',
          'linear CKA between every VGG and every ResNet stage, drawn as a heat map',
        ],
        ['compare vgg.arrows vgg.arrows --method rsa --correlation spearman | show', 'RSA of VGG with itself'],
        ['compare --partial a1.arrows b1.arrows -o s1.arrows && compare merge s1.arrows s2.arrows -o cka.arrows', 'CKA by shards'],
      ],
      options: (y) =>
        y
          .option('layer-a', { type: 'string', array: true, describe: "A's layer columns, in this order (repeatable; default: every layer column)" })
          .option('layer-b', { type: 'string', array: true, describe: "B's layer columns (as --layer-a)" })
          .option('method', { type: 'string', choices: METHODS, default: 'cka', describe: 'Linear CKA or RSA' })
          .option('debiased', { type: 'boolean', default: false, describe: 'cka: the unbiased HSIC estimator (n >= 4)' })
          .option('correlation', { type: 'string', choices: CORRELATIONS, default: 'pearson', describe: 'rsa: how the two RDMs are correlated' })
          .option('max-images', { type: 'number', default: 5000, describe: 'rsa: the most images (memory grows as n²)' })
          .option('partial', { type: 'boolean', default: false, describe: 'cka: write the statistics for compare merge' }),
      async run(args, ctx) {
        if (args._[0] === 'merge') await merge(args, ctx);
        else await compare(args, ctx);
      },
    },
    argv,
  );
}

import { CliError, KindWriter, META, UsageError, componentsCodec, layersOf, parsePreprocess, readKind, runTool, topkCodec, type CommonArgs, type TopkBatch } from '@cnnpipe/core';
import type { ChannelMode } from './components.js';
import { icaByLayer, type IcaSettings } from './neurons.js';
import { groupRows, layerInfo } from './rows.js';

type IcaArgs = CommonArgs & IcaSettings;

export function main(argv?: string[]): Promise<void> {
  return runTool<IcaArgs>(
    {
      name: 'ica',
      usage: '[FILE]',
      description:
        "For each neuron of a topk table (with argmax), crops the receptive-field patch around the neuron's " +
        'maximum in each of its top images (same preprocessing as extract, padded with the mean outside the ' +
        'image), and runs FastICA over the patches (samples = patches, features = pixels; logcosh, symmetric, ' +
        "as scikit-learn's FastICA(whiten='unit-variance')). Writes the components table: one row per " +
        'layer, neuron and component, the component being a column of the mixing matrix (a basis pattern) ' +
        'reshaped to the patch, CHW. Fewer components come out, with a warning, when the patches do not span enough dimensions.',
      examples: [
        [
          'extract --model examples/zoo/vgg.onnx --layer block3 --argmax examples/data/fashion-mnist/test | topk -k 20 | ica --components 8 --montage ica-montage > components.arrows',
          'the 8 ICA components of every block3 neuron of the demo VGG, with one PNG per neuron',
        ],
        ['ica --components 8 --channels rgb --images /data/imagenet topk.arrows > components.arrows', 'per-channel ICA, image paths relative to /data/imagenet'],
      ],
      epilogue:
        'Output (kind components): layer, neuron, component (0 = first), height, width, channels, pixels ' +
        '(List<float32>, channels x height x width, row-major). Needs a topk table with argmax and the ' +
        'cnnpipe.layers (shape, receptive field) and cnnpipe.preprocess metadata that extract writes. ' +
        'Montage PNGs are named LAYER-NEURON.png: titled with layer, neuron (and its SF/MF facet with ' +
        '--stats), top patches in rank order, then the components, numbered, each min-max scaled to 0..255.',
      options: (y) =>
        y
          .option('components', { type: 'number', default: 8, describe: 'Components per neuron (fewer when the patches span fewer dimensions)' })
          .option('channels', { choices: ['gray', 'rgb', 'joint'] as const, default: 'gray' as ChannelMode, describe: 'gray: mean of channels; rgb: ICA per channel, stacked; joint: all channels as one vector' })
          .option('images', { type: 'string', describe: 'Folder that relative image paths are under (default: the current folder)' })
          .option('montage', { type: 'string', describe: 'Write one PNG per neuron into DIR: its top patches, then its components' })
          .option('stats', { type: 'string', describe: "--montage: title each PNG with the neuron's SF/MF facet from this neuron-stats table (sparsity's output)" })
          .option('max-iter', { type: 'number', default: 200, describe: 'FastICA iterations at most' })
          .option('tol', { type: 'number', default: 1e-4, describe: 'FastICA convergence tolerance' })
          .option('seed', { type: 'number', default: 0, describe: 'Seed of the initial unmixing matrix' }),
      readsNumbers: true,
      async run(args, ctx) {
        if (!Number.isInteger(args.components) || args.components < 1) throw new UsageError(`--components must be a positive integer, got ${args.components}`);
        if (!Number.isInteger(args.maxIter) || args.maxIter < 1) throw new UsageError(`--max-iter must be a positive integer, got ${args.maxIter}`);
        if (!(args.tol > 0)) throw new UsageError(`--tol must be positive, got ${args.tol}`);
        if (!Number.isInteger(args.seed)) throw new UsageError(`--seed must be an integer, got ${args.seed}`);
        if (args._.length > 1) throw new UsageError(`expected at most one FILE, got ${args._.length}`);
        // A NaN/Inf value means the top-k itself was chosen from NaN/Inf: core's policy.
        const input = await readKind(topkCodec, args._[0] === undefined ? undefined : String(args._[0]), { guard: ctx.nonFinite });
        if (!input.schema.fields.some((f) => f.name === 'argmax')) {
          throw new CliError(`${input.name}: no 'argmax' column (expected a topk table made from 'extract --argmax')`);
        }
        const pp = parsePreprocess(input.schema.metadata.get(META.preprocess), input.name);
        const layers = layersOf(input.schema);
        const batches: TopkBatch[] = [];
        for await (const batch of input.batches()) batches.push(batch);
        const groups = groupRows(batches, input.name);
        const infos = new Map([...groups.keys()].map((name) => [name, layerInfo(layers, name, input.name)]));
        const writer = KindWriter.open(componentsCodec, args.output, { from: input.schema, metadata: { 'cnnpipe.topk': null }, shape: undefined });
        await icaByLayer(groups, infos, pp, args, ctx, (rows) => writer.write(rows));
        await writer.close();
      },
    },
    argv,
  );
}

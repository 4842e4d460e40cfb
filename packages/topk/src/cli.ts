import { KindWriter, TOPK_META, UsageError, expectKind, oneFile, openArrow, runTool, topkCodec, type CommonArgs } from '@cnnpipe/core';
import { layerRows } from './rows.js';
import { fromActivations, fromTopk } from './select.js';

interface TopkArgs extends CommonArgs {
  k: number;
  layer?: string[];
  bottom: boolean;
}

export function main(argv?: string[]): Promise<void> {
  return runTool<TopkArgs>(
    {
      name: 'topk',
      usage: '[FILE]',
      description:
        "Each neuron's K strongest images (or weakest, with --bottom), per layer. Reads an activations " +
        'table (one row per image) or topk tables (to merge shards: `concat a b | topk -k K`). Memory is ' +
        'bounded by layers x channels x K, whatever the number of images. Ties: the smaller image path wins (then the earlier row), ' +
        'so merged shards equal a single run byte for byte. ' +
        'The argmax of each entry is carried through when the input has it. Output rows are sorted by ' +
        'layer, neuron, rank (1 = strongest).',
      examples: [
        ['extract --model examples/zoo/vgg.onnx --layer block3 examples/data/fashion-mnist/test | topk -k 100 > topk.arrows', 'top-100 demo images of every block3 channel'],
        ['topk -k 10 --layer layer4 --bottom acts.arrows | csv', 'the 10 weakest images of layer4 channels, as CSV'],
        ['concat topk-1.arrows topk-2.arrows | topk -k 100 > topk.arrows', 'merge shards'],
      ],
      options: (y) =>
        y
          .option('k', { type: 'number', demandOption: true, describe: 'How many images per neuron' })
          .option('layer', { type: 'string', array: true, describe: 'Only this layer (repeatable); default: every layer' })
          .option('bottom', { type: 'boolean', default: false, describe: 'Keep the K weakest instead of the strongest' }),
      readsNumbers: true,
      async run(args, ctx) {
        if (!Number.isInteger(args.k) || args.k < 1) throw new UsageError(`-k must be a positive integer, got ${args.k}`);
        const input = await openArrow(oneFile(args));
        const kind = expectKind(input.schema, ['activations', 'topk'], input.name);
        const guard = ctx.nonFinite(input.name, kind === 'activations' ? 'images' : 'rows');
        const { states, argmax } = kind === 'activations' ? await fromActivations(input, guard, args) : await fromTopk(input, guard, args);
        const writer = KindWriter.open(topkCodec, args.output, {
          from: input.schema,
          metadata: { [TOPK_META]: JSON.stringify({ k: args.k, bottom: args.bottom }) },
          shape: { argmax },
        });
        for (const state of states) await writer.write(layerRows(state, argmax));
        await writer.close();
      },
    },
    argv,
  );
}

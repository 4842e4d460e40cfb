import { PRESETS, RESIZE_KERNELS, parseExecutionProvider, resolvePreprocess, runTool } from '@cnnpipe/core';
import { collectImages, loadModel, modelInput, parseClassOrder, shardOf } from '@cnnpipe/extract';
import { checkArgs, type SaliencyArgs } from './args.js';
import { METHODS } from './methods.js';
import { runSaliency } from './run.js';
import type { Units } from './saliency.js';
import { topkUnits } from './topk-units.js';

export function main(argv?: string[]): Promise<void> {
  return runTool<SaliencyArgs>(
    {
      name: 'saliency',
      usage: '--model M.onnx --layer L (--channel C... | --top T) INPUT... | --topk T.arrows',
      description:
        'Which pixels of each image drive a unit: for every image and unit, the gradient of the unit\'s ' +
        "channel mean at --layer with respect to the model's input tensor (after preprocessing), as rows " +
        'of the saliency kind (image, layer, neuron, height, width, channels, pixels: CHW float32). ' +
        '--method gradient is the plain input gradient (Simonyan et al. 2014), gradient-x-input multiplies ' +
        'it by the input, smoothgrad averages the gradient over --samples copies with Gaussian noise of ' +
        '--noise times the image\'s value range (Smilkov et al. 2017). The backward pass is built from ' +
        'ONNX inference operators and runs with the forward pass in one onnxruntime session. INPUT, the ' +
        'preprocessing flags, --ep and --shard are as for extract. With --png DIR, one heat map per row. ' +
        'With --topk T (a topk table) instead of INPUTs, each neuron of the layer on each of its top images: ' +
        'the table atlas --saliency shows.',
      examples: [
        [
          'saliency --model examples/zoo/resnet.onnx --layer layer3 --top 2 --png /tmp/saliency examples/data/fashion-mnist/test/bag | show',
          'gradient maps of each bag image\'s two strongest layer3 channels, with heat maps in /tmp/saliency',
        ],
        [
          'extract --model examples/zoo/vgg.onnx --layer block3 examples/data/fashion-mnist/test | topk -k 5 -o /tmp/topk.arrows && saliency --model examples/zoo/vgg.onnx --layer block3 --topk /tmp/topk.arrows -o /tmp/saliency.arrows',
          'every block3 neuron on its 5 top images (for atlas --saliency)',
        ],
        ['saliency --model examples/zoo/vgg.onnx --layer block4 --channel 5 --method smoothgrad --samples 10 examples/data/fashion-mnist/test/sneaker > s.arrows', 'SmoothGrad maps of one channel'],
      ],
      options: (y) =>
        y
          .option('model', { alias: 'm', type: 'string', demandOption: true, describe: 'ONNX model file' })
          .option('layer', { alias: 'l', type: 'string', demandOption: true, describe: 'Module path or tensor name (as extract --layer)' })
          .option('channel', { alias: 'c', type: 'number', describe: 'Channel to explain (repeatable)' })
          .option('top', { type: 'number', describe: "Explain each image's T strongest channels (by channel mean)" })
          .option('topk', { type: 'string', describe: 'A topk table: explain each neuron of --layer on its top images (instead of INPUTs)' })
          .option('ranks', { type: 'number', describe: "With --topk: only each neuron's first R top images" })
          .option('images', { type: 'string', describe: 'With --topk: the folder relative image paths are relative to' })
          .option('method', { type: 'string', choices: [...METHODS], default: 'gradient', describe: 'How gradients become a map' })
          .option('samples', { type: 'number', default: 25, describe: 'SmoothGrad: noisy copies per map' })
          .option('noise', { type: 'number', default: 0.15, describe: "SmoothGrad: noise σ as a fraction of the image's value range" })
          .option('seed', { type: 'number', default: 0, describe: 'SmoothGrad: random seed' })
          .option('png', { type: 'string', describe: 'Write a heat map per row into this folder' })
          .option('preset', { type: 'string', choices: Object.keys(PRESETS), describe: 'Preprocessing preset (default: gray for 1-channel models, imagenet for 3)' })
          .option('size', { type: 'number', describe: 'Crop size fed to the model' })
          .option('resize', { type: 'number', describe: 'Resize the shorter side to this before the centre crop' })
          .option('mean', { type: 'string', describe: 'Per-channel mean, e.g. 0.485,0.456,0.406' })
          .option('std', { type: 'string', describe: 'Per-channel std, e.g. 0.229,0.224,0.225' })
          .option('resize-kernel', { type: 'string', choices: [...RESIZE_KERNELS], default: 'pil', describe: 'Resampler of the resize (as extract)' })
          .option('classes', { type: 'string', describe: 'Class order as a,b,c or @file; default: sorted folder names' })
          .option('batch', { type: 'number', default: 8, describe: 'Images decoded per step, and image copies per onnxruntime run' })
          .option('ep', { type: 'string', default: 'cpu', describe: 'Execution provider: cpu, webgpu or cuda (falls back to cpu with a message)' })
          .option('shard', { type: 'string', describe: 'Only images i with i % N == I, for --shard I/N (I from 0)' })
          .option('strict', { type: 'boolean', default: false, describe: 'Stop at an unreadable image (default: skip it with a warning)' }),
      async run(args, ctx) {
        const ep = parseExecutionProvider(args.ep);
        const { channels, inputs } = checkArgs(args);
        const model = loadModel(args.model);
        const input = modelInput(model);
        const preprocess = resolvePreprocess(input.channels, args, input.size);
        const fromTopk = args.topk !== undefined ? await topkUnits(args.topk, args.layer, args.ranks ?? Infinity, args.images) : undefined;
        const set = fromTopk ? { items: fromTopk.images, classes: [] } : collectImages(inputs, args.classes ? parseClassOrder(args.classes) : undefined);
        const picked = shardOf(set.items.map((item, i) => ({ item, i })), args.shard);
        const images = picked.map((p) => p.item);
        const units: Units = args.top !== undefined ? { top: args.top } : { channels };
        await runSaliency(
          {
            model,
            layer: args.layer,
            images,
            ...(fromTopk ? { units: picked.map((p) => fromTopk.units[p.i]!), names: picked.map((p) => fromTopk.names[p.i]!) } : {}),
            classes: set.classes,
            preprocess,
            batch: args.batch,
            ep,
            output: args.output,
            png: args.png,
            progress: ctx.progress('images', images.length, 'images'),
            warn: ctx.warn,
            strict: args.strict,
          },
          { method: args.method, units, samples: args.samples, noise: args.noise, seed: args.seed, rows: args.batch },
        );
      },
    },
    argv,
  );
}

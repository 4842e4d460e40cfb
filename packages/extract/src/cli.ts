import { ByteSink, UsageError, parseExecutionProvider, runTool, type CommonArgs, type PreprocessFlags } from '@cnnpipe/core';
import { collectImages, parseClassOrder, shardOf } from './images.js';
import { listLayers, modelInput, planExtraction, runExtraction } from './extract.js';
import { loadModel } from './onnx-model.js';
import { chooseClassOrder } from './class-order.js';
import { basename } from 'node:path';
import { PRESETS, RESIZE_KERNELS, resolvePreprocess } from '@cnnpipe/core';

interface ExtractArgs extends CommonArgs, PreprocessFlags {
  model: string;
  layer?: string | string[];
  pool: 'mean' | 'max';
  argmax: boolean;
  logits: boolean;
  resizeKernel: string;
  batch: number;
  ep: string;
  requireEp: boolean;
  shard?: string;
  classes?: string;
  listLayers: boolean;
  strict: boolean;
}

export function main(argv?: string[]): Promise<void> {
  return runTool<ExtractArgs>(
    {
      name: 'extract',
      usage: '--model M.onnx --layer NAME... INPUT...',
      description:
        'Runs images through an ONNX CNN and writes one row per image (the activations kind): per tapped ' +
        'layer the per-channel mean (or max) activation, with --argmax the flat index h*W+w of each ' +
        "channel's maximum, with --logits the model's output. A layer NAME is a PyTorch module path (layer2, " +
        'features.28), from either exporter (TorchScript scopes in node names, or dynamo=True node metadata), and ' +
        'taps that module\'s final output; an ' +
        'exact tensor name works too; --list-layers shows them all with their shapes. Pooling runs inside ' +
        'the graph, so full feature maps never reach JavaScript. INPUT: image files, folders in ImageFolder ' +
        "layout (class = sub-folder; labels in the model's class order when its metadata has one (cnnpipe.classes, see README), else sorted by name; --classes fixes the order), or @list.txt " +
        '(path[,class] per line). Preprocessing is torchvision\'s Resize + CenterCrop on PIL images, byte for byte. ' +
        'External weights are read next to the model; a batch fixed at export is handled. Receptive fields of the layers go ' +
        'into the cnnpipe.layers metadata.',
      epilogue:
        'Note: torch.onnx.export folds each BatchNorm into the Conv before it, so tapping such a Conv ' +
        '(layer1.0.conv1) gives its output after BatchNorm; a forward hook on the Conv would see it before. ' +
        'Tap the block (layer1.0) or the ReLU after it to compare with hooks.',
      examples: [
        [
          'extract --model examples/zoo/resnet.onnx --layer layer2 --layer layer4 --argmax examples/data/fashion-mnist/test | show',
          'mean activations and argmax positions of two ResNet stages on the demo images',
        ],
        ['extract --model examples/zoo/vgg.onnx --list-layers', 'the tappable modules of a model and their shapes'],
        ['extract --model m.onnx --layer layer4 --shard 0/4 imgs/ > part0.arrows', 'the first of four shards (0-based I/N)'],
      ],
      options: (y) =>
        y
          .option('model', { alias: 'm', type: 'string', demandOption: true, describe: 'ONNX model file' })
          // Repeated flags collect into a list; `array: true` would also swallow the INPUTs after it.
          .option('layer', { alias: 'l', type: 'string', describe: 'Module path or tensor name to tap (repeatable)' })
          .option('pool', { type: 'string', choices: ['mean', 'max'], default: 'mean', describe: 'Per-channel reduction of feature maps' })
          .option('argmax', { type: 'boolean', default: false, describe: "Also write each channel's argmax position (<layer>:argmax)" })
          .option('logits', { type: 'boolean', default: false, describe: "Also write the model's output as a logits column" })
          .option('preset', { type: 'string', choices: Object.keys(PRESETS), describe: 'Preprocessing preset (default: gray for 1-channel models, imagenet for 3)' })
          .option('size', { type: 'number', describe: 'Crop size fed to the model' })
          .option('resize', { type: 'number', describe: 'Resize the shorter side to this before the centre crop' })
          .option('mean', { type: 'string', describe: 'Per-channel mean, e.g. 0.485,0.456,0.406' })
          .option('std', { type: 'string', describe: 'Per-channel std, e.g. 0.229,0.224,0.225' })
          .option('resize-kernel', {
            type: 'string',
            choices: [...RESIZE_KERNELS],
            default: 'pil',
            describe: "Resampler of the resize: pil (torchvision's on PIL images, byte for byte) or libvips (sharp's bilinear: faster, ~1% off at deep layers)",
          })
          .option('classes', { type: 'string', describe: "Class order as a,b,c or @file (label = index); default: the model's cnnpipe.classes metadata when the folders are its classes, else sorted folder names" })
          .option('batch', { type: 'number', default: 32, describe: 'Images per inference batch' })
          .option('ep', { type: 'string', default: 'cpu', describe: 'Execution provider: cpu, webgpu or cuda (one warning naming what is missing, then cpu; see README "GPU")' })
          .option('require-ep', { type: 'boolean', default: false, describe: 'Exit 1 instead of falling back to cpu when --ep cannot start (batch jobs)' })
          .option('shard', { type: 'string', describe: 'Only images i with i % N == I, for --shard I/N (I from 0)' })
          .option('strict', { type: 'boolean', default: false, describe: 'Stop at an unreadable image (default: skip it with a warning)' })
          .option('list-layers', { type: 'boolean', default: false, describe: 'Print the tappable layers with their shapes and exit' }),
      async run(args, ctx) {
        const ep = parseExecutionProvider(args.ep);
        if (!Number.isInteger(args.batch) || args.batch < 1) throw new UsageError(`--batch must be a positive integer, got ${args.batch}`);
        if (args.listLayers) {
          const model = loadModel(args.model, { weights: 'referenced' });
          const input = modelInput(model);
          const pp = resolvePreprocess(input.channels, args, input.size);
          const listing = await listLayers(model, input, pp.size);
          const width = Math.max(5, ...listing.map((l) => l.name.length));
          const lines = [`${'layer'.padEnd(width)}  shape (C,H,W)   tensor`];
          for (const l of listing) lines.push(`${l.name.padEnd(width)}  ${l.shape.join('x').padEnd(14)}  ${l.tensor}`);
          const sink = ByteSink.open(args.output);
          await sink.write(`${lines.join('\n')}\n`);
          sink.commit();
          return;
        }
        const inputs = args._.map(String);
        if (inputs.length === 0) throw new UsageError('expected at least one INPUT (image files, folders or @list.txt)');
        const layers = ([] as string[]).concat(args.layer ?? []).map(String);
        if (layers.length === 0 && !args.logits) throw new UsageError('expected --layer NAME (see --list-layers) or --logits');
        const model = loadModel(args.model, { weights: 'referenced' });
        const input = modelInput(model);
        const preprocess = resolvePreprocess(input.channels, args, input.size);
        const plan = await planExtraction(model, layers, { ...args, size: preprocess.size });
        const given = args.classes ? parseClassOrder(args.classes) : undefined;
        const set = collectImages(inputs, given);
        if (!given) {
          // The model's own order (cnnpipe.classes metadata) when the folders are its classes.
          const choice = chooseClassOrder(set.classes, model.classes, basename(args.model));
          set.classes = choice.classes;
          if (choice.warning) ctx.warn(choice.warning);
        }
        const images = shardOf(set.items, args.shard);
        const progress = ctx.progress('images', images.length, 'images');
        await runExtraction(plan, { images, classes: set.classes, preprocess, batchSize: args.batch, ep, requireEp: args.requireEp, output: args.output, progress, warn: ctx.warn, strict: args.strict });
      },
    },
    argv,
  );
}

import { KindWriter, PRESETS, RESIZE_KERNELS, parseExecutionProvider, runTool, visualizationsCodec } from '@cnnpipe/core';
import { loadModel, modelInput, resolveLayer } from '@cnnpipe/extract';
import { checkArgs, dreamMetadata, dreamPreprocess, plan, renderOptions, startImage, type DreamArgs } from './args.js';
import { OnnxEngine } from './engine.js';
import { objectiveName, type ObjectiveSpec } from './objectives.js';
import { renderJobs } from './render-jobs.js';

export function main(argv?: string[]): Promise<void> {
  return runTool<DreamArgs>(
    {
      name: 'dream',
      usage: '',
      description:
        "Feature visualisation: the image that most excites a unit, by gradient ascent on the input (Lucent's recipe: " +
        'FFT parameterisation with colour decorrelation, pad/jitter/scale/rotate transforms each step, Adam), or DeepDream ' +
        '(--objective deepdream, optionally --from an image). Gradients come from the model itself (@cnnpipe/autodiff). ' +
        'Writes a visualizations table: one row per unit (and per image of a --diversity batch) with the final image in ' +
        '[0, 1] (CHW) and `value`, the objective on that image measured as `extract` would measure the saved PNG. ' +
        "The network sees the image through extract's preprocessing (--preset, --input-size, --resize, --mean, --std).",
      examples: [
        ['dream --model examples/zoo/vgg.onnx --layer block3 --channel 5 --steps 128 --png out/vis -o out/vis.arrows', 'one unit, its PNG in out/vis'],
        ['dream --model examples/zoo/vgg.onnx --layer block3 --all --png out/vis -o out/block3-vis.arrows', 'every unit of a layer, 8 at a time, with a progress bar'],
        ['dream --model examples/zoo/resnet.onnx --layer layer2 --objective deepdream --from examples/data/fashion-mnist/test/bag/00018.png --png out/dream > /dev/null', 'DeepDream on an image'],
        ['dream --model examples/zoo/vgg.onnx --layer block2 --channel 3 --diversity 100 --batch 4 --png out/div > /dev/null', 'four different images of one unit'],
      ],
      options: (y) =>
        y
          .option('model', { type: 'string', demandOption: true, describe: 'ONNX model' })
          .option('layer', { type: 'string', demandOption: true, describe: "Layer (module path as extract's --layer, or tensor name)" })
          .option('channel', { type: 'number', array: true, describe: 'Unit (channel) to render (repeatable)' })
          .option('all', { type: 'boolean', default: false, describe: 'Render every channel of the layer' })
          .option('objective', { type: 'string', choices: ['channel', 'neuron', 'deepdream'], default: 'channel', describe: 'channel mean, the centre neuron, or mean of squares of the layer' })
          .option('size', { type: 'number', default: 128, describe: 'Side of the rendered image, pixels' })
          .option('steps', { type: 'number', default: 512, describe: 'Optimisation steps' })
          .option('lr', { type: 'number', default: 0.05, describe: 'Adam learning rate' })
          .option('batch', { type: 'number', default: 8, describe: 'Units per batch (images per unit with --diversity)' })
          .option('seed', { type: 'number', default: 0, describe: 'Random seed (initial spectrum, transforms): same seed, same bytes' })
          .option('param', { type: 'string', choices: ['fft', 'pixel'], default: 'fft', describe: 'Image parameterisation' })
          .option('transforms', { type: 'string', choices: ['standard', 'none'], default: 'standard', describe: "Lucent's standard transforms each step, or none" })
          .option('diversity', { type: 'number', default: 0, describe: 'Diversity weight W: a batch of images of one unit, objective channel - W * diversity' })
          .option('from', { type: 'string', describe: 'Start image for --objective deepdream' })
          .option('png', { type: 'string', describe: 'Also write one PNG per row into this folder (LAYER-NEURON[-I].png)' })
          .option('curve', { type: 'boolean', default: false, describe: 'Add a `curve` column: the objective at every step' })
          .option('ep', { type: 'string', default: 'cpu', describe: 'Execution provider: cpu, webgpu or cuda (falls back to cpu with a message)' })
          .option('threads', { type: 'number', describe: 'onnxruntime intra-op threads (default: one per core)' })
          .option('preset', { type: 'string', choices: Object.keys(PRESETS), describe: "Preprocessing preset, as extract's (default: gray for 1-channel models, imagenet for 3)" })
          .option('input-size', { type: 'number', describe: "The network's input side (extract's --size; default: the model's, else the preset's)" })
          .option('resize', { type: 'number', describe: "extract's --resize: the image is resized to this, then centre-cropped to the input size" })
          .option('mean', { type: 'string', describe: 'Per-channel mean, e.g. 0.485,0.456,0.406' })
          .option('std', { type: 'string', describe: 'Per-channel std, e.g. 0.229,0.224,0.225' })
          .option('resize-kernel', { type: 'string', choices: [...RESIZE_KERNELS], describe: "extract's --resize-kernel, for measuring `value`" }),
      async run(args, ctx) {
        checkArgs(args);
        const ep = parseExecutionProvider(args.ep);
        const model = loadModel(args.model);
        const tensor = resolveLayer(model, args.layer);
        const input = modelInput(model);
        const pp = dreamPreprocess(args, input);
        const engine = await OnnxEngine.create(model, tensor, {
          size: pp.size,
          ep,
          meanSquare: args.objective === 'deepdream' && !args.diversity,
          onFallback: (m) => ctx.warn(m),
          ...(args.threads ? { intraOpThreads: args.threads } : {}),
        });
        const layerChannels = engine.tapShape[0] ?? 1;
        const jobs = plan(args, layerChannels);
        const from = args.from ? await startImage(args.from, pp.channels, args.size) : undefined;
        const spec = (units: number[]): ObjectiveSpec => ({ kind: args.objective, channels: units, diversity: args.diversity });
        const options = renderOptions(args, pp, from);
        const metadata = dreamMetadata(args, pp, tensor, engine.tapShape, objectiveName(spec([])));
        const shape = { sample: args.diversity !== 0, curve: args.curve };
        const writer = KindWriter.open(visualizationsCodec, args.output, { metadata, shape });
        await renderJobs(jobs, engine, pp, args, spec, options, ctx, (rows) => writer.write(rows));
        await writer.close();
      },
    },
    argv,
  );
}

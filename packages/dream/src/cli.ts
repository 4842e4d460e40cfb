import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ArrowWriter,
  CliError,
  META,
  PRESETS,
  RESIZE_KERNELS,
  UsageError,
  float32Data,
  int32Data,
  listData,
  makeBatch,
  modelPixels,
  parseExecutionProvider,
  resolvePreprocess,
  runTool,
  utf8Column,
  type CommonArgs,
  type Preprocess,
} from '@cnnpipe/core';
import { loadModel, modelInput, resolveLayer } from '@cnnpipe/extract';
import { Schema } from 'apache-arrow';
import { OnnxEngine } from './engine.js';
import { encodePng, fromBytes, measurePngs, toBytes } from './measure.js';
import { objectiveName, type ObjectiveKind, type ObjectiveSpec } from './objectives.js';
import type { ParamKind } from './param/image.js';
import { renderBatch, type RenderOptions } from './render.js';
import type { TransformSet } from './transforms.js';

interface DreamArgs extends CommonArgs {
  model: string;
  layer: string;
  channel?: number[];
  all: boolean;
  objective: ObjectiveKind;
  size: number;
  steps: number;
  lr: number;
  batch: number;
  seed: number;
  param: ParamKind;
  transforms: TransformSet;
  diversity: number;
  from?: string;
  png?: string;
  curve: boolean;
  ep: string;
  threads?: number;
  preset?: string;
  inputSize?: number;
  resize?: number;
  mean?: string;
  std?: string;
  resizeKernel?: string;
}

/** One job of the render: the units of one batch (a diversity batch repeats one unit). */
interface Job {
  units: number[];
  /** Index within a diversity batch, per image (undefined without diversity). */
  samples?: number[];
}

function plan(args: DreamArgs, channels: number): Job[] {
  if (args.objective === 'deepdream') {
    if (args.channel?.length || args.all) throw new UsageError('--objective deepdream maximises the whole layer: drop --channel/--all');
    return [{ units: Array(args.diversity ? args.batch : 1).fill(-1), ...(args.diversity ? { samples: [...Array(args.batch).keys()] } : {}) }];
  }
  let units = args.channel ?? [];
  if (args.all) {
    if (units.length) throw new UsageError('--all renders every channel: drop --channel');
    units = [...Array(channels).keys()];
  }
  if (units.length === 0) throw new UsageError('which units? give --channel C (repeatable) or --all');
  for (const c of units) {
    if (!Number.isInteger(c) || c < 0 || c >= channels) throw new UsageError(`--channel ${c}: out of range (layer '${args.layer}' has channels 0..${channels - 1})`);
  }
  if (args.diversity) return units.map((u) => ({ units: Array(args.batch).fill(u), samples: [...Array(args.batch).keys()] }));
  const jobs: Job[] = [];
  for (let i = 0; i < units.length; i += args.batch) jobs.push({ units: units.slice(i, i + args.batch) });
  return jobs;
}

function checkArgs(args: DreamArgs): void {
  const positiveInt = (flag: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${flag} must be a positive integer, got ${v}`);
  };
  positiveInt('size', args.size);
  positiveInt('batch', args.batch);
  if (!Number.isInteger(args.steps) || args.steps < 0) throw new UsageError(`--steps must be a whole number, got ${args.steps}`);
  if (!(args.lr > 0)) throw new UsageError(`--lr must be positive, got ${args.lr}`);
  if (!Number.isInteger(args.seed)) throw new UsageError(`--seed must be an integer, got ${args.seed}`);
  if (!Number.isFinite(args.diversity) || args.diversity < 0) throw new UsageError(`--diversity must be a number >= 0, got ${args.diversity}`);
  if (args.diversity && args.batch < 2) throw new UsageError('--diversity compares the images of a batch: give --batch 2 or more');
  if (args.from && args.objective !== 'deepdream') throw new UsageError('--from dreams on an image: it goes with --objective deepdream');
  if (args._.length > 0) throw new UsageError(`unexpected argument '${args._[0]}' (dream reads no input stream)`);
}

/** --from: the image as the rendered square (C, size, size) in [0, 1], via extract's decode and resize. */
async function startImage(path: string, channels: 1 | 3, size: number): Promise<Float32Array> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CliError(`--from ${path}: cannot read (${error instanceof Error ? error.message : String(error)})`);
  }
  const view: Preprocess = { resize: size, size, channels, mean: Array(channels).fill(0), std: Array(channels).fill(1) };
  try {
    const image = await modelPixels(bytes, view);
    return fromBytes(image.data, channels, size);
  } catch (error) {
    throw new CliError(`--from ${path}: cannot decode image (${error instanceof Error ? error.message : String(error)})`);
  }
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

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
        const pp = resolvePreprocess(
          input.channels,
          {
            ...(args.preset !== undefined ? { preset: args.preset } : {}),
            ...(args.inputSize !== undefined ? { size: args.inputSize } : {}),
            ...(args.resize !== undefined ? { resize: args.resize } : {}),
            ...(args.mean !== undefined ? { mean: args.mean } : {}),
            ...(args.std !== undefined ? { std: args.std } : {}),
            ...(args.resizeKernel !== undefined ? { resizeKernel: args.resizeKernel } : {}),
          },
          input.size,
        );
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
        const options = (seed: number): RenderOptions => ({
          param: args.param,
          size: args.size,
          channels: pp.channels,
          steps: args.steps,
          lr: args.lr,
          transforms: args.transforms,
          seed,
          view: { resize: pp.resize, size: pp.size, mean: pp.mean, std: pp.std },
          ...(from ? { from } : {}),
        });
        const diversityRows = args.diversity !== 0;
        const metadata = new Map<string, string>([
          [META.kind, 'visualizations'],
          [META.model, args.model],
          [META.preprocess, JSON.stringify(pp)],
          [META.layers, JSON.stringify([{ name: args.layer, tensor, shape: engine.tapShape }])],
          [
            'cnnpipe.dream',
            JSON.stringify({
              objective: objectiveName(spec([])),
              size: args.size,
              steps: args.steps,
              lr: args.lr,
              param: args.param,
              transforms: args.transforms,
              seed: args.seed,
              batch: args.batch,
              ...(args.from ? { from: args.from } : {}),
            }),
          ],
        ]);
        const columns = (n: number, rows: RowData) => ({
          layer: utf8Column(new Array<string>(n).fill(args.layer)),
          neuron: int32Data(Int32Array.from(rows.units), (i) => rows.units[i]! < 0),
          ...(diversityRows ? { sample: int32Data(Int32Array.from(rows.samples ?? [])) } : {}),
          objective: utf8Column(new Array<string>(n).fill(objectiveName(spec([])))),
          value: float32Data(Float32Array.from(rows.values)),
          height: int32Data(new Int32Array(n).fill(args.size)),
          width: int32Data(new Int32Array(n).fill(args.size)),
          channels: int32Data(new Int32Array(n).fill(pp.channels)),
          pixels: listData(rows.pixels, new Float32Array(0)),
          ...(args.curve ? { curve: listData(rows.curves, new Float32Array(0)) } : {}),
        });
        const emptyRows: RowData = { units: [], samples: [], values: [], pixels: [], curves: [] };
        const schema = new Schema(makeBatch(columns(0, emptyRows)).schema.fields, metadata);
        if (args.png) mkdirSync(args.png, { recursive: true });
        const writer = ArrowWriter.open(args.output, schema);
        const totalSteps = jobs.length * args.steps;
        const progress = ctx.progress(`rendering ${args.layer}`, totalSteps, 'steps');
        for (let j = 0; j < jobs.length; j++) {
          const job = jobs[j]!;
          const B = job.units.length;
          const seed = (args.seed ^ Math.imul(j + 1, 0x9e3779b1)) >>> 0;
          const result = await renderBatch(engine, spec(job.units), B, options(seed), () => progress.tick(1));
          const plane = pp.channels * args.size * args.size;
          const pngs: Buffer[] = [];
          const pixels: Float32Array[] = [];
          for (let b = 0; b < B; b++) {
            const bytes = toBytes(result.images.subarray(b * plane, (b + 1) * plane), pp.channels, args.size);
            pixels.push(fromBytes(bytes, pp.channels, args.size));
            pngs.push(await encodePng(bytes, pp.channels, args.size));
          }
          const values = await measurePngs(pngs, pp, engine, spec(job.units));
          if (args.png) {
            for (let b = 0; b < B; b++) {
              const unit = job.units[b]! < 0 ? 'dream' : String(job.units[b]);
              const suffix = job.samples ? `-${job.samples[b]}` : '';
              writeFileSync(join(args.png, `${safeName(args.layer)}-${unit}${suffix}.png`), pngs[b]!);
            }
          }
          const curves = job.units.map((_, b) => Float32Array.from({ length: args.steps }, (_, s) => result.curve[s * B + b]!));
          const rows: RowData = { units: job.units, values: Array.from(values), pixels, curves, ...(job.samples ? { samples: job.samples } : {}) };
          await writer.write(makeBatch(columns(B, rows), metadata));
        }
        progress.finish();
        await writer.close();
      },
    },
    argv,
  );
}

interface RowData {
  units: number[];
  samples?: number[];
  values: number[];
  pixels: Float32Array[];
  curves: Float32Array[];
}

import { readFileSync } from 'node:fs';
import { CliError, META, UsageError, errorMessage, modelPixels, plainError, resolvePreprocess, type CommonArgs, type Preprocess } from '@cnnpipe/core';
import { fromBytes } from './measure.js';
import type { ObjectiveKind } from './objectives.js';
import type { ParamKind } from './param/image.js';
import type { RenderOptions } from './render.js';
import type { TransformSet } from './transforms.js';

/** dream's options, their checks, the jobs they ask for, and the --from image. */

export interface DreamArgs extends CommonArgs {
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
export interface Job {
  units: number[];
  /** Index within a diversity batch, per image (undefined without diversity). */
  samples?: number[];
}

/** The batches to render: the units of each (one unit repeated with --diversity). */
export function plan(args: DreamArgs, channels: number): Job[] {
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

/** The usage errors of the options (exit 2). */
export function checkArgs(args: DreamArgs): void {
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
export async function startImage(path: string, channels: 1 | 3, size: number): Promise<Float32Array> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CliError(`--from ${path}: cannot read (${plainError(error)})`);
  }
  const view: Preprocess = { resize: size, size, channels, mean: Array(channels).fill(0), std: Array(channels).fill(1) };
  try {
    const image = await modelPixels(bytes, view);
    return fromBytes(image.data, channels, size);
  } catch (error) {
    throw new CliError(`--from ${path}: cannot decode image (${errorMessage(error)})`);
  }
}


/** The network's preprocessing: extract's flags where given, else the model's and the preset's. */
export function dreamPreprocess(args: DreamArgs, input: { channels: number; size?: number }): Preprocess {
  return resolvePreprocess(
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
}

/** What each render of a batch takes (its seed differs per batch). */
export function renderOptions(args: DreamArgs, pp: Preprocess, from: Float32Array | undefined): (seed: number) => RenderOptions {
  return (seed: number): RenderOptions => ({
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
}

/** The visualizations table's metadata: the model, preprocessing, layer, and how the images were made. */
export function dreamMetadata(args: DreamArgs, pp: Preprocess, tensor: string, tapShape: number[], objective: string): Record<string, string> {
  return {
    [META.kind]: 'visualizations',
    [META.model]: args.model,
    [META.preprocess]: JSON.stringify(pp),
    [META.layers]: JSON.stringify([{ name: args.layer, tensor, shape: tapShape }]),
    'cnnpipe.dream': JSON.stringify({
      objective,
      size: args.size,
      steps: args.steps,
      lr: args.lr,
      param: args.param,
      transforms: args.transforms,
      seed: args.seed,
      batch: args.batch,
      ...(args.from ? { from: args.from } : {}),
    }),
  };
}

import { readFileSync } from 'node:fs';
import { CliError, errorMessage, plainError, UsageError } from '../cli/errors.js';
import { decodeSimplePng, type RawImage } from './decode.js';
import { resizeCropPil } from './resample.js';
import { grayLikePil } from './convert.js';
import { convertWithSharp, decodeWithSharp, resizeCropWithSharp } from './sharp.js';

/**
 * Which resampler does the Resize: 'pil' is torchvision's on PIL images byte for byte (a
 * typed-array kernel, ~2-3 ms per 640x427 photo on the main thread); 'libvips' is sharp's
 * bilinear on libuv threads (~1 ms, not PIL's kernel: ~1% off at deep layers).
 */
export const RESIZE_KERNELS = ['pil', 'libvips'] as const;
export type ResizeKernel = (typeof RESIZE_KERNELS)[number];

/** How an image becomes the network's input tensor; written into `cnnpipe.preprocess`. */
export interface Preprocess {
  /** Shorter side is resized to this, then the centre `size` x `size` is cropped. */
  resize: number;
  size: number;
  channels: 1 | 3;
  mean: number[];
  std: number[];
  /** Absent means 'pil'. */
  resizeKernel?: ResizeKernel;
}

export const PRESETS = {
  imagenet: { resize: 256, size: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  inception: { resize: 342, size: 299, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  gray: { resize: 28, size: 28, mean: [0.286], std: [0.353] },
} as const;

export type PresetName = keyof typeof PRESETS;

function numbers(flag: string, value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const list = value.split(',').map(Number);
  if (list.some((n) => !Number.isFinite(n))) throw new UsageError(`${flag}: expected numbers like 0.485,0.456,0.406, got '${value}'`);
  return list;
}

/** The preprocessing flags of the tools that feed images to a model (extract, dissect, saliency). */
export interface PreprocessFlags {
  preset?: string;
  size?: number;
  resize?: number;
  mean?: string;
  std?: string;
  resizeKernel?: string;
}

/**
 * The preprocessing for a model with `channels` input channels: a preset (default gray for
 * one channel, imagenet for three), then explicit --size/--resize/--mean/--std on top.
 */
export function resolvePreprocess(
  channels: number,
  options: PreprocessFlags,
  modelSize?: number,
): Preprocess {
  if (channels !== 1 && channels !== 3) throw new CliError(`the model takes ${channels} input channels (expected 1 or 3)`);
  const presetName = (options.preset ?? (channels === 1 ? 'gray' : 'imagenet')) as PresetName;
  const preset = PRESETS[presetName];
  if (!preset) throw new UsageError(`--preset ${options.preset}: unknown (expected ${Object.keys(PRESETS).join(', ')})`);
  const size = options.size ?? (options.preset === undefined && modelSize ? modelSize : preset.size);
  const resize = options.resize ?? (size === preset.size ? preset.resize : Math.round((size * preset.resize) / preset.size));
  const fit = (list: readonly number[], flag: string): number[] => {
    if (list.length === channels) return [...list];
    if (list.length === 1) return Array(channels).fill(list[0]);
    if (channels === 1) return [list.reduce((a, b) => a + b, 0) / list.length];
    throw new UsageError(`${flag}: ${list.length} values for a ${channels}-channel model`);
  };
  const mean = fit(numbers('--mean', options.mean) ?? preset.mean, '--mean');
  const std = fit(numbers('--std', options.std) ?? preset.std, '--std');
  if (std.some((s) => s === 0)) throw new UsageError('--std: values must not be 0');
  if (!(size > 0 && resize >= size)) throw new UsageError(`--size ${size} and --resize ${resize}: expected 0 < size <= resize`);
  const kernel = options.resizeKernel ?? 'pil';
  if (!(RESIZE_KERNELS as readonly string[]).includes(kernel)) throw new UsageError(`--resize-kernel ${kernel}: unknown (expected ${RESIZE_KERNELS.join(' or ')})`);
  return { resize, size, channels: channels as 1 | 3, mean, std, ...(kernel === 'pil' ? {} : { resizeKernel: kernel as ResizeKernel }) };
}

/**
 * The pixels the model sees, before normalisation: `size` x `size`, interleaved bytes, as
 * torchvision's `Resize(resize), CenterCrop(size)` makes them from a PIL image — always
 * applied, also to an image that already has the crop size (PIL copies when the resized size
 * is the image's own). Simple PNGs decode in-process (decodeSimplePng), everything else with
 * sharp (libjpeg-turbo, the same bytes as PIL's decode). RGB to one band is PIL's
 * `convert('L')`. A gray image for a 3-channel model stays one band (`normaliseInto`
 * repeats it, as PIL's convert('RGB') does), which also makes its resize a third of the work.
 */
export async function modelPixels(bytes: Buffer, pp: Preprocess): Promise<RawImage> {
  const decoded = decodeSimplePng(bytes) ?? (await decodeWithSharp(bytes));
  const repeatGray = decoded.channels === 1 && pp.channels === 3;
  let image = decoded;
  if (decoded.channels !== pp.channels && !repeatGray) image = pp.channels === 1 ? grayLikePil(decoded) : await convertWithSharp(decoded, pp.channels);
  return pp.resizeKernel === 'libvips' ? resizeCropWithSharp(image, pp.resize, pp.size) : resizeCropPil(image, pp.resize, pp.size);
}

// Per-channel lookup tables of (v / 255 - mean) / std for v in 0..255, per preprocessing.
const tables = new WeakMap<Preprocess, Float32Array[]>();

function normalisationTables(pp: Preprocess): Float32Array[] {
  let lut = tables.get(pp);
  if (!lut) {
    // torchvision's float32 steps: ToTensor's byte.float().div(255), then Normalize's
    // sub_(mean).div_(std) with mean and std as float32 tensors, each rounded to float32.
    const f = Math.fround;
    lut = pp.mean.map((m, c) => Float32Array.from({ length: 256 }, (_, v) => f(f(f(v / 255) - f(m)) / f(pp.std[c]!))));
    tables.set(pp, lut);
  }
  return lut;
}

/** Interleaved `size` x `size` bytes into `out` (CHW float32) at `offset`, normalised by mean/std. */
export function normaliseInto(image: RawImage, pp: Preprocess, out: Float32Array, offset: number): void {
  const plane = pp.size * pp.size;
  const stride = image.data.length / plane;
  const lut = normalisationTables(pp);
  for (let c = 0; c < pp.channels; c++) {
    const table = lut[c]!;
    const band = stride === 1 ? 0 : c;
    const base = offset + c * plane;
    const data = image.data;
    for (let p = 0; p < plane; p++) out[base + p] = table[data[p * stride + band]!]!;
  }
}

/**
 * Decodes, resizes (shorter side, PIL bilinear), centre-crops and normalises one image into
 * `out` (CHW float32) at `offset`. Errors name the image.
 */
export async function loadImage(path: string, pp: Preprocess, out: Float32Array, offset: number): Promise<void> {
  let bytes: Buffer;
  try {
    // Read whole: a tiny file costs microseconds synchronously, tens of them through the thread pool.
    bytes = readFileSync(path);
  } catch (error) {
    throw new CliError(`${path}: cannot read image (${plainError(error)})`);
  }
  let image: RawImage;
  try {
    image = await modelPixels(bytes, pp);
  } catch (error) {
    throw new CliError(`${path}: cannot decode image (${errorMessage(error)})`);
  }
  const channels = image.data.length / (pp.size * pp.size);
  // One band is a gray image, repeated into every channel; anything else must cover them.
  if (channels < pp.channels && channels !== 1) throw new CliError(`${path}: decoded ${channels} channels (expected ${pp.channels})`);
  normaliseInto(image, pp, out, offset);
}

/** One image as the network's input, in its own CHW float32 array (see `loadImage`). */
export async function loadPreprocessed(path: string, pp: Preprocess): Promise<Float32Array> {
  const out = new Float32Array(pp.channels * pp.size * pp.size);
  await loadImage(path, pp, out, 0);
  return out;
}

import { readFileSync } from 'node:fs';
import { CliError, UsageError } from './errors.js';
import { decodeSimplePng, type RawImage } from './image-decode.js';
import { convertWithSharp, decodeWithSharp, resizeCropWithSharp } from './image-sharp.js';

/** How an image becomes the network's input tensor; written into `cnnpipe.preprocess`. */
export interface Preprocess {
  /** Shorter side is resized to this, then the centre `size` x `size` is cropped. */
  resize: number;
  size: number;
  channels: 1 | 3;
  mean: number[];
  std: number[];
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

/**
 * The preprocessing for a model with `channels` input channels: a preset (default gray for
 * one channel, imagenet for three), then explicit --size/--resize/--mean/--std on top.
 */
export function resolvePreprocess(
  channels: number,
  options: { preset?: string; size?: number; resize?: number; mean?: string; std?: string },
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
  return { resize, size, channels: channels as 1 | 3, mean, std };
}

/**
 * The pixels the model sees, before normalisation: `size` x `size`, interleaved bytes.
 * Simple PNGs decode in-process (decodeSimplePng), everything else with sharp; colour
 * conversion and resizing always go through sharp, so both decoders give the same bytes.
 * A gray image for a 3-channel model stays one band (`normaliseInto` repeats it, as
 * sharp's gray-to-sRGB copies it), which also makes its resize a third of the work.
 */
export async function modelPixels(bytes: Buffer, pp: Preprocess): Promise<RawImage> {
  const decoded = decodeSimplePng(bytes) ?? (await decodeWithSharp(bytes));
  const repeatGray = decoded.channels === 1 && pp.channels === 3;
  let image = decoded.channels === pp.channels || repeatGray ? decoded : await convertWithSharp(decoded, pp.channels);
  if (image.width !== pp.size || image.height !== pp.size) image = await resizeCropWithSharp(image, pp.resize, pp.size);
  return image;
}

// Per-channel lookup tables of (v / 255 - mean) / std for v in 0..255, per preprocessing.
const tables = new WeakMap<Preprocess, Float32Array[]>();

function normalisationTables(pp: Preprocess): Float32Array[] {
  let lut = tables.get(pp);
  if (!lut) {
    // The same float64 expression per byte value that a per-pixel loop would evaluate.
    lut = pp.mean.map((m, c) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - m) / pp.std[c]!));
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
 * Decodes, resizes (shorter side, bilinear), centre-crops and normalises one image into
 * `out` (CHW float32) at `offset`. Errors name the image.
 */
export async function loadImage(path: string, pp: Preprocess, out: Float32Array, offset: number): Promise<void> {
  let image: RawImage;
  try {
    // Read whole: a tiny file costs microseconds synchronously, tens of them through the thread pool.
    image = await modelPixels(readFileSync(path), pp);
  } catch (error) {
    throw new CliError(`${path}: cannot decode image (${error instanceof Error ? error.message : String(error)})`);
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

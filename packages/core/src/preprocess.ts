import sharp from 'sharp';

// Tiny images dominate the demo; libvips' operation cache only costs there.
sharp.cache(false);
import { CliError, UsageError } from './errors.js';

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
 * Decodes, resizes (shorter side, bilinear), centre-crops and normalises one image into
 * `out` (CHW float32) at `offset`. Errors name the image.
 */
export async function loadImage(path: string, pp: Preprocess, out: Float32Array, offset: number): Promise<void> {
  let data: Buffer;
  try {
    // Decode once, as stored (like PIL, which torchvision uses: no EXIF rotation); convert
    // colour and resize/crop only when needed, from the decoded pixels, never decoding twice.
    const decoded = await sharp(path, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
    let { width, height, channels } = decoded.info;
    data = decoded.data;
    if (channels !== pp.channels) {
      const raw = sharp(data, { raw: { width, height, channels } });
      const converted = pp.channels === 1 ? raw.greyscale() : raw.removeAlpha().toColourspace('srgb');
      const out = await converted.raw().toBuffer({ resolveWithObject: true });
      data = out.data;
      channels = out.info.channels;
    }
    if (width !== pp.size || height !== pp.size) {
      let resized = sharp(data, { raw: { width, height, channels: channels as 1 | 3 } });
      let [w, h] = [width, height];
      if (Math.min(width, height) !== pp.resize) {
        const scale = pp.resize / Math.min(width, height);
        w = Math.max(pp.size, Math.round(width * scale));
        h = Math.max(pp.size, Math.round(height * scale));
        resized = resized.resize(w, h, { kernel: 'linear', fit: 'fill' });
      }
      resized = resized.extract({ left: Math.floor((w - pp.size) / 2), top: Math.floor((h - pp.size) / 2), width: pp.size, height: pp.size });
      data = await resized.raw().toBuffer();
    }
  } catch (error) {
    throw new CliError(`${path}: cannot decode image (${error instanceof Error ? error.message : String(error)})`);
  }
  const plane = pp.size * pp.size;
  const channels = data.length / plane;
  if (channels < pp.channels) throw new CliError(`${path}: decoded ${channels} channels (expected ${pp.channels})`);
  for (let c = 0; c < pp.channels; c++) {
    const m = pp.mean[c]!;
    const s = pp.std[c]!;
    const base = offset + c * plane;
    for (let p = 0; p < plane; p++) out[base + p] = (data[p * channels + c]! / 255 - m) / s;
  }
}

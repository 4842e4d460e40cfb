import type { Sharp, SharpInput, SharpOptions } from 'sharp';
import type { RawImage } from './decode.js';
import { centerCropOffset, resizedSize } from './resample.js';

type SharpFactory = (input?: SharpInput, options?: SharpOptions) => Sharp;
let factory: Promise<SharpFactory> | undefined;

/**
 * sharp, imported on first use: ~0.06 s of start-up that `--help`, `--version` and PNG-only
 * runs never need. Tools that draw import it through here rather than statically.
 */
export function loadSharp(): Promise<SharpFactory> {
  factory ??= import('sharp').then(({ default: s }) => {
    // Tiny images dominate the demo; libvips' operation cache only costs there.
    s.cache(false);
    return s;
  });
  return factory;
}

function rawInput(image: RawImage): SharpOptions {
  return { raw: { width: image.width, height: image.height, channels: image.channels as 1 | 2 | 3 | 4 } };
}

/**
 * Decodes any format sharp reads, as stored (like PIL, which torchvision uses: no EXIF
 * rotation).
 */
export async function decodeWithSharp(bytes: Buffer): Promise<RawImage> {
  const { data, info } = await (await loadSharp())(bytes, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** To one band (libvips' luminance) or to three sRGB bands, dropping alpha. */
export async function convertWithSharp(image: RawImage, channels: 1 | 3): Promise<RawImage> {
  const raw = (await loadSharp())(image.data, rawInput(image));
  const converted = channels === 1 ? raw.greyscale() : raw.removeAlpha().toColourspace('srgb');
  const { data, info } = await converted.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/**
 * `--resize-kernel libvips`: torchvision's sizes and crop offsets (resizedSize,
 * centerCropOffset), libvips' bilinear instead of PIL's — faster off the main thread, not
 * byte-equal to a PIL pipeline.
 */
export async function resizeCropWithSharp(image: RawImage, resize: number, size: number): Promise<RawImage> {
  const { width, height } = image;
  const [w, h] = resizedSize(width, height, resize);
  // Nothing to resample or crop: libvips' fixed cost per call (~0.5 ms) dwarfs a small image.
  if (w === width && h === height && width === size && height === size) return image;
  let pipeline = (await loadSharp())(image.data, rawInput(image));
  if (w !== width || h !== height) pipeline = pipeline.resize(w, h, { kernel: 'linear', fit: 'fill' });
  pipeline = pipeline.extract({ left: centerCropOffset(w, size), top: centerCropOffset(h, size), width: size, height: size });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

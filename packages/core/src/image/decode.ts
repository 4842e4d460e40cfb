import { createRequire } from 'node:module';
import type PngJs from 'pngjs';

/** pngjs, loaded on the first PNG (CommonJS, so synchronously): tools that decode or draw no PNG skip its ~10-20 ms. */
let pngLibrary: typeof PngJs | undefined;
export function loadPngjs(): typeof PngJs {
  pngLibrary ??= createRequire(import.meta.url)('pngjs') as typeof PngJs;
  return pngLibrary;
}

/** Decoded 8-bit pixels, interleaved (HWC), as libvips/sharp hands them out with `.raw()`. */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const ICC_CHUNK = Buffer.from('iCCP');

/**
 * Above this many pixels sharp decodes faster than pngjs (and off the main thread): a 640x427
 * RGB photo costs 12 ms of main-thread time in pngjs, 6.5 ms CPU in libvips' thread pool.
 */
const SIMPLE_PNG_MAX_PIXELS = 128 * 128;

/**
 * A PNG decoded in-process with pngjs, for the cases where that gives exactly the bytes
 * sharp's decoder gives: 8 bits per sample, no alpha or transparency chunk, no embedded
 * colour profile (sharp converts those to sRGB). Anything else — or a PNG pngjs rejects —
 * is `undefined`, and the caller decodes with sharp. Why: libvips' fixed cost per image
 * (~0.5 ms) dwarfs the decode of a 28x28 PNG, which pngjs does in ~20 µs. Large PNGs
 * (over SIMPLE_PNG_MAX_PIXELS, read from the IHDR chunk) go to sharp as well.
 */
export function decodeSimplePng(bytes: Buffer): RawImage | undefined {
  if (bytes.length < 24 || !bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) return undefined;
  // IHDR comes first: width and height, big-endian, at bytes 16 and 20.
  if (bytes.readUInt32BE(16) * bytes.readUInt32BE(20) > SIMPLE_PNG_MAX_PIXELS) return undefined;
  // A profile turns sharp's decode into a colour transform. Finding the chunk name
  // anywhere (even inside compressed data) only costs the slower path, never exactness.
  if (bytes.includes(ICC_CHUNK)) return undefined;
  let png: ReturnType<typeof PngJs.PNG.sync.read>;
  try {
    png = loadPngjs().PNG.sync.read(bytes, { checkCRC: true });
  } catch {
    return undefined; // sharp decides, and words the error if the file is really broken.
  }
  // A tRNS colour key (gray or RGB) makes sharp add an alpha band.
  if (png.depth !== 8 || png.alpha || (png as { transColor?: unknown }).transColor !== undefined) return undefined;
  // pngjs always returns RGBA. Gray stays one band: sharp hands it out three times (as
  // sRGB), and one is what a gray model needs (loadImage repeats it for an RGB model).
  const channels = png.color ? 3 : 1;
  const pixels = png.width * png.height;
  const rgba = png.data;
  const data = new Uint8Array(pixels * channels);
  if (channels === 1) {
    for (let p = 0; p < pixels; p++) data[p] = rgba[p * 4]!;
  } else {
    for (let p = 0; p < pixels; p++) {
      data[p * 3] = rgba[p * 4]!;
      data[p * 3 + 1] = rgba[p * 4 + 1]!;
      data[p * 3 + 2] = rgba[p * 4 + 2]!;
    }
  }
  return { data, width: png.width, height: png.height, channels };
}

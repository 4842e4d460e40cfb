import type { Preprocess } from './preprocess.js';

/** Values min-max scaled to 0..255 (a constant array is mid-gray): how ICA components are shown. */
export function minMaxBytes(values: ArrayLike<number>): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Uint8Array(values.length);
  const span = hi - lo;
  for (let i = 0; i < values.length; i++) out[i] = span > 0 ? Math.round(((values[i]! - lo) / span) * 255) : 128;
  return out;
}

/** A CHW array normalised by `pp` (the network's input) back to 0..255 pixels, still CHW. */
export function denormalise(chw: Float32Array, channels: number, pp: Pick<Preprocess, 'mean' | 'std'>): Uint8Array {
  const plane = chw.length / channels;
  const out = new Uint8Array(chw.length);
  for (let c = 0; c < channels; c++) {
    const m = pp.mean[c] ?? 0;
    const s = pp.std[c] ?? 1;
    for (let p = 0; p < plane; p++) {
      out[c * plane + p] = Math.max(0, Math.min(255, Math.round((chw[c * plane + p]! * s + m) * 255)));
    }
  }
  return out;
}

/** An interleaved (HWC) 8-bit image being assembled from tiles: montages and sprite sheets. */
export class PixelCanvas {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly channels: 1 | 3,
    background = 0,
  ) {
    this.data = new Uint8Array(width * height * channels).fill(background);
  }

  /**
   * Copies a CHW tile (`tileChannels` x h x w) with its top-left at (x0, y0); a gray tile
   * fills every channel, an RGB tile on a gray canvas keeps its first channel.
   */
  drawChw(tile: Uint8Array, tileChannels: number, w: number, h: number, x0: number, y0: number): void {
    const plane = w * h;
    for (let y = 0; y < h; y++) {
      const row = ((y0 + y) * this.width + x0) * this.channels;
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < this.channels; c++) {
          this.data[row + x * this.channels + c] = tile[(tileChannels === 1 ? 0 : c * plane) + y * w + x]!;
        }
      }
    }
  }
}

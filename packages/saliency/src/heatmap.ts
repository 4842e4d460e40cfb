import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadSharp } from '@cnnpipe/core';

/**
 * A saliency map drawn over its image: per pixel the largest |value| over the input's
 * channels (Simonyan et al. 2014), scaled so the 99th percentile is full strength, coloured
 * black-red-yellow-white and blended over the image in gray.
 */
export function heat(map: Float32Array, channels: number, plane: number): Float32Array {
  const out = new Float32Array(plane);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < plane; p++) {
      const v = Math.abs(map[c * plane + p]!);
      if (v > out[p]!) out[p] = v;
    }
  }
  const sorted = Float32Array.from(out).sort();
  const scale = sorted[Math.min(plane - 1, Math.floor(0.99 * plane))]! || sorted[plane - 1]! || 1;
  for (let p = 0; p < plane; p++) out[p] = Math.min(1, out[p]! / scale);
  return out;
}

/** RGB bytes (HWC): the heat (0..1 per pixel) over the image's gray (CHW bytes, 1 or 3 channels). */
export function overlay(strength: Float32Array, image: Uint8Array, channels: number): Uint8Array {
  const plane = strength.length;
  const out = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    const gray = channels === 3 ? 0.299 * image[p]! + 0.587 * image[plane + p]! + 0.114 * image[2 * plane + p]! : image[p]!;
    const t = strength[p]!;
    const colour = [Math.min(1, 3 * t), Math.min(1, Math.max(0, 3 * t - 1)), Math.max(0, 3 * t - 2)];
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round((1 - t) * gray * 0.8 + t * 255 * colour[c]!);
  }
  return out;
}

export async function writeHeatmap(path: string, rgb: Uint8Array, size: number): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await (await loadSharp())(rgb, { raw: { width: size, height: size, channels: 3 } }).png().toFile(path);
}

import { patchOrigin, type ReceptiveField } from '@cnnpipe/core';

/**
 * Crops the `rf.size` x `rf.size` patch (all channels, CHW) of a preprocessed image
 * (`channels` x `size` x `size`) around feature cell `argmax` of a layer `layerWidth` wide.
 * Pixels outside the image are 0: the mean after normalisation.
 */
export function cropPatch(
  image: Float32Array,
  channels: number,
  size: number,
  argmax: number,
  layerWidth: number,
  rf: ReceptiveField,
): Float32Array {
  const s = rf.size;
  const { top, left } = patchOrigin(argmax, layerWidth, rf);
  const out = new Float32Array(channels * s * s);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < s; y++) {
      const iy = top + y;
      if (iy < 0 || iy >= size) continue;
      for (let x = 0; x < s; x++) {
        const ix = left + x;
        if (ix < 0 || ix >= size) continue;
        out[c * s * s + y * s + x] = image[c * size * size + iy * size + ix]!;
      }
    }
  }
  return out;
}

/** The mean over channels of a CHW patch (gray mode). */
export function grayOf(patch: Float32Array, channels: number): Float32Array {
  if (channels === 1) return patch;
  const plane = patch.length / channels;
  const out = new Float32Array(plane);
  for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) out[p]! += patch[c * plane + p]! / channels;
  return out;
}

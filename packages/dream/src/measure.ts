// A rendered image as the user gets it — 8-bit pixels, a PNG — and its objective measured
// the way `extract` would measure that PNG: the same decode, resize, crop and normalisation
// (core's modelPixels / normaliseInto), untransformed, through the same network.
import { modelPixels, normaliseInto, loadSharp, type Preprocess } from '@cnnpipe/core';
import { objectiveValues, type ObjectiveSpec } from './objectives.js';
import type { GradientEngine } from './render.js';

/** (C, S, S) floats in [0, 1] -> interleaved bytes. */
export function toBytes(chw: Float32Array, channels: number, size: number): Uint8Array {
  const plane = size * size;
  const out = new Uint8Array(plane * channels);
  for (let c = 0; c < channels; c++) {
    for (let p = 0; p < plane; p++) out[p * channels + c] = Math.max(0, Math.min(255, Math.round(chw[c * plane + p]! * 255)));
  }
  return out;
}

/** Interleaved bytes -> (C, S, S) floats v / 255: the pixels the PNG holds. */
export function fromBytes(bytes: Uint8Array, channels: number, size: number): Float32Array {
  const plane = size * size;
  const out = new Float32Array(plane * channels);
  for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) out[c * plane + p] = bytes[p * channels + c]! / 255;
  return out;
}

export async function encodePng(bytes: Uint8Array, channels: number, size: number): Promise<Buffer> {
  const image = (await loadSharp())(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { raw: { width: size, height: size, channels: channels as 1 | 3 } });
  // sharp would write a one-band image as sRGB; a gray model's PNG stays one band.
  return (channels === 1 ? image.toColourspace('b-w') : image).png().toBuffer();
}

/** The per-image objective (no diversity term) of each PNG, as `extract` would see it. */
export async function measurePngs(pngs: Buffer[], pp: Preprocess, engine: GradientEngine, spec: ObjectiveSpec): Promise<Float64Array> {
  const per = pp.channels * pp.size * pp.size;
  const input = new Float32Array(pngs.length * per);
  for (let i = 0; i < pngs.length; i++) normaliseInto(await modelPixels(pngs[i]!, pp), pp, input, i * per);
  const tap = await engine.values(input, pngs.length);
  return objectiveValues({ ...spec, diversity: 0 }, tap, pngs.length, engine.tapShape);
}

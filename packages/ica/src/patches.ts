import { CliError, loadImage, type ReceptiveField } from '@cnnpipe/core';

/** `cnnpipe.preprocess`: how extract made the network's input (shorter side to `resize`, centre crop `size`). */
export interface Preprocess {
  resize: number;
  size: number;
  channels: number;
  mean: number[];
  std: number[];
}

/** Parses and checks `cnnpipe.preprocess`; `source` names the input in messages. */
export function parsePreprocess(raw: string | undefined, source = 'input'): Preprocess {
  if (raw === undefined) {
    throw new CliError(`${source}: no cnnpipe.preprocess metadata (expected the JSON {resize,size,channels,mean,std} that extract writes)`);
  }
  let value: Partial<Preprocess>;
  try {
    value = JSON.parse(raw) as Partial<Preprocess>;
  } catch {
    throw new CliError(`${source}: cnnpipe.preprocess is not JSON (expected {resize,size,channels,mean,std})`);
  }
  const { resize, size, channels, mean, std } = value;
  const ok =
    typeof resize === 'number' && typeof size === 'number' && size > 0 && resize >= size &&
    (channels === 1 || channels === 3) &&
    Array.isArray(mean) && Array.isArray(std) && mean.length === channels && std.length === channels &&
    std.every((s) => typeof s === 'number' && s !== 0) && mean.every((m) => typeof m === 'number');
  if (!ok) throw new CliError(`${source}: cnnpipe.preprocess ${raw} is malformed (expected {resize,size,channels:1|3,mean[C],std[C]})`);
  return { resize: resize!, size: size!, channels: channels!, mean: mean!, std: std! };
}

/**
 * Decodes an image with extract's preprocessing (shorter side resized bilinearly to
 * `resize`, centre crop `size`, normalised by mean/std) into a CHW float32 array.
 * Same steps as packages/extract/src/preprocess.ts `loadImage`.
 */
/** The image as extract fed it to the model (core's loadImage: same decode, resize, crop, normalisation). */
export async function loadPreprocessed(path: string, pp: Preprocess): Promise<Float32Array> {
  const out = new Float32Array(pp.channels * pp.size * pp.size);
  await loadImage(path, { ...pp, channels: pp.channels as 1 | 3 }, out, 0);
  return out;
}

/** Top-left input pixel (row, col) of the receptive field of feature cell `argmax` (flat h*W+w). */
export function patchOrigin(argmax: number, layerWidth: number, rf: ReceptiveField): { top: number; left: number } {
  const h = Math.floor(argmax / layerWidth);
  const w = argmax % layerWidth;
  // Centre in input pixels is offset + cell*stride; the patch spans size pixels around it.
  const start = (cell: number) => Math.floor(rf.offset + cell * rf.stride - (rf.size - 1) / 2 + 0.5);
  return { top: start(h), left: start(w) };
}

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

/** A small least-recently-used cache of decoded images (bounded memory across neurons). */
export class ImageCache {
  private readonly map = new Map<string, Promise<Float32Array>>();
  constructor(
    private readonly pp: Preprocess,
    private readonly capacity = 512,
  ) {}

  get(path: string): Promise<Float32Array> {
    let hit = this.map.get(path);
    if (hit) {
      this.map.delete(path);
      this.map.set(path, hit);
      return hit;
    }
    hit = loadPreprocessed(path, this.pp);
    this.map.set(path, hit);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
    return hit;
  }
}

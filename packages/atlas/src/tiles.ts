import { denormalise, loadPreprocessed, minMaxBytes, loadSharp, type Preprocess } from '@cnnpipe/core';
import { heat, overlay } from '@cnnpipe/saliency';
import type { Component } from './data.js';
import type { Tile } from './sprites.js';

/** CHW bytes resized to `side` x `side` (bilinear down, nearest up so pixels stay crisp). */
async function resizeChw(chw: Uint8Array, channels: number, width: number, height: number, side: number): Promise<Uint8Array> {
  if (width === side && height === side) return chw;
  const plane = width * height;
  const hwc = new Uint8Array(chw.length);
  for (let c = 0; c < channels; c++) for (let p = 0; p < plane; p++) hwc[p * channels + c] = chw[c * plane + p]!;
  const kernel = side < Math.max(width, height) ? 'linear' : 'nearest';
  const out = await (await loadSharp())(hwc, { raw: { width, height, channels: channels as 1 | 3 } })
    .resize(side, side, { kernel, fit: 'fill' })
    .raw()
    .toBuffer();
  const back = new Uint8Array(side * side * channels);
  const outPlane = side * side;
  for (let c = 0; c < channels; c++) for (let p = 0; p < outPlane; p++) back[c * outPlane + p] = out[p * channels + c]!;
  return back;
}

/**
 * An image as the network saw it (core's loadImage: the same decode, resize and centre
 * crop as extract, so receptive-field boxes land on the right pixels), as a thumbnail.
 */
export async function imageTile(path: string, pp: Preprocess, side: number): Promise<Tile> {
  const input = await loadPreprocessed(path, pp);
  const pixels = await resizeChw(denormalise(input, pp.channels, pp), pp.channels, pp.size, pp.size, side);
  return { pixels, channels: pp.channels };
}

/** A mid-gray tile for an image that could not be read. */
export function missingTile(side: number): Tile {
  return { pixels: new Uint8Array(side * side).fill(200), channels: 1 };
}

/** An ICA component min-max scaled to 0..255 (as ica's montages show it), as a tile. */
export async function componentTile(component: Component, side: number): Promise<Tile> {
  const bytes = minMaxBytes(component.pixels);
  return { pixels: await resizeChw(bytes, component.channels, component.width, component.height, side), channels: component.channels };
}

/** A saliency map as saliency --png draws it (heat over the image in gray), as an RGB tile. */
export async function saliencyTile(path: string, map: Float32Array, pp: Preprocess, side: number): Promise<Tile> {
  const input = await loadPreprocessed(path, pp);
  const plane = pp.size * pp.size;
  const hwc = overlay(heat(map, pp.channels, plane), denormalise(input, pp.channels, pp), pp.channels);
  const chw = new Uint8Array(hwc.length);
  for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) chw[c * plane + p] = hwc[p * 3 + c]!;
  return { pixels: await resizeChw(chw, 3, pp.size, pp.size, side), channels: 3 };
}

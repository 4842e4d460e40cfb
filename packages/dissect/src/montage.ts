import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError, LruCache, loadPngjs, modelPixels, type RawImage } from '@cnnpipe/core';
import type { TopImages } from './top-images.js';
import { upsample } from './upsample.js';

/** Tile size of a montage image, and the gap between tiles (white, as NetDissect-Lite's). */
export const TILE = 112;
const GAP = 3;

/** A file name for a layer (tensor names may hold '/'). */
export function layerSlug(layer: string): string {
  return layer.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * NetDissect-Lite's view of a unit: its top images side by side, each as
 * image x (0.2 + 0.8 [upsampled map > T]) (visualize/report.py), as one RGB PNG.
 */
export async function unitMontage(top: TopImages, unit: number, threshold: number, h: number, w: number, paths: string[], decode: (path: string) => Promise<RawImage>): Promise<Buffer> {
  const n = top.count;
  const png = new (loadPngjs().PNG)({ width: n * TILE + (n - 1) * GAP, height: TILE });
  png.data.fill(255);
  for (let i = 0; i < n; i++) {
    const image = top.images[unit * n + i]!;
    if (image < 0) continue;
    const raw = await decode(paths[image]!);
    const mask = upsample(top.maps.subarray((unit * n + i) * top.hw, (unit * n + i + 1) * top.hw), h, w, TILE, TILE);
    const x0 = i * (TILE + GAP);
    for (let y = 0; y < TILE; y++) {
      for (let x = 0; x < TILE; x++) {
        const p = y * TILE + x;
        const gain = mask[p]! > threshold ? 1 : 0.2;
        const at = (y * png.width + x0 + x) * 4;
        for (let c = 0; c < 3; c++) png.data[at + c] = Math.round(raw.data[p * raw.channels + (raw.channels === 3 ? c : 0)]! * gain);
        png.data[at + 3] = 255;
      }
    }
  }
  return loadPngjs().PNG.sync.write(png);
}

/** Decoded probe images at the tile size, the last few hundred kept (a unit's tops share images). */
export function tileDecoder(): (path: string) => Promise<RawImage> {
  const cache = new LruCache<string, Promise<RawImage>>(512);
  const pp = { resize: TILE, size: TILE, channels: 3 as const, mean: [0, 0, 0], std: [1, 1, 1] };
  return (path) =>
    cache.get(path, async (p) => {
      try {
        return await modelPixels(await readFile(p), pp);
      } catch (error) {
        throw new CliError(`${p}: cannot read probe image (${(error as Error).message})`);
      }
    });
}

export const montagePath = (dir: string, layer: string, unit: number) => join(dir, layerSlug(layer), `${unit}.png`);

import { readFile } from 'node:fs/promises';
import { CliError, loadPngjs } from '@cnnpipe/core';
import type PngJs from 'pngjs';
import type { ProbeImage } from './broden.js';

/** One image's segmentation: P label planes of sh x sw (label = R + 256 G), plane after plane. */
export interface Segmentation {
  planes: Int32Array;
  count: number;
}

/** Decodes a Broden mask PNG (any bit depth or colour type pngjs reads) into labels R + 256 G. */
export function decodeMask(bytes: Buffer, file: string, sh: number, sw: number, out: Int32Array, offset: number, labels: (string | null)[]): void {
  let png: PngJs.PNGWithMetadata;
  try {
    png = loadPngjs().PNG.sync.read(bytes);
  } catch (error) {
    throw new CliError(`${file}: not a readable PNG mask (${(error as Error).message})`);
  }
  if (png.width !== sw || png.height !== sh) {
    throw new CliError(`${file}: mask is ${png.width}x${png.height} (expected sw x sh = ${sw}x${sh} from index.csv)`);
  }
  const rgba = png.data;
  for (let p = 0, n = sh * sw; p < n; p++) {
    const label = rgba[p * 4]! + 256 * rgba[p * 4 + 1]!;
    // A label the tally has no row for would be counted under another unit's.
    if (label > 0 && (label >= labels.length || labels[label] === null)) {
      throw new CliError(`${file}: pixel (${p % sw}, ${Math.floor(p / sw)}) has label ${label}, which label.csv does not list`);
    }
    out[offset + p] = label;
  }
}

/** Reads an image's mask files. */
export async function loadSegmentation(image: ProbeImage, labels: (string | null)[]): Promise<Segmentation> {
  const area = image.sh * image.sw;
  const planes = new Int32Array(image.masks.length * area);
  const files = await Promise.all(
    image.masks.map((file) =>
      readFile(file).catch((error: NodeJS.ErrnoException) => {
        throw new CliError(`${file}: cannot read mask (${error.code})`);
      }),
    ),
  );
  files.forEach((bytes, i) => decodeMask(bytes, image.masks[i]!, image.sh, image.sw, planes, i * area, labels));
  return { planes, count: image.masks.length };
}

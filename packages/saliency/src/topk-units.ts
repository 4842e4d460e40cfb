import { isAbsolute, resolve } from 'node:path';
import { CliError, expectKind, openArrow, readKind, readRows, topkCodec } from '@cnnpipe/core';
import type { ImageItem } from '@cnnpipe/extract';

/** The images of a topk table and, per image, the neurons of one layer it is a top image of. */
export interface TopkUnits {
  images: ImageItem[];
  /** The image as the topk table names it (the output's `image`, so atlas can join on it). */
  names: string[];
  units: number[][];
}

/**
 * `--topk T`: the (image, neuron) pairs of a topk table at `layer` (ranks 1..`ranks`), one
 * entry per distinct image in first-appearance order. Relative paths resolve against `root`.
 */
export async function topkUnits(path: string, layer: string, ranks: number, root?: string): Promise<TopkUnits> {
  const input = await openArrow(path);
  expectKind(input.schema, 'topk', `--topk ${input.name}`); // named as the flag
  const byImage = new Map<string, number[]>();
  const layers = new Set<string>();
  for await (const batch of (await readKind(topkCodec, input)).batches()) {
    const { neuron, rank } = batch;
    const layerOf = readRows(batch.layer, batch.rows);
    const image = readRows(batch.image, batch.rows);
    for (let r = 0; r < batch.rows; r++) {
      layers.add(layerOf[r]!);
      if (layerOf[r] !== layer || image[r] === null || rank[r]! > ranks) continue;
      const list = byImage.get(image[r]!);
      if (list) list.push(neuron[r]!);
      else byImage.set(image[r]!, [neuron[r]!]);
    }
  }
  if (byImage.size === 0) throw new CliError(`--topk ${input.name}: no rows for layer '${layer}' (its layers: ${[...layers].join(', ') || 'none'})`);
  const names = [...byImage.keys()];
  return {
    names,
    images: names.map((name) => ({ path: isAbsolute(name) || !root ? name : resolve(root, name), className: null })),
    units: names.map((name) => byImage.get(name)!),
  };
}

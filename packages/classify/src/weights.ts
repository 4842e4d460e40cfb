import { basename } from 'node:path';
import { META, readAffineMap, type ArrowInput, type Linear } from '@cnnpipe/core';

/** A model's or table's short name: its file name without .onnx/.arrows/.arrow. */
export function shortName(name: string): string {
  return basename(name).replace(/\.(onnx|arrows|arrow)$/, '');
}

/** A linear classifier from an affine-map-like table (K rows of D weights and a bias), named by its target. */
export async function readWeights(file: string): Promise<{ linear: Linear; name: string }> {
  const map = await readAffineMap(file);
  const meta = map.schema.metadata;
  const name = meta.get('cnnpipe.target') ?? (meta.get(META.model) ? shortName(meta.get(META.model)!) : shortName(file));
  return { linear: { k: map.db, d: map.da, weights: map.weights, bias: map.bias }, name };
}

/** What features an input holds, for the accuracy row: cnnpipe.source (lstsq apply), else its model, else the input. */
export function sourceName(input: ArrowInput): string {
  const meta = input.schema.metadata;
  return meta.get('cnnpipe.source') ?? (meta.get(META.model) ? shortName(meta.get(META.model)!) : input.name);
}

import { int32Data, makeBatch } from '../arrow/columns.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { KindCodec } from './codec.js';
import { decodePixelPatches, emptyPixelPatches, pixelPatchData, type PixelPatches } from './pixel-patches.js';
import { int32Column, stringRows } from './decode-columns.js';

/**
 * A `saliency` table (saliency's output): per (image, layer, neuron) a map of the input's
 * height x width x channels (CHW, row-major): the gradient of the neuron's activation.
 */
export interface SaliencyRows extends PixelPatches {
  image: string[];
  layer: string[];
  neuron: Int32Array;
}

export const saliencyCodec: KindCodec<SaliencyRows> = {
  kind: 'saliency',
  numbers: () => ['pixels'],
  decode: (columns) => ({
    image: stringRows(columns, 'image'),
    layer: stringRows(columns, 'layer'),
    neuron: int32Column(columns, 'neuron'),
    ...decodePixelPatches(columns),
  }),
  encode: (rows, metadata) =>
    makeBatch(
      {
        image: utf8Column(rows.image),
        layer: utf8Column(rows.layer),
        neuron: int32Data(rows.neuron),
        ...pixelPatchData(rows),
      },
      metadata,
    ),
  empty: () => ({ image: [], layer: [], neuron: new Int32Array(0), ...emptyPixelPatches() }),
};

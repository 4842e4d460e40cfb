import { int32Data, makeBatch } from '../arrow/columns.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { KindCodec } from './codec.js';
import { decodePixelPatches, emptyPixelPatches, pixelPatchData, type PixelPatches } from './pixel-patches.js';
import { int32Column, stringRows } from './decode-columns.js';

/**
 * A `components` table (ica's output): per (layer, neuron, component) a basis pattern of
 * height x width x channels pixels (CHW, row-major).
 */
export interface ComponentsRows extends PixelPatches {
  layer: string[];
  neuron: Int32Array;
  component: Int32Array;
}

export const componentsCodec: KindCodec<ComponentsRows> = {
  kind: 'components',
  numbers: () => ['pixels'],
  decode: (columns) => ({
    layer: stringRows(columns, 'layer'),
    neuron: int32Column(columns, 'neuron'),
    component: int32Column(columns, 'component'),
    ...decodePixelPatches(columns),
  }),
  encode: (rows, metadata) =>
    makeBatch(
      {
        layer: utf8Column(rows.layer),
        neuron: int32Data(rows.neuron),
        component: int32Data(rows.component),
        ...pixelPatchData(rows),
      },
      metadata,
    ),
  empty: () => ({ layer: [], neuron: new Int32Array(0), component: new Int32Array(0), ...emptyPixelPatches() }),
};

import { Float32 } from 'apache-arrow';
import { int32Data, makeBatch } from '../arrow/columns.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { KindCodec } from './codec.js';
import { flatListData, listValues, type FlatList } from './list-columns.js';
import { int32Column, stringRows } from './decode-columns.js';

/**
 * A `saliency` table (saliency's output): per (image, layer, neuron) a map of the input's
 * height x width x channels (CHW, row-major): the gradient of the neuron's activation.
 */
export interface SaliencyRows {
  image: string[];
  layer: string[];
  neuron: Int32Array;
  height: Int32Array;
  width: Int32Array;
  channels: Int32Array;
  pixels: FlatList<Float32Array>;
}

export const saliencyCodec: KindCodec<SaliencyRows> = {
  kind: 'saliency',
  numbers: () => ['pixels'],
  decode: (columns) => ({
    image: stringRows(columns, 'image'),
    layer: stringRows(columns, 'layer'),
    neuron: int32Column(columns, 'neuron'),
    height: int32Column(columns, 'height'),
    width: int32Column(columns, 'width'),
    channels: int32Column(columns, 'channels'),
    pixels: listValues(columns.getChild('pixels')!, new Float32Array(0)),
  }),
  encode: (rows, metadata) =>
    makeBatch(
      {
        image: utf8Column(rows.image),
        layer: utf8Column(rows.layer),
        neuron: int32Data(rows.neuron),
        height: int32Data(rows.height),
        width: int32Data(rows.width),
        channels: int32Data(rows.channels),
        pixels: flatListData(rows.pixels, () => new Float32()),
      },
      metadata,
    ),
  empty: () => {
    const none = new Int32Array(0);
    return { image: [], layer: [], neuron: none, height: none, width: none, channels: none, pixels: { values: new Float32Array(0), offsets: new Int32Array(1) } };
  },
};

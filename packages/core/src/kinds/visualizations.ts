import { Float32 } from 'apache-arrow';
import { float32Data, int32Data, makeBatch, primitiveValues } from '../arrow/columns.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { KindCodec, NullableInt32 } from './codec.js';
import { flatListData, listValues, type FlatList } from './list-columns.js';
import { int32Column, stringRows } from './decode-columns.js';

/**
 * A `visualizations` table (dream's output): per rendered image its layer, neuron (null for
 * a whole-layer objective such as DeepDream), objective, the objective's value measured on
 * the saved PNG, and the image (height x width x channels, CHW). `sample` numbers the images
 * of one unit with --diversity; `curve` is the objective at every step with --curve.
 */
export interface VisualizationsRows {
  layer: string[];
  neuron: NullableInt32;
  sample?: Int32Array;
  objective: string[];
  value: Float32Array;
  height: Int32Array;
  width: Int32Array;
  channels: Int32Array;
  pixels: FlatList<Float32Array>;
  curve?: FlatList<Float32Array>;
}

const noList = (): FlatList<Float32Array> => ({ values: new Float32Array(0), offsets: new Int32Array(1) });

export const visualizationsCodec: KindCodec<VisualizationsRows, VisualizationsRows, { sample: boolean; curve: boolean }> = {
  kind: 'visualizations',
  numbers: () => ['value', 'pixels'],
  decode(columns) {
    const neuron = columns.getChild('neuron')!;
    const sample = columns.getChild('sample');
    const curve = columns.getChild('curve');
    return {
      layer: stringRows(columns, 'layer'),
      neuron: { values: int32Column(columns, 'neuron'), isNull: (r) => !neuron.isValid(r) },
      ...(sample ? { sample: int32Column(columns, 'sample') } : {}),
      objective: stringRows(columns, 'objective'),
      value: Float32Array.from(primitiveValues(columns.getChild('value')!)),
      height: int32Column(columns, 'height'),
      width: int32Column(columns, 'width'),
      channels: int32Column(columns, 'channels'),
      pixels: listValues(columns.getChild('pixels')!, new Float32Array(0)),
      ...(curve ? { curve: listValues(curve, new Float32Array(0)) } : {}),
    };
  },
  encode: (rows, metadata) =>
    makeBatch(
      {
        layer: utf8Column(rows.layer),
        neuron: int32Data(rows.neuron.values, rows.neuron.isNull),
        ...(rows.sample ? { sample: int32Data(rows.sample) } : {}),
        objective: utf8Column(rows.objective),
        value: float32Data(rows.value),
        height: int32Data(rows.height),
        width: int32Data(rows.width),
        channels: int32Data(rows.channels),
        pixels: flatListData(rows.pixels, () => new Float32()),
        ...(rows.curve ? { curve: flatListData(rows.curve, () => new Float32()) } : {}),
      },
      metadata,
    ),
  empty: ({ sample, curve }) => {
    const none = new Int32Array(0);
    return {
      layer: [],
      neuron: { values: none },
      ...(sample ? { sample: none } : {}),
      objective: [],
      value: new Float32Array(0),
      height: none,
      width: none,
      channels: none,
      pixels: noList(),
      ...(curve ? { curve: noList() } : {}),
    };
  },
};

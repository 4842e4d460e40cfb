import { float32Data, int32Data, makeBatch, primitiveValues } from '../arrow/columns.js';
import { int32Reader, utf8Reader } from '../arrow/readers.js';
import { utf8Column } from '../arrow/utf8-column.js';
import type { IntColumn, KindCodec, NullableInt32, StringColumn } from './codec.js';

/** Metadata key recording how a topk table was made: {k, bottom}. */
export const TOPK_META = 'cnnpipe.topk';

/** One batch of a topk table: numbers as typed arrays, strings decoded only for the rows asked. */
export interface TopkBatch {
  rows: number;
  layer: StringColumn;
  neuron: Int32Array;
  rank: Int32Array;
  image: StringColumn;
  label: IntColumn;
  class: StringColumn;
  value: Float32Array;
  /** The flat h*W+w of the entry's maximum, when the table has it. */
  argmax?: IntColumn;
}

/** A topk table to write. */
export interface TopkRows {
  layer: string[];
  neuron: Int32Array;
  rank: Int32Array;
  image: (string | null)[];
  label: NullableInt32;
  class: (string | null)[];
  value: Float32Array;
  argmax?: NullableInt32;
}

export const topkCodec: KindCodec<TopkBatch, TopkRows, { argmax: boolean }> = {
  kind: 'topk',
  numbers: () => ['value'],
  decode(columns) {
    const argmax = columns.getChild('argmax');
    return {
      rows: columns.numRows,
      layer: utf8Reader(columns.getChild('layer')),
      neuron: primitiveValues(columns.getChild('neuron')!) as Int32Array,
      rank: primitiveValues(columns.getChild('rank')!) as Int32Array,
      image: utf8Reader(columns.getChild('image')),
      label: int32Reader(columns.getChild('label')),
      class: utf8Reader(columns.getChild('class')),
      value: primitiveValues(columns.getChild('value')!) as Float32Array,
      ...(argmax ? { argmax: int32Reader(argmax) } : {}),
    };
  },
  encode(rows, metadata) {
    // utf8Column, not Arrow's builder: a 50k-row table spent more building its strings than selecting rows.
    const columns = {
      layer: utf8Column(rows.layer),
      neuron: int32Data(rows.neuron),
      rank: int32Data(rows.rank),
      image: utf8Column(rows.image),
      label: int32Data(rows.label.values, rows.label.isNull),
      class: utf8Column(rows.class),
      value: float32Data(rows.value),
      ...(rows.argmax ? { argmax: int32Data(rows.argmax.values, rows.argmax.isNull) } : {}),
    };
    return makeBatch(columns, metadata);
  },
  empty: ({ argmax }) => {
    const none = new Int32Array(0);
    return {
      layer: [],
      neuron: none,
      rank: none,
      image: [],
      label: { values: none },
      class: [],
      value: new Float32Array(0),
      ...(argmax ? { argmax: { values: none } } : {}),
    };
  },
};

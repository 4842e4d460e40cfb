import type { Data, FixedSizeList, Schema, Vector } from 'apache-arrow';
import { fixedSizeListData, fixedSizeListValues, int32Data, makeBatch, primitiveValues, utf8Data } from '../arrow/columns.js';
import { int32Reader, utf8Reader } from '../arrow/readers.js';
import type { IntColumn, KindCodec, NullableInt32, StringColumn } from './codec.js';
import { matchesType } from './column-types.js';

/** A tapped layer's column of an activations table: FixedSizeList<float32>[size], no ':' in its name. */
export interface LayerColumn {
  name: string;
  size: number;
}

/** The layer columns of an activations table, in schema order (`<layer>:argmax` and the like are not). */
export function layerColumns(schema: Schema): LayerColumn[] {
  return schema.fields
    .filter((f) => !f.name.includes(':') && matchesType(f.type, 'FixedSizeList<float32>'))
    .map((f) => ({ name: f.name, size: (f.type as FixedSizeList).listSize }));
}

/** One batch of an activations table, read straight from its buffers. */
export interface ActivationsBatch {
  rows: number;
  image: StringColumn;
  label: IntColumn;
  /** The label column whole: its values as stored (whatever a null slot holds) and its nulls. */
  labels: NullableInt32;
  class: StringColumn;
  /** The flat values (rows x size) of a FixedSizeList column: a layer, `<layer>:argmax`, `logits`. */
  values(column: string): Float32Array | Int32Array;
}

/** An activations table to write: per image its path, label, class and one row per layer column. */
export interface ActivationsRows {
  image: (string | null)[];
  label: NullableInt32;
  class: (string | null)[];
  /** FixedSizeList columns in order: float32 layers, int32 argmax columns (rows x size each). */
  columns: { name: string; values: Float32Array | Int32Array; size: number }[];
}

function nullableInt32(vector: Vector): NullableInt32 {
  const values = primitiveValues(vector) as Int32Array;
  return vector.nullCount > 0 ? { values, isNull: (r) => !vector.isValid(r) } : { values };
}

export const activationsCodec: KindCodec<ActivationsBatch, ActivationsRows, LayerColumn[]> = {
  kind: 'activations',
  numbers: (schema) => layerColumns(schema).map((l) => l.name),
  decode(columns) {
    return {
      rows: columns.numRows,
      image: utf8Reader(columns.getChild('image')),
      label: int32Reader(columns.getChild('label')),
      labels: nullableInt32(columns.getChild('label')!),
      class: utf8Reader(columns.getChild('class')),
      values(name) {
        const vector = columns.getChild(name);
        if (!vector) throw new Error(`activations: no column '${name}'`);
        return fixedSizeListValues(vector).values as Float32Array | Int32Array;
      },
    };
  },
  encode(rows, metadata) {
    const layers: Record<string, Data> = {};
    for (const c of rows.columns) layers[c.name] = fixedSizeListData(c.values, c.size);
    return makeBatch(
      { image: utf8Data(rows.image), label: int32Data(rows.label.values, rows.label.isNull), class: utf8Data(rows.class), ...layers },
      metadata,
    );
  },
  empty: (layers) => ({
    image: [],
    label: { values: new Int32Array(0) },
    class: [],
    columns: layers.map((l) => ({ name: l.name, values: new Float32Array(0), size: l.size })),
  }),
};

import {
  Bool,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  List,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
  type Data,
  type DataType,
  type Vector,
} from 'apache-arrow';

/**
 * Column builders and readers over typed arrays, so tools move whole blocks of numbers
 * between Arrow and their kernels without per-element JavaScript.
 */

export type NumericArray = Float32Array | Float64Array | Int32Array;

function elementType(values: NumericArray): Float32 | Float64 | Int32 {
  if (values instanceof Float32Array) return new Float32();
  if (values instanceof Float64Array) return new Float64();
  return new Int32();
}

/** Null bitmap (1 = valid) from a validity predicate; undefined when all are valid. */
function nullBitmap(length: number, isNull: (i: number) => boolean): { bitmap?: Uint8Array; nullCount: number } {
  let nullCount = 0;
  const bitmap = new Uint8Array(Math.ceil(length / 8));
  for (let i = 0; i < length; i++) {
    if (isNull(i)) nullCount++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return nullCount === 0 ? { nullCount } : { bitmap, nullCount };
}

/** A FixedSizeList<T>[size] column over a flat row-major buffer (rows x size). */
export function fixedSizeListData(values: NumericArray, size: number): Data<FixedSizeList> {
  const length = size === 0 ? 0 : values.length / size;
  if (!Number.isInteger(length)) throw new Error(`fixedSizeListData: ${values.length} values is not a multiple of ${size}`);
  const childType = elementType(values);
  const child = makeData({ type: childType, length: values.length, data: values } as never) as Data;
  const type = new FixedSizeList(size, new Field('item', childType, false));
  return makeData({ type, length, nullCount: 0, child } as never) as unknown as Data<FixedSizeList>;
}

/** A List<T> column from one typed array per row. */
export function listData(rows: NumericArray[], empty: NumericArray = new Float64Array(0)): Data<List> {
  const offsets = new Int32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) offsets[i + 1] = offsets[i]! + rows[i]!.length;
  const sample = rows[0] ?? empty;
  const Ctor = sample.constructor as new (n: number) => NumericArray;
  const flat = new Ctor(offsets[rows.length]!);
  for (let i = 0; i < rows.length; i++) flat.set(rows[i]!, offsets[i]!);
  const childType = elementType(flat);
  const child = makeData({ type: childType, length: flat.length, data: flat } as never) as Data;
  const type = new List(new Field('item', childType, false));
  return makeData({ type, length: rows.length, nullCount: 0, valueOffsets: offsets, child } as never) as unknown as Data<List>;
}

/** An int32 column; `nullWhen` marks nulls (e.g. an unknown label). */
export function int32Data(values: Int32Array, nullWhen?: (i: number) => boolean): Data<Int32> {
  const { bitmap, nullCount } = nullWhen ? nullBitmap(values.length, nullWhen) : { bitmap: undefined, nullCount: 0 };
  return makeData({ type: new Int32(), length: values.length, data: values, nullCount, nullBitmap: bitmap });
}

export function float32Data(values: Float32Array): Data<Float32> {
  return makeData({ type: new Float32(), length: values.length, data: values });
}

/** A float64 column; `nullWhen` marks nulls (e.g. an empty CSV cell). */
export function float64Data(values: Float64Array, nullWhen?: (i: number) => boolean): Data<Float64> {
  const { bitmap, nullCount } = nullWhen ? nullBitmap(values.length, nullWhen) : { bitmap: undefined, nullCount: 0 };
  return makeData({ type: new Float64(), length: values.length, data: values, nullCount, nullBitmap: bitmap });
}

export function utf8Data(values: (string | null)[]): Data<Utf8> {
  return vectorFromArray(values, new Utf8()).data[0]!;
}

export function boolData(values: boolean[]): Data<Bool> {
  return vectorFromArray(values, new Bool()).data[0]!;
}

/** A field whose nullability follows the data. */
export function fieldFor(name: string, data: Data, nullable = true): Field {
  return new Field(name, data.type, nullable);
}

/**
 * A record batch from named column data of equal length; the schema's metadata is `metadata`.
 * Field order is the object's key order.
 */
export function makeBatch(columns: Record<string, Data>, metadata: Map<string, string> = new Map()): RecordBatch {
  const entries = Object.entries(columns);
  const length = entries[0]?.[1].length ?? 0;
  for (const [name, data] of entries) {
    if (data.length !== length) throw new Error(`makeBatch: column '${name}' has ${data.length} rows, expected ${length}`);
  }
  const fields = entries.map(([name, data]) => fieldFor(name, data));
  const schema = new Schema(fields, metadata);
  const struct = makeData({
    type: new Struct(fields),
    length,
    nullCount: 0,
    children: entries.map(([, data]) => data),
  });
  return new RecordBatch(schema, struct);
}

/** The column `name` of a batch, or an error naming it. */
export function column(batch: RecordBatch, name: string): Vector {
  const vector = batch.getChild(name);
  if (!vector) throw new Error(`column '${name}' not found`);
  return vector;
}

/**
 * The flat values of a FixedSizeList column of one batch (rows x size), copied only when
 * the underlying buffer is not already a contiguous typed array of the column's slice.
 */
export function fixedSizeListValues(vector: Vector): { values: NumericArray; size: number } {
  const type = vector.type as DataType as FixedSizeList;
  const size = type.listSize;
  const parts: NumericArray[] = [];
  // Arrow slices value buffers along with a Data, so `values` starts at this chunk's first row.
  for (const data of vector.data) {
    const child = data.children[0]!;
    parts.push((child.values as NumericArray).subarray(0, data.length * size));
  }
  if (parts.length === 1) return { values: parts[0]!, size };
  const Ctor = (parts[0]?.constructor ?? Float32Array) as new (n: number) => NumericArray;
  const out = new Ctor(vector.length * size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return { values: out, size };
}

/** The values of a primitive column (int32, float32, float64) as one typed array. */
export function primitiveValues(vector: Vector): NumericArray {
  if (vector.data.length === 1) {
    const data = vector.data[0]!;
    return (data.values as NumericArray).subarray(0, data.length);
  }
  return vector.toArray() as NumericArray;
}

/** Strings of a utf8 column (nulls as null). */
export function stringValues(vector: Vector): (string | null)[] {
  return Array.from(vector, (v) => (v === null || v === undefined ? null : String(v)));
}

export { makeVector };

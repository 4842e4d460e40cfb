import { Field, List, makeData, type Data, type Vector } from 'apache-arrow';
import type { NumericArray } from '../arrow/columns.js';

/**
 * List<T> columns as one flat typed array plus row offsets (row r is values[offsets[r] ..
 * offsets[r+1]]): how the codecs of the list kinds (similarity, components, saliency,
 * visualizations, dissect-quantiles) read and write them without a typed array per row.
 */
export interface FlatList<T extends NumericArray = NumericArray> {
  values: T;
  /** rows + 1 offsets into `values`, offsets[0] = 0. */
  offsets: Int32Array;
}

/** Offsets of `rows` rows of `size` values each. */
export function evenOffsets(rows: number, size: number): Int32Array {
  const offsets = new Int32Array(rows + 1);
  for (let i = 1; i <= rows; i++) offsets[i] = i * size;
  return offsets;
}

/** Offsets of rows of the given lengths. */
export function offsetsOf(lengths: ArrayLike<number>): Int32Array {
  const offsets = new Int32Array(lengths.length + 1);
  for (let i = 0; i < lengths.length; i++) offsets[i + 1] = offsets[i]! + lengths[i]!;
  return offsets;
}

/** A flat list from one typed array per row (a copy into one buffer). */
export function flatList<T extends NumericArray>(rows: T[], empty: T): FlatList<T> {
  const offsets = offsetsOf(rows.map((r) => r.length));
  const Ctor = empty.constructor as new (n: number) => T;
  const values = new Ctor(offsets[rows.length]!);
  rows.forEach((row, i) => values.set(row, offsets[i]!));
  return { values, offsets };
}

/** Row `r` of a flat list (a view, no copy). */
export function listRow<T extends NumericArray>(list: FlatList<T>, r: number): T {
  return list.values.subarray(list.offsets[r]!, list.offsets[r + 1]!) as T;
}

/**
 * The List<T> column of a flat list, its buffer used as it is (the column `listData` would
 * build from the rows: the same type, field 'item' not nullable, the same bytes).
 */
export function flatListData(list: FlatList, type: () => Data['type']): Data<List> {
  const childType = type();
  const child = makeData({ type: childType, length: list.values.length, data: list.values } as never) as Data;
  const listType = new List(new Field('item', childType, false));
  const rows = list.offsets.length - 1;
  return makeData({ type: listType, length: rows, nullCount: 0, valueOffsets: list.offsets, child } as never) as unknown as Data<List>;
}

/** A List<T> column of a batch (or of a whole table: its chunks joined) as a flat list. */
export function listValues<T extends NumericArray>(vector: Vector, empty: T): FlatList<T> {
  const Ctor = empty.constructor as new (n: number) => T;
  if (vector.data.length === 1) {
    const data = vector.data[0]!;
    const raw = data.valueOffsets as Int32Array;
    const start = raw[0]!;
    const offsets = start === 0 ? raw.subarray(0, data.length + 1) : Int32Array.from(raw.subarray(0, data.length + 1), (o) => o - start);
    const child = data.children[0]!;
    const all = child.values as T;
    const values = all instanceof Ctor ? (all.subarray(start, start + offsets[data.length]!) as T) : (Ctor as unknown as { from(a: ArrayLike<number>): T }).from(all.subarray(start, start + offsets[data.length]!));
    return { values, offsets };
  }
  const parts = vector.data.map((d) => listValues<T>({ data: [d] } as unknown as Vector, empty));
  const offsets = new Int32Array(vector.length + 1);
  let row = 0;
  let at = 0;
  for (const p of parts) {
    for (let r = 1; r < p.offsets.length; r++) offsets[row + r] = at + p.offsets[r]!;
    row += p.offsets.length - 1;
    at += p.values.length;
  }
  const values = new Ctor(at);
  let pos = 0;
  for (const p of parts) {
    values.set(p.values, pos);
    pos += p.values.length;
  }
  return { values, offsets };
}

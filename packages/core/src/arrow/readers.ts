import type { Vector } from 'apache-arrow';

/**
 * Row readers straight over a column's buffers, for loops that touch only some rows (topk
 * decodes the image path of the few rows that enter a heap, not of all 10,000). A column of
 * several chunks (a whole table) falls back to Arrow's `get`.
 */

const utf8Decoder = new TextDecoder();

/** Row `r` of a column through `fast` (over its one chunk's buffers) or, for several chunks, Arrow's `get`. */
function reader<T>(vector: Vector | null | undefined, fast: (data: Vector['data'][number]) => ((row: number) => T) | undefined): (row: number) => T | null {
  if (!vector) return () => null;
  const data = vector.data.length === 1 ? vector.data[0] : undefined;
  const direct = data ? fast(data) : undefined;
  if (!data || !direct) return (r) => (vector.get(r) as T | null) ?? null;
  return (r) => (data.getValid(r) ? direct(r) : null);
}

/** Row `r` of a utf8 column (null for a null slot, or for every row of a missing column). */
export function utf8Reader(vector: Vector | null | undefined): (row: number) => string | null {
  return reader<string>(vector, (data) => {
    const offsets = data.valueOffsets;
    if (!(offsets instanceof Int32Array)) return undefined;
    const bytes = data.values as Uint8Array;
    return (r) => utf8Decoder.decode(bytes.subarray(offsets[r], offsets[r + 1]));
  });
}

/** Row `r` of an int32 column (null for a null slot, or for every row of a missing column). */
export function int32Reader(vector: Vector | null | undefined): (row: number) => number | null {
  return reader<number>(vector, (data) => {
    const values = data.values;
    return values instanceof Int32Array ? (r) => values[r]! : undefined;
  });
}

/** Every row of a column read by `read`, as an array. */
export function readRows<T>(read: (row: number) => T, rows: number): T[] {
  const out = new Array<T>(rows);
  for (let r = 0; r < rows; r++) out[r] = read(r);
  return out;
}

/** A float64 column's values with NaN for its nulls (a copy when it has nulls). */
export function float64OrNaN(vector: Vector): Float64Array {
  const out = Float64Array.from(vector.toArray() as ArrayLike<number>);
  if (vector.nullCount > 0) for (let r = 0; r < out.length; r++) if (!vector.isValid(r)) out[r] = NaN;
  return out;
}

/** A bool column as 1 (true), 0 (false) and -1 (null). */
export function boolTristate(vector: Vector): Int8Array {
  const out = new Int8Array(vector.length);
  for (let r = 0; r < out.length; r++) {
    const v = vector.get(r) as boolean | null;
    out[r] = v === null || v === undefined ? -1 : v ? 1 : 0;
  }
  return out;
}

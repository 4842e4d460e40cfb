import { primitiveValues } from '../arrow/columns.js';
import { readRows, utf8Reader } from '../arrow/readers.js';
import type { Columns } from './codec.js';

/**
 * Whole columns of a batch (or table) as the codecs' decoders hand them out: the same few
 * reads every kind's `decode` makes, spelled once.
 */

/** An int32 column's values as a typed array of their own (a null slot reads as what it stores). */
export function int32Column(columns: Columns, name: string): Int32Array {
  return Int32Array.from(primitiveValues(columns.getChild(name)!));
}

/** A utf8 column's rows, null slots as null. */
export function utf8Rows(columns: Columns, name: string): (string | null)[] {
  return readRows(utf8Reader(columns.getChild(name)), columns.numRows);
}

/** A utf8 column the kind requires (layer, image, ...): its rows as strings. */
export function stringRows(columns: Columns, name: string): string[] {
  return utf8Rows(columns, name).map(String);
}

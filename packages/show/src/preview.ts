import type { ArrowInput } from '@cnnpipe/core';
import type { Field } from 'apache-arrow';
import { columnWidths, formatCell } from './format.js';

/** The first rows of a table, and how many it has (all of them counted, or only up to the shown ones). */
export interface Preview {
  values: unknown[][];
  total: number;
  /** Whether rows follow that were not counted (stdin is read only as far as shown). */
  more: boolean;
}

/** Reads up to `limit` rows; with `countAll`, reads on to count every row. */
export async function readPreview(input: ArrowInput, limit: number, countAll: boolean): Promise<Preview> {
  const fields = input.schema.fields;
  const values: unknown[][] = [];
  let total = 0;
  for await (const batch of input.batches()) {
    for (let r = 0; r < batch.numRows && values.length < limit; r++) {
      values.push(fields.map((_, c) => batch.getChildAt(c)!.get(r)));
    }
    total += batch.numRows;
    if (values.length >= limit && !countAll) return { values, total, more: true };
  }
  return { values, total, more: false };
}

/** The cells as text, with as many vector items (at most `width`) as fit `maxWidth` before any cell is cut. */
export function fitCells(fields: Field[], values: unknown[][], width: number, maxWidth: number): string[][] {
  let rows: string[][] = [];
  for (let preview = Math.max(1, width); preview >= 1; preview--) {
    rows = values.map((row) => row.map((v, c) => formatCell(v, fields[c]!.type, preview)));
    const widths = columnWidths(fields, rows);
    if (widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1) <= maxWidth) break;
  }
  return rows;
}

/** The line after the table: how many rows were shown of how many. */
export function countLine({ values, total, more }: Preview): string {
  const count = (n: number) => `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`;
  if (more) return `${count(values.length)} shown; more follow\n`;
  if (total > values.length) return `${count(values.length)} shown of ${count(total)}\n`;
  return `${count(total)}\n`;
}

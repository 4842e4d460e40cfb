import { float64Data, int32Data, makeBatch, utf8Data } from '@cnnpipe/core';
import type { Data, RecordBatch } from 'apache-arrow';

/** The Arrow type of each report column. */
export type ColumnType = 'utf8' | 'int32' | 'float64';

/** A batch of `rows` with the given columns (nulls where a row's value is null). */
export function rowsToBatch<R extends object>(
  rows: R[],
  columns: [keyof R & string, ColumnType][],
  metadata: Map<string, string>,
): RecordBatch {
  const data: Record<string, Data> = {};
  for (const [name, type] of columns) {
    const values = rows.map((row) => (row as Record<string, unknown>)[name] as string | number | null);
    if (type === 'utf8') data[name] = utf8Data(values as (string | null)[]);
    else if (type === 'int32') data[name] = int32Data(Int32Array.from(values, (v) => (v as number) ?? 0), (i) => values[i] === null);
    else data[name] = float64Data(Float64Array.from(values, (v) => (v as number) ?? Number.NaN), (i) => values[i] === null);
  }
  return makeBatch(data, metadata);
}

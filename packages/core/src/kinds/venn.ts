import { float64Data, int32Data, makeBatch, utf8Data } from '../arrow/columns.js';
import type { Data, Vector } from 'apache-arrow';
import type { KindCodec } from './codec.js';

/**
 * A `venn` table (venn's output): a report whose columns depend on the report (cnnpipe.report
 * in the metadata), each utf8, int32 or float64, any value null. Read and written as rows of
 * plain values, the column list giving their order and types.
 */
export type VennColumnType = 'utf8' | 'int32' | 'float64';
export type VennValue = string | number | null;

export interface VennRows<R extends object = Record<string, VennValue>> {
  columns: [keyof R & string, VennColumnType][];
  rows: R[];
}

/** What `encode` takes: the rows of any one report type. */
export interface VennReport {
  columns: [string, VennColumnType][];
  rows: object[];
}

function typeOf(vector: Vector): VennColumnType {
  const name = String(vector.type);
  return name === 'Utf8' ? 'utf8' : name === 'Int32' ? 'int32' : 'float64';
}

export const vennCodec: KindCodec<VennRows, VennReport, { columns: [string, VennColumnType][] }> = {
  kind: 'venn',
  numbers: () => [],
  decode(columns) {
    const names = columns.schema.fields.map((f) => f.name);
    const vectors = names.map((n) => columns.getChild(n)!);
    const rows: Record<string, VennValue>[] = [];
    for (let r = 0; r < columns.numRows; r++) {
      const row: Record<string, VennValue> = {};
      names.forEach((n, c) => (row[n] = (vectors[c]!.get(r) as VennValue | undefined) ?? null));
      rows.push(row);
    }
    return { columns: names.map((n, c) => [n, typeOf(vectors[c]!)]), rows };
  },
  encode({ columns, rows }, metadata) {
    const data: Record<string, Data> = {};
    for (const [name, type] of columns) {
      const values = rows.map((row) => (row as Record<string, VennValue>)[name] ?? null);
      if (type === 'utf8') data[name] = utf8Data(values as (string | null)[]);
      else if (type === 'int32') data[name] = int32Data(Int32Array.from(values, (v) => (v as number) ?? 0), (i) => values[i] === null);
      else data[name] = float64Data(Float64Array.from(values, (v) => (v as number) ?? Number.NaN), (i) => values[i] === null);
    }
    return makeBatch(data, metadata);
  },
  empty: ({ columns }) => ({ columns, rows: [] }),
};

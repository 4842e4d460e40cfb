import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, RecordBatch, Struct, Table, makeData, tableFromIPC, type Data } from 'apache-arrow';
import { withoutRows } from './arrow/nonfinite.js';

/** Test helpers for the NaN/Inf policy: poison a table's float column, drop rows, temp folders. */

/** The three values the policy is about. */
export const NON_FINITE = [NaN, Infinity, -Infinity] as const;

/** A copy of `table` with values of float column `column` replaced: [row, item, value] (rows over all batches). */
export function poison(table: Table, column: string, cells: [row: number, item: number, value: number][]): Table {
  const out: RecordBatch[] = [];
  let start = 0;
  for (const batch of table.batches) {
    const local = cells.filter(([row]) => row >= start && row < start + batch.numRows).map(([row, item, value]) => [row - start, item, value] as [number, number, number]);
    out.push(local.length > 0 ? poisonBatch(batch, column, local) : batch);
    start += batch.numRows;
  }
  return new Table(table.schema, out);
}

function poisonBatch(batch: RecordBatch, column: string, cells: [row: number, item: number, value: number][]): RecordBatch {
  const index = batch.schema.fields.findIndex((f) => f.name === column);
  if (index < 0) throw new Error(`poison: no column '${column}'`);
  const data = batch.data.children[index]!;
  const type = data.type as DataType;
  let replaced: Data;
  if (DataType.isFloat(type)) {
    const values = (data.values as Float32Array | Float64Array).slice();
    for (const [row, , value] of cells) values[row] = value;
    replaced = makeData({ ...dataProps(data), data: values } as never);
  } else if (DataType.isFixedSizeList(type) || DataType.isList(type)) {
    const child = data.children[0]!;
    const values = (child.values as Float32Array | Float64Array).slice();
    for (const [row, item, value] of cells) {
      const at = DataType.isList(type) ? (data.valueOffsets as Int32Array)[row]! : row * type.listSize;
      values[at + item] = value;
    }
    const newChild = makeData({ ...dataProps(child), data: values } as never) as Data;
    replaced = makeData({ ...dataProps(data), child: newChild, valueOffsets: data.valueOffsets } as never);
  } else {
    throw new Error(`poison: column '${column}' is not a float column`);
  }
  const children = batch.data.children.map((c, i) => (i === index ? replaced : c));
  const struct = makeData({ type: new Struct(batch.schema.fields), length: batch.numRows, nullCount: 0, children });
  return new RecordBatch(batch.schema, struct);
}

function dataProps(data: Data): Record<string, unknown> {
  return { type: data.type, length: data.length, nullCount: data.nullCount, nullBitmap: data.nullBitmap };
}

/** `table` without the rows `rows` (0-based), same schema and metadata. */
export function dropRows(table: Table, rows: number[]): Table {
  const sorted = [...new Set(rows)].sort((a, b) => a - b);
  const out: RecordBatch[] = [];
  let start = 0;
  for (const batch of table.batches) {
    const local = sorted.filter((r) => r >= start && r < start + batch.numRows).map((r) => r - start);
    out.push(...withoutRows(batch, local));
    start += batch.numRows;
  }
  return new Table(table.schema, out);
}

/** A fresh temporary folder with `files` in it; `remove()` deletes it. */
export function tempFolder(files: Record<string, Uint8Array | string> = {}): { dir: string; path(name: string): string; files(): string[]; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-test-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  return {
    dir,
    path: (name) => join(dir, name),
    files: () => (existsSync(dir) ? readdirSync(dir).sort() : []),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Rows of an Arrow stream as plain objects (vectors as arrays): compares tables by content only. */
export function plainRows(bytes: Uint8Array): Record<string, unknown>[] {
  const plain = (v: unknown): unknown =>
    v !== null && typeof v === 'object' && Symbol.iterator in v && typeof v !== 'string' ? Array.from(v as Iterable<unknown>, plain) : v;
  return tableFromIPC(bytes)
    .toArray()
    .map((row: Record<string, unknown>) => Object.fromEntries(Object.entries({ ...row }).map(([k, v]) => [k, plain(v)])));
}

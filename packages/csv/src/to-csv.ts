import { writeToString } from 'fast-csv';
import { ByteSink, CONCEPTS_CSV_KEY, META, openArrow } from '@cnnpipe/core';
import { DataType, type RecordBatch, type Schema, type Vector } from 'apache-arrow';

/**
 * Shortest decimal that reads back to the same float32 (so 0.3f prints as 0.3, not
 * 0.30000001192092896), as numpy prints float32.
 */
export function formatFloat32(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  for (let digits = 1; digits <= 9; digits++) {
    const text = Number(value.toPrecision(digits));
    if (Math.fround(text) === value) return String(text);
  }
  return String(value);
}

function isFloat32(type: DataType | undefined): boolean {
  return type !== undefined && DataType.isFloat(type) && type.precision === 1;
}

/** How one cell of a column is written: scalars as text, vectors as JSON arrays, null as empty. */
export type CellFormatter = (value: unknown) => string;

export function cellFormatter(type: DataType): CellFormatter {
  if (DataType.isFixedSizeList(type) || DataType.isList(type)) {
    const element = type.children[0]?.type;
    const formatElement = element ? cellFormatter(element) : String;
    return (value) => {
      if (value === null || value === undefined) return '';
      const items = Array.from(value as ArrayLike<unknown>, (v) => {
        const text = formatElement(v);
        return element && (DataType.isUtf8(element) || DataType.isLargeUtf8(element)) ? JSON.stringify(text) : text || 'null';
      });
      return `[${items.join(',')}]`;
    };
  }
  if (isFloat32(type)) return (value) => (value === null || value === undefined ? '' : formatFloat32(value as number));
  if (DataType.isBool(type)) return (value) => (value === null || value === undefined ? '' : value ? 'true' : 'false');
  if (DataType.isInt(type) && type.bitWidth === 64) return (value) => (value === null || value === undefined ? '' : String(value));
  return (value) => (value === null || value === undefined ? '' : String(value));
}

/** CLIP-Dissect's descriptions.csv names for the concepts columns describe writes. */
const CLIP_DISSECT_HEADER: Record<string, string> = { concept: 'description', score: 'similarity' };

/**
 * The header: the column names, except for a concepts table marked 'clip-dissect' (describe's),
 * whose concept and score are written as CLIP-Dissect's description and similarity.
 */
export function headerRow(schema: Schema): string[] {
  const clipDissect = schema.metadata.get(META.kind) === 'concepts' && schema.metadata.get(CONCEPTS_CSV_KEY) === 'clip-dissect';
  return schema.fields.map((f) => (clipDissect ? (CLIP_DISSECT_HEADER[f.name] ?? f.name) : f.name));
}

/** The rows of one batch as arrays of strings, in schema order. */
export function batchRows(batch: RecordBatch, formatters: CellFormatter[]): string[][] {
  const columns: Vector[] = batch.schema.fields.map((_, i) => batch.getChildAt(i)!);
  const rows: string[][] = new Array(batch.numRows);
  for (let r = 0; r < batch.numRows; r++) {
    const row = new Array<string>(columns.length);
    for (let c = 0; c < columns.length; c++) row[c] = formatters[c]!(columns[c]!.get(r));
    rows[r] = row;
  }
  return rows;
}

/** Options of `arrowToCsv`. */
export interface ToCsvOptions {
  file?: string;
  output?: string;
  delimiter: string;
  header: boolean;
}

/** Any table (as it is: foreign ones unconverted) as CSV, batch by batch. */
export async function arrowToCsv(options: ToCsvOptions): Promise<void> {
  const input = await openArrow(options.file, { foreign: false });
  const formatters = input.schema.fields.map((f) => cellFormatter(f.type));
  const sink = ByteSink.open(options.output);
  const csv = { delimiter: options.delimiter, includeEndRowDelimiter: true };
  if (options.header) await sink.write(await writeToString([headerRow(input.schema)], csv));
  for await (const batch of input.batches()) await sink.write(await writeToString(batchRows(batch, formatters), csv));
  sink.commit();
}

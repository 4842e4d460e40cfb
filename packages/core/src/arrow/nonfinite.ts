import { DataType, type RecordBatch, type Vector } from 'apache-arrow';
import { CliError } from '../cli/errors.js';

/**
 * The one policy for NaN and ±Infinity wherever numbers enter a computation: by default a
 * tool stops with one line naming the input, the column, how many values and the first row
 * (and its image when the table has one); with --skip-nonfinite it drops those rows and says
 * how many in one warning. A result computed from NaN/Inf is never written silently.
 *
 * The test is a float64 sum per row: any NaN/±Inf makes it non-finite (float32 values cannot
 * overflow it; a float64 row whose finite values overflow it is then checked value by value,
 * so it is never flagged). Hand-written because the sum fuses into loops that already read
 * every value, where it costs next to nothing (topk's heap loop, see tools/bench/nonfinite.js);
 * as a pass of its own it takes ~1.4 ns a value on this project's 2-core machine.
 */

type FloatArray = Float32Array | Float64Array;

/** Rows of a block that hold a non-finite value, and how many such values. */
export interface NonFiniteRows {
  /** Row indices (0-based, within the block), ascending. */
  rows: number[];
  /** NaN/±Inf values in those rows. */
  values: number;
}

/** Whether `x` is NaN or ±Infinity (`x - x` is 0 for every finite number). */
export function isNonFinite(x: number): boolean {
  return x - x !== 0;
}

/**
 * The rows of a row-major block (rows x size values, rows of `offsets` when given) that hold
 * NaN or ±Infinity; null when every value is finite.
 */
export function nonFiniteRows(values: FloatArray, rows: number, size: number, offsets?: Int32Array): NonFiniteRows | null {
  let found: NonFiniteRows | null = null;
  for (let r = 0; r < rows; r++) {
    const start = offsets ? offsets[r]! : r * size;
    const end = offsets ? offsets[r + 1]! : start + size;
    let sum = 0;
    for (let i = start; i < end; i++) sum += values[i]!;
    if (sum - sum === 0) continue;
    let count = 0;
    for (let i = start; i < end; i++) if (values[i]! - values[i]! !== 0) count++;
    // A float64 row of finite values whose sum overflows: not a bad row.
    if (count === 0) continue;
    found ??= { rows: [], values: 0 };
    found.rows.push(r);
    found.values += count;
  }
  return found;
}

/** The flat float values of one chunk of a float column, with the shape of its rows. */
interface FloatBlock {
  values: FloatArray;
  size: number;
  offsets?: Int32Array;
}

/** A float column's chunk as a block of rows, or undefined for a column that holds no floats. */
function floatBlock(data: Vector['data'][number]): FloatBlock | undefined {
  const type = data.type as DataType;
  if (DataType.isFloat(type)) return { values: (data.values as FloatArray).subarray(0, data.length), size: 1 };
  if (DataType.isFixedSizeList(type) || DataType.isList(type)) {
    const child = data.children[0]!;
    if (!DataType.isFloat(child.type)) return undefined;
    const values = child.values as FloatArray;
    if (DataType.isFixedSizeList(type)) return { values: values.subarray(0, data.length * type.listSize), size: type.listSize };
    // List offsets index the child's buffer, which Arrow slices along with the list.
    return { values, size: 0, offsets: data.valueOffsets as Int32Array };
  }
  return undefined;
}

/** Names of the columns of a schema that hold floats (float, FixedSizeList<float>, List<float>). */
export function floatColumns(schema: RecordBatch['schema']): string[] {
  return schema.fields
    .filter((f) => DataType.isFloat(f.type) || ((DataType.isFixedSizeList(f.type) || DataType.isList(f.type)) && DataType.isFloat(f.type.children[0]!.type)))
    .map((f) => f.name);
}

/** What was found in one column over the whole input. */
interface ColumnFinding {
  values: number;
  rows: number;
  /** 0-based row in the input, and its image when known. */
  firstRow: number;
  firstImage: string | null;
}

/**
 * Applies the policy to one input: records what each scanned block holds, and at the end
 * (`finish`) stops with the error or warns about the dropped rows.
 */
export class NonFiniteGuard {
  private readonly found = new Map<string, ColumnFinding>();
  /** Rows dropped (with --skip-nonfinite) or found (without). */
  rows = 0;
  /** Input rows passed to `next` so far; `start`: the first row of the batch `next` saw last. */
  private seen = 0;
  private start = 0;

  constructor(
    /** The input's name for messages (a file name or `stdin`). */
    readonly input: string,
    /** --skip-nonfinite: drop such rows instead of stopping. */
    readonly skip: boolean,
    private readonly warn: (message: string) => void = () => undefined,
    /** What the rows are, for the skip warning: 'rows', 'images'. */
    private readonly what = 'rows',
    /** False for tables whose rows are not data to drop (a classifier's weights, a model's map). */
    private readonly droppable = true,
    /** Said after the error instead of the --skip-nonfinite hint (e.g. what it means of a model). */
    private readonly note?: string,
  ) {}

  /** The policy for a table whose rows cannot be dropped: NaN/Inf always stops (`note` follows the error). */
  static strict(input: string, note?: string): NonFiniteGuard {
    return new NonFiniteGuard(input, false, undefined, 'rows', false, note);
  }

  /** Whether any non-finite value has been seen. */
  get any(): boolean {
    return this.found.size > 0;
  }

  /** Records a block's finding for `column`; `firstRow` is the block's first row in the input. */
  record(column: string, bad: NonFiniteRows | null, firstRow: number, imageOf?: (row: number) => string | null): void {
    if (!bad) return;
    const seen = this.found.get(column);
    if (seen) {
      seen.values += bad.values;
      seen.rows += bad.rows.length;
      return;
    }
    const first = bad.rows[0]!;
    this.found.set(column, { values: bad.values, rows: bad.rows.length, firstRow: firstRow + first, firstImage: imageOf ? imageOf(first) : null });
  }

  /** Scans `column` of a block (rows x size) and records it; returns the bad rows (null: none). */
  scan(column: string, values: FloatArray, rows: number, size: number, firstRow: number, imageOf?: (row: number) => string | null): number[] | null {
    const bad = nonFiniteRows(values, rows, size);
    this.record(column, bad, firstRow, imageOf);
    return bad ? bad.rows : null;
  }

  /**
   * Scans the float columns `columns` of a batch (every float column by default); returns
   * the rows (0-based in the batch, ascending) that any of them spoils, or null. Counts them
   * into `rows`.
   */
  scanBatch(batch: RecordBatch, firstRow: number, columns: string[] = floatColumns(batch.schema)): number[] | null {
    const imageOf = imageReader(batch);
    let union: Set<number> | undefined;
    for (const name of columns) {
      const vector = batch.getChild(name);
      if (!vector) continue;
      let offset = 0;
      for (const data of vector.data) {
        const block = floatBlock(data);
        if (block) {
          let bad = nonFiniteRows(block.values, data.length, block.size, block.offsets);
          // A null slot's value is whatever the writer left there: not a value of the table.
          if (bad && data.nullCount > 0) bad = validOnly(bad, data, block.size === 1);
          if (bad) {
            const shifted = { rows: bad.rows.map((r) => r + offset), values: bad.values };
            this.record(name, shifted, firstRow, imageOf);
            union ??= new Set();
            for (const r of shifted.rows) union.add(r);
          }
        }
        offset += data.length;
      }
    }
    if (!union) return null;
    this.rows += union.size;
    return [...union].sort((a, b) => a - b);
  }

  /**
   * The batch without the rows the float columns `columns` spoil (as slices of it), after
   * recording them; the batch itself when it is clean. Without --skip-nonfinite the rows
   * are kept (the caller stops at `finish` or `stopIfFound`).
   */
  filterBatch(batch: RecordBatch, firstRow: number, columns?: string[]): RecordBatch[] {
    const bad = this.scanBatch(batch, firstRow, columns);
    if (!bad) return [batch];
    if (!this.skip) return [batch];
    return withoutRows(batch, bad);
  }

  /**
   * `filterBatch` for the input's next batch, counting rows itself (so callers keep no row
   * counter): batches must come in input order. `columns` [] scans nothing (see `rescan`).
   */
  next(batch: RecordBatch, columns?: string[]): RecordBatch[] {
    this.start = this.seen;
    this.seen += batch.numRows;
    if (columns && columns.length === 0) return [batch];
    return this.filterBatch(batch, this.start, columns);
  }

  /**
   * Scans `columns` of `part`, a batch `next` saw last (or its first rows): for loops that
   * find NaN/Inf themselves while reading the values and only then ask for the details.
   */
  rescan(part: RecordBatch, columns: string[]): number[] | null {
    return this.scanBatch(part, this.start, columns);
  }

  /** Without --skip-nonfinite: stops now when something was found (before writing a result). */
  stopIfFound(): void {
    if (this.skip || this.found.size === 0) return;
    const [column, f] = this.found.entries().next().value as [string, ColumnFinding];
    const where = `first at row ${f.firstRow + 1}${f.firstImage ? `, image ${f.firstImage}` : ''}`;
    const others = this.found.size > 1 ? `, and ${this.found.size - 1} more column${this.found.size > 2 ? 's' : ''}` : '';
    throw new CliError(
      `${this.input}: column '${column}' has ${f.values} NaN/Inf value${f.values === 1 ? '' : 's'} (${where})${others}${this.note ? `; ${this.note}` : this.droppable ? '; --skip-nonfinite drops such rows' : ''}`,
    );
  }

  /** End of the input: the error (default) or one warning about the dropped rows. */
  finish(): void {
    this.stopIfFound();
    if (this.rows === 0 || this.found.size === 0) return;
    const columns = [...this.found.entries()]
      .map(([name, f]) => `'${name}': ${f.values} value${f.values === 1 ? '' : 's'}, first at row ${f.firstRow + 1}${f.firstImage ? ` (${f.firstImage})` : ''}`)
      .join('; ');
    this.warn(`${this.input}: dropped ${this.rows} ${this.what} with NaN/Inf values (${columns})`);
  }
}

function validOnly(bad: NonFiniteRows, data: Vector['data'][number], scalar: boolean): NonFiniteRows | null {
  const rows = bad.rows.filter((r) => data.getValid(r));
  if (rows.length === 0) return null;
  return { rows, values: scalar ? rows.length : bad.values };
}

/** Row `r`'s `image` (utf8) of a batch, when the batch has that column. */
function imageReader(batch: RecordBatch): ((row: number) => string | null) | undefined {
  const image = batch.getChild('image');
  if (!image || !DataType.isUtf8(image.type)) return undefined;
  return (row) => {
    const value = image.get(row) as string | null;
    return value ?? null;
  };
}

/** A batch minus the rows `bad` (0-based, ascending), as the slices between them. */
export function withoutRows(batch: RecordBatch, bad: number[]): RecordBatch[] {
  const out: RecordBatch[] = [];
  let start = 0;
  for (const r of bad) {
    if (r > start) out.push(batch.slice(start, r));
    start = r + 1;
  }
  if (start < batch.numRows) out.push(batch.slice(start, batch.numRows));
  return out;
}

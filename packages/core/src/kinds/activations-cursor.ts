import type { RecordBatch } from 'apache-arrow';
import type { ArrowInput } from '../arrow/input.js';
import type { NonFiniteGuard } from '../arrow/nonfinite.js';
import { readRows } from '../arrow/readers.js';
import { activationsCodec } from './activations.js';

/**
 * A read position in an activations table, for tools that walk two tables in lockstep by
 * image (compare's CKA/RSA join, lstsq's fit): blocks of rows as views of a batch's
 * buffers, the rows of the current batch that hold NaN/Inf in the columns read (core's
 * policy, through `guard`), and the image names ahead for an error message.
 */
export class ActivationsCursor {
  private images: (string | null)[] = [];
  private values: (Float32Array | Int32Array)[] = [];
  private pos = 0;
  private readonly it: AsyncGenerator<RecordBatch>;
  /** Rows of the current batch holding NaN/Inf in a column read. */
  private bad: Set<number> | null = null;
  /** Rows passed so far (the input's row number of the current position). */
  row = 0;

  constructor(
    readonly input: ArrowInput,
    /** The FixedSizeList columns read, each `width` values a row. */
    readonly columns: { name: string; width: number }[],
    private readonly guard: NonFiniteGuard,
  ) {
    this.it = input.batches();
  }

  /** Rows left in the current batch, loading the next batch when needed; 0 at the end. */
  async available(): Promise<number> {
    while (this.pos >= this.images.length) {
      const next = await this.it.next();
      if (next.done) return 0;
      const batch = next.value;
      const bad = this.guard.scanBatch(batch, this.row, this.columns.map((c) => c.name));
      this.bad = bad ? new Set(bad) : null;
      const decoded = activationsCodec.decode(batch);
      this.images = readRows(decoded.image, decoded.rows);
      this.values = this.columns.map((c) => decoded.values(c.name));
      this.pos = 0;
    }
    return this.images.length - this.pos;
  }

  /** Whether the row `offset` rows ahead holds NaN/Inf. */
  spoiled(offset: number): boolean {
    return this.bad !== null && this.bad.has(this.pos + offset);
  }

  /** Whether any of the next `count` rows holds NaN/Inf. */
  anySpoiled(count: number): boolean {
    if (this.bad === null) return false;
    for (const r of this.bad) if (r >= this.pos && r < this.pos + count) return true;
    return false;
  }

  image(offset: number): string | null {
    return this.images[this.pos + offset]!;
  }

  /** Each column's values of `count` rows starting `offset` rows ahead (views). */
  view(offset: number, count: number): (Float32Array | Int32Array)[] {
    const at = this.pos + offset;
    return this.columns.map((c, i) => this.values[i]!.subarray(at * c.width, (at + count) * c.width));
  }

  advance(count: number): void {
    this.pos += count;
    this.row += count;
  }

  /** The image names from here to the end (only on the error path). */
  async rest(): Promise<(string | null)[]> {
    const out: (string | null)[] = [];
    while ((await this.available()) > 0) {
      out.push(...this.images.slice(this.pos));
      this.pos = this.images.length;
    }
    return out;
  }
}

import { CliError, expectKind, fixedSizeListValues, stringValues, type ArrowInput } from '@cnnpipe/core';
import type { RecordBatch } from 'apache-arrow';
import { GramAccumulator, type Gram } from './normal.js';

/** Rows of one input, batch by batch: image names and flat features. */
class Cursor {
  private batch: { images: (string | null)[]; values: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> } } | undefined;
  private pos = 0;
  private readonly it: AsyncGenerator<RecordBatch>;
  rowsSeen = 0;

  constructor(
    readonly input: ArrowInput,
    readonly column: string,
    readonly width: number,
  ) {
    this.it = input.batches();
  }

  /** Rows left in the current batch, loading the next batch when needed; 0 at the end. */
  async available(): Promise<number> {
    while (!this.batch || this.pos >= this.batch.images.length) {
      const next = await this.it.next();
      if (next.done) return 0;
      const b = next.value;
      this.batch = {
        images: stringValues(b.getChild('image')!),
        values: fixedSizeListValues(b.getChild(this.column)!).values,
      };
      this.pos = 0;
    }
    return this.batch.images.length - this.pos;
  }

  image(offset: number): string | null {
    return this.batch!.images[this.pos + offset]!;
  }

  rows(count: number): ArrayLike<number> {
    const v = this.batch!.values.subarray(this.pos * this.width, (this.pos + count) * this.width);
    return v;
  }

  advance(count: number): void {
    this.pos += count;
    this.rowsSeen += count;
  }
}

export interface FitSide {
  input: ArrowInput;
  column: string;
  width: number;
}

export interface FitOptions {
  intersect: boolean;
  warn(message: string): void;
  blockRows?: number;
}

/**
 * Streams both tables and accumulates the Gram of source → target. Rows are joined on
 * `image`: in lockstep when both tables list the same images in the same order (memory
 * independent of the rows); with `intersect`, by image name over the target held in memory.
 */
export async function accumulate(source: FitSide, target: FitSide, options: FitOptions): Promise<Gram> {
  expectKind(source.input.schema, 'activations', source.input.name);
  expectKind(target.input.schema, 'activations', target.input.name);
  const acc = new GramAccumulator(source.width, target.width, options.blockRows);
  if (options.intersect) return intersectJoin(source, target, acc, options);
  const a = new Cursor(source.input, source.column, source.width);
  const b = new Cursor(target.input, target.column, target.width);
  for (;;) {
    const [na, nb] = await Promise.all([a.available(), b.available()]);
    if (na === 0 || nb === 0) {
      if (na !== nb) {
        const longer = na > 0 ? a : b;
        throw new CliError(
          `${source.input.name} and ${target.input.name} hold different image sets (${longer.input.name} has more rows, ` +
            `next '${longer.image(0)}'; expected the same images in the same order, or use --intersect)`,
        );
      }
      break;
    }
    const k = Math.min(na, nb);
    let m = 0;
    while (m < k && a.image(m) === b.image(m)) m++;
    if (m > 0) {
      await acc.add(a.rows(m), b.rows(m), m);
      a.advance(m);
      b.advance(m);
    }
    if (m < k) {
      throw new CliError(
        `${source.input.name} and ${target.input.name} differ at row ${a.rowsSeen} (image '${a.image(0)}' against '${b.image(0)}'; ` +
          `expected the same images in the same order, or use --intersect to join on image)`,
      );
    }
  }
  return acc.finish();
}

async function intersectJoin(source: FitSide, target: FitSide, acc: GramAccumulator, options: FitOptions): Promise<Gram> {
  const byImage = new Map<string, Float32Array | Float64Array>();
  let targetRows = 0;
  for await (const batch of target.input.batches()) {
    const images = stringValues(batch.getChild('image')!);
    const values = fixedSizeListValues(batch.getChild(target.column)!).values;
    for (let i = 0; i < images.length; i++) {
      const name = images[i];
      if (name === null || name === undefined) continue;
      targetRows++;
      byImage.set(name, Float64Array.from(values.subarray(i * target.width, (i + 1) * target.width)));
    }
  }
  let sourceRows = 0;
  let matched = 0;
  const xs = new Float64Array(source.width);
  for await (const batch of source.input.batches()) {
    const images = stringValues(batch.getChild('image')!);
    const values = fixedSizeListValues(batch.getChild(source.column)!).values;
    for (let i = 0; i < images.length; i++) {
      sourceRows++;
      const y = images[i] == null ? undefined : byImage.get(images[i]!);
      if (!y) continue;
      matched++;
      xs.set(values.subarray(i * source.width, (i + 1) * source.width));
      await acc.add(xs, y, 1);
    }
  }
  if (matched < sourceRows || matched < targetRows) {
    options.warn(
      `--intersect: ${matched} images in both tables (${sourceRows} in ${source.input.name}, ${targetRows} in ${target.input.name}); the others are left out`,
    );
  }
  return acc.finish();
}

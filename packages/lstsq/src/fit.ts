import { CliError, NonFiniteGuard, expectKind, fixedSizeListValues, stringValues, type ArrowInput } from '@cnnpipe/core';
import type { RecordBatch } from 'apache-arrow';
import { GramAccumulator, type Gram } from './normal.js';

/** Rows of one input, batch by batch: image names and flat features. */
class Cursor {
  private batch: { images: (string | null)[]; values: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> } } | undefined;
  private pos = 0;
  private readonly it: AsyncGenerator<RecordBatch>;
  /** Rows of the current batch holding NaN/Inf (core's policy): never added to the Gram. */
  private bad: Set<number> | null = null;
  rowsSeen = 0;

  constructor(
    readonly input: ArrowInput,
    readonly column: string,
    readonly width: number,
    private readonly guard: NonFiniteGuard,
  ) {
    this.it = input.batches();
  }

  /** Rows left in the current batch, loading the next batch when needed; 0 at the end. */
  async available(): Promise<number> {
    while (!this.batch || this.pos >= this.batch.images.length) {
      const next = await this.it.next();
      if (next.done) return 0;
      const b = next.value;
      const bad = this.guard.scanBatch(b, this.rowsSeen, [this.column]);
      this.bad = bad ? new Set(bad) : null;
      this.batch = {
        images: stringValues(b.getChild('image')!),
        values: fixedSizeListValues(b.getChild(this.column)!).values,
      };
      this.pos = 0;
    }
    return this.batch.images.length - this.pos;
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
    return this.batch!.images[this.pos + offset]!;
  }

  rows(count: number, offset = 0): ArrayLike<number> {
    const start = this.pos + offset;
    const v = this.batch!.values.subarray(start * this.width, (start + count) * this.width);
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
  /** Core's NaN/Inf policy for this input (default: stop). */
  guard?: NonFiniteGuard;
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
  const guards = [source.guard ?? new NonFiniteGuard(source.input.name, false), target.guard ?? new NonFiniteGuard(target.input.name, false)] as const;
  if (options.intersect) return intersectJoin(source, target, acc, options, guards);
  const a = new Cursor(source.input, source.column, source.width, guards[0]);
  const b = new Cursor(target.input, target.column, target.width, guards[1]);
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
      if (!a.anySpoiled(m) && !b.anySpoiled(m)) await acc.add(a.rows(m), b.rows(m), m);
      else await addFiniteRuns(acc, a, b, m);
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
  for (const guard of guards) guard.finish();
  return acc.finish();
}

/** Adds the next `m` row pairs but those where either side holds NaN/Inf, run by run. */
async function addFiniteRuns(acc: GramAccumulator, a: Cursor, b: Cursor, m: number): Promise<void> {
  let start = 0;
  for (let o = 0; o <= m; o++) {
    if (o < m && !a.spoiled(o) && !b.spoiled(o)) continue;
    if (o > start) await acc.add(a.rows(o - start, start), b.rows(o - start, start), o - start);
    start = o + 1;
  }
}

async function intersectJoin(
  source: FitSide,
  target: FitSide,
  acc: GramAccumulator,
  options: FitOptions,
  guards: readonly [NonFiniteGuard, NonFiniteGuard],
): Promise<Gram> {
  const byImage = new Map<string, Float32Array | Float64Array>();
  let targetRows = 0;
  let targetRow = 0;
  for await (const batch of target.input.batches()) {
    const images = stringValues(batch.getChild('image')!);
    const values = fixedSizeListValues(batch.getChild(target.column)!).values;
    const bad = new Set(guards[1].scanBatch(batch, targetRow, [target.column]) ?? []);
    targetRow += batch.numRows;
    for (let i = 0; i < images.length; i++) {
      const name = images[i];
      if (name === null || name === undefined || bad.has(i)) continue;
      targetRows++;
      byImage.set(name, Float64Array.from(values.subarray(i * target.width, (i + 1) * target.width)));
    }
  }
  let sourceRows = 0;
  let matched = 0;
  const xs = new Float64Array(source.width);
  let sourceRow = 0;
  for await (const batch of source.input.batches()) {
    const images = stringValues(batch.getChild('image')!);
    const values = fixedSizeListValues(batch.getChild(source.column)!).values;
    const bad = new Set(guards[0].scanBatch(batch, sourceRow, [source.column]) ?? []);
    sourceRow += batch.numRows;
    for (let i = 0; i < images.length; i++) {
      sourceRows++;
      if (bad.has(i)) continue;
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
  for (const guard of guards) guard.finish();
  return acc.finish();
}

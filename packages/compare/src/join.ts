import { CliError, NonFiniteGuard, fixedSizeListValues, stringValues, type ArrowInput, type NumericArray } from '@cnnpipe/core';
import type { RecordBatch } from 'apache-arrow';
import type { SideLayout } from './layers.js';

/** Rows both tables hold, in order: per layer, rows x width values (views into the batches). */
export interface JoinedBlock {
  rows: number;
  a: NumericArray[];
  b: NumericArray[];
}

/** One table's rows batch by batch: image names and the layers' flat values. */
class Cursor {
  private images: (string | null)[] = [];
  private values: NumericArray[] = [];
  private pos = 0;
  private readonly it: AsyncGenerator<RecordBatch>;
  /** Rows of the current batch holding NaN/Inf in a compared layer (core's policy). */
  private bad: Set<number> | null = null;
  row = 0;

  constructor(
    readonly input: ArrowInput,
    readonly side: SideLayout,
    readonly guard: NonFiniteGuard,
  ) {
    this.it = input.batches();
  }

  /** Rows left in the current batch, loading the next batch when needed; 0 at the end. */
  async available(): Promise<number> {
    while (this.pos >= this.images.length) {
      const next = await this.it.next();
      if (next.done) return 0;
      const batch = next.value;
      const bad = this.guard.scanBatch(batch, this.row, this.side.layers.map((l) => l.name));
      this.bad = bad ? new Set(bad) : null;
      this.images = stringValues(batch.getChild('image')!);
      this.values = this.side.layers.map((l) => fixedSizeListValues(batch.getChild(l.name)!).values);
      this.pos = 0;
    }
    return this.images.length - this.pos;
  }

  /** Whether the row `offset` rows ahead holds NaN/Inf. */
  spoiled(offset: number): boolean {
    return this.bad !== null && this.bad.has(this.pos + offset);
  }

  image(offset: number): string | null {
    return this.images[this.pos + offset]!;
  }

  /** The layers' values of `count` rows starting `offset` rows ahead (views). */
  view(offset: number, count: number): NumericArray[] {
    const at = this.pos + offset;
    return this.side.layers.map((l, i) => this.values[i]!.subarray(at * l.width, (at + count) * l.width));
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

const show = (image: string | null): string => (image === null ? 'null' : `'${image}'`);

/**
 * Why two tables' images differ, once rows stopped matching: the first image of one that the
 * other lacks (the matched prefix is the same in both, so the rests decide), else an order.
 */
async function mismatch(a: Cursor, b: Cursor): Promise<CliError> {
  const at = a.row;
  const [ra, rb] = await Promise.all([a.rest(), b.rest()]);
  const inB = new Set(rb);
  const onlyA = ra.find((img) => !inB.has(img));
  const expected = 'expected activations of the same images in both tables, joined by image';
  if (onlyA !== undefined) return new CliError(`image ${show(onlyA)} is in ${a.input.name} but not in ${b.input.name} (${expected})`);
  const inA = new Set(ra);
  const onlyB = rb.find((img) => !inA.has(img));
  if (onlyB !== undefined) return new CliError(`image ${show(onlyB)} is in ${b.input.name} but not in ${a.input.name} (${expected})`);
  return new CliError(
    `${a.input.name} and ${b.input.name} hold the same images in a different order (row ${at}: ${show(ra[0] ?? null)} against ` +
      `${show(rb[0] ?? null)}; expected the same order, as extract writes for the same INPUT arguments)`,
  );
}

/**
 * Streams two activations tables together, joined by image: blocks of rows whose images
 * agree, in lockstep, so memory does not grow with the number of images. NaN/Inf in a
 * compared layer follows core's policy through the guards: stop at the end (default), or
 * with --skip-nonfinite leave that image out of both sides.
 */
export async function* joinByImage(
  a: ArrowInput,
  la: SideLayout,
  b: ArrowInput,
  lb: SideLayout,
  guards: [NonFiniteGuard, NonFiniteGuard] = [new NonFiniteGuard(a.name, false), new NonFiniteGuard(b.name, false)],
): AsyncGenerator<JoinedBlock> {
  const ca = new Cursor(a, la, guards[0]);
  const cb = new Cursor(b, lb, guards[1]);
  for (;;) {
    const [na, nb] = await Promise.all([ca.available(), cb.available()]);
    if (na === 0 && nb === 0) break;
    if (na === 0 || nb === 0) throw await mismatch(ca, cb);
    const k = Math.min(na, nb);
    let m = 0;
    while (m < k && ca.image(m) === cb.image(m)) m++;
    // The runs of rows without NaN/Inf on either side.
    let start = 0;
    for (let r = 0; r <= m; r++) {
      if (r < m && !ca.spoiled(r) && !cb.spoiled(r)) continue;
      if (r > start) yield { rows: r - start, a: ca.view(start, r - start), b: cb.view(start, r - start) };
      start = r + 1;
    }
    ca.advance(m);
    cb.advance(m);
    if (m < k) throw await mismatch(ca, cb);
  }
  for (const guard of guards) guard.finish();
}

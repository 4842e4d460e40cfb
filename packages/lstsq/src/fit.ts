import { ActivationsCursor, CliError, NonFiniteGuard, expectKind, fixedSizeListValues, stringValues, type ArrowInput, type SliceDigits } from '@cnnpipe/core';
import type { BlockCounts } from './block-gram.js';
import { GramAccumulator, type Gram, type GramPath } from './normal.js';

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
  /** How block products are computed (default float64). */
  gram?: GramPath;
  /** Digits per source and target value on the int8 path (default core's DEFAULT_SLICE_DIGITS). */
  digits?: SliceDigits;
  /** Told which paths the blocks took, once at the end. */
  onBlocks?(blocks: BlockCounts): void;
}

/**
 * Streams both tables and accumulates the Gram of source → target. Rows are joined on
 * `image`: in lockstep when both tables list the same images in the same order (memory
 * independent of the rows); with `intersect`, by image name over the target held in memory.
 */
export async function accumulate(source: FitSide, target: FitSide, options: FitOptions): Promise<Gram> {
  expectKind(source.input.schema, 'activations', source.input.name);
  expectKind(target.input.schema, 'activations', target.input.name);
  const acc = new GramAccumulator(source.width, target.width, options.blockRows, options.gram, options.digits);
  const guards = [source.guard ?? new NonFiniteGuard(source.input.name, false), target.guard ?? new NonFiniteGuard(target.input.name, false)] as const;
  if (options.intersect) return intersectJoin(source, target, acc, options, guards);
  const a = new ActivationsCursor(source.input, [{ name: source.column, width: source.width }], guards[0]);
  const b = new ActivationsCursor(target.input, [{ name: target.column, width: target.width }], guards[1]);
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
      if (!a.anySpoiled(m) && !b.anySpoiled(m)) await acc.add(a.view(0, m)[0]!, b.view(0, m)[0]!, m);
      else await addFiniteRuns(acc, a, b, m);
      a.advance(m);
      b.advance(m);
    }
    if (m < k) {
      throw new CliError(
        `${source.input.name} and ${target.input.name} differ at row ${a.row} (image '${a.image(0)}' against '${b.image(0)}'; ` +
          `expected the same images in the same order, or use --intersect to join on image)`,
      );
    }
  }
  for (const guard of guards) guard.finish();
  return finish(acc, options);
}

async function finish(acc: GramAccumulator, options: FitOptions): Promise<Gram> {
  const gram = await acc.finish();
  options.onBlocks?.(acc.blocks);
  return gram;
}

/** Adds the next `m` row pairs but those where either side holds NaN/Inf, run by run. */
async function addFiniteRuns(acc: GramAccumulator, a: ActivationsCursor, b: ActivationsCursor, m: number): Promise<void> {
  let start = 0;
  for (let o = 0; o <= m; o++) {
    if (o < m && !a.spoiled(o) && !b.spoiled(o)) continue;
    if (o > start) await acc.add(a.view(start, o - start)[0]!, b.view(start, o - start)[0]!, o - start);
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
  return finish(acc, options);
}

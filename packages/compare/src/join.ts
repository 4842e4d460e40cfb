import { ActivationsCursor, CliError, NonFiniteGuard, type ArrowInput, type NumericArray } from '@cnnpipe/core';
import type { SideLayout } from './layers.js';

/** Rows both tables hold, in order: per layer, rows x width values (views into the batches; core's ActivationsCursor reads them). */
export interface JoinedBlock {
  rows: number;
  a: NumericArray[];
  b: NumericArray[];
}

const show = (image: string | null): string => (image === null ? 'null' : `'${image}'`);

/**
 * Why two tables' images differ, once rows stopped matching: the first image of one that the
 * other lacks (the matched prefix is the same in both, so the rests decide), else an order.
 */
async function mismatch(a: ActivationsCursor, b: ActivationsCursor): Promise<CliError> {
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
  const columns = (side: SideLayout) => side.layers.map((l) => ({ name: l.name, width: l.width }));
  const ca = new ActivationsCursor(a, columns(la), guards[0]);
  const cb = new ActivationsCursor(b, columns(lb), guards[1]);
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

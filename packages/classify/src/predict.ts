import { readRows, type AccuracyRows, type ActivationsBatch, type KindReader, type Linear, type PredictionsRows } from '@cnnpipe/core';
import { logitsOf, score } from './classify.js';
import type { Truth } from './classes.js';

/** Images scored and how many the classifier got right in its top 1 and top 5. */
export interface Tally {
  n: number;
  top1: number;
  top5: number;
}

/**
 * Classifies the `column` features of every batch, handing each batch's predictions to
 * `emit` (unless there is none) and counting the hits.
 */
export async function predict(
  reader: KindReader<ActivationsBatch>,
  column: string,
  linear: Linear,
  truth: Truth,
  emit?: (rows: PredictionsRows) => Promise<void>,
): Promise<Tally> {
  const tally: Tally = { n: 0, top1: 0, top5: 0 };
  const guard = reader.guard;
  for await (const batch of reader.batches()) {
    // Once a NaN/Inf is found (without --skip-nonfinite) nothing more is computed: the
    // rest is only scanned, so the error can say how many there are.
    if (guard && guard.any && !guard.skip) continue;
    const logits = await logitsOf(linear, batch.values(column), batch.rows);
    let names: (string | null)[] | undefined;
    const labels = truth.of(batch.labels, () => (names ??= readRows(batch.class, batch.rows)));
    const s = score(logits, linear.k, labels.values, (i) => !labels.isNull(i));
    for (let i = 0; i < batch.rows; i++) {
      if (s.top1[i]! < 0) continue;
      tally.n++;
      tally.top1 += s.top1[i]!;
      tally.top5 += s.top5[i]!;
    }
    if (emit) await emit({ image: readRows(batch.image, batch.rows), label: { values: Int32Array.from(labels.values), isNull: labels.isNull }, pred: s.pred, top1: s.top1, top5: s.top5 });
  }
  return tally;
}

/** The one accuracy row of a run: `source` features through the `target` classifier. */
export function accuracyRows(t: Tally, source: string, target: string): AccuracyRows {
  const fraction = (hits: number) => Float64Array.of(t.n ? hits / t.n : NaN);
  return { source: [source], target: [target], n: Int32Array.of(t.n), top1: fraction(t.top1), top5: fraction(t.top5) };
}

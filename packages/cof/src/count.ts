import { CliError, META, type ConceptsRows, type CofRows, type KindReader, type TopkBatch } from '@cnnpipe/core';
import { CofCounter, dominantClass, type CofRow } from './cof.js';

/**
 * Counts topk rows into the CoF counter: a row's class is its label (checked against the
 * class list), or its class name when the label is null (-1: unknown).
 */
export async function countTopk(reader: KindReader<TopkBatch>, classNames: string[]): Promise<CofCounter> {
  const classIndex = new Map(classNames.map((name, i) => [name, i]));
  const counter = new CofCounter(classNames.length);
  for await (const batch of reader.batches()) {
    for (let r = 0; r < batch.rows; r++) {
      const l = batch.label(r);
      let index: number;
      if (l !== null) {
        if (l < 0 || l >= classNames.length) {
          throw new CliError(
            `${reader.name}: label ${l} is out of range (expected 0..${classNames.length - 1}, the ${classNames.length} classes of ${META.classes})`,
          );
        }
        index = l;
      } else {
        const name = batch.class(r);
        index = name === null ? -1 : (classIndex.get(name) ?? -1);
      }
      counter.add(String(batch.layer(r)), batch.neuron[r]!, index);
    }
  }
  return counter;
}

/** CoF rows as the cof kind's columns (counts rows x K). */
export function cofRows(rows: CofRow[], classes: number): CofRows {
  const counts = new Int32Array(rows.length * classes);
  rows.forEach((r, i) => counts.set(r.counts, i * classes));
  return {
    layer: rows.map((r) => r.layer),
    neuron: Int32Array.from(rows, (r) => r.neuron),
    counts,
    classes,
    total: Int32Array.from(rows, (r) => r.total),
  };
}

/** Each neuron's dominant class as its concept, with its share of the top-k as the score. */
export function conceptRows(rows: CofRow[], classNames: string[]): ConceptsRows {
  const dominant = rows.map((r) => dominantClass(r.counts, r.total));
  return {
    layer: rows.map((r) => r.layer),
    unit: Int32Array.from(rows, (r) => r.neuron),
    concept: dominant.map((d) => (d.index < 0 ? null : classNames[d.index]!)),
    score: Float64Array.from(dominant, (d) => d.share),
  };
}

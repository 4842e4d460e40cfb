import { float64Data, int32Data, makeBatch, utf8Column, type Metadata } from '@cnnpipe/core';
import { Field, Float64, List, Utf8, vectorFromArray, type Data, type RecordBatch } from 'apache-arrow';
import type { LayerDescription } from './describe.js';

/**
 * The `concepts` table of describe: one row per (layer, unit) with the best concept and its
 * score (CLIP-Dissect's description and similarity); with keep > 0 also `runner_ups`
 * List<utf8> and `runner_up_scores` List<float64>, the next concepts best first.
 */
export function conceptsBatch(layers: LayerDescription[], words: string[], keep: number, metadata: Metadata): RecordBatch {
  const rows = layers.reduce((s, l) => s + l.neurons, 0);
  const layer: string[] = new Array(rows);
  const unit = new Int32Array(rows);
  const concept: (string | null)[] = new Array(rows);
  const score = new Float64Array(rows);
  const runnerUps: (string | null)[][] = [];
  const runnerUpScores: (number | null)[][] = [];
  const size = keep + 1;
  let r = 0;
  for (const l of layers) {
    for (let k = 0; k < l.neurons; k++, r++) {
      layer[r] = l.name;
      unit[r] = k;
      const best = l.concept[k * size]!;
      concept[r] = best >= 0 ? words[best]! : null;
      score[r] = best >= 0 ? l.score[k * size]! : Number.NaN;
      if (keep > 0) {
        const names: (string | null)[] = [];
        const values: (number | null)[] = [];
        for (let j = 1; j < size; j++) {
          const c = l.concept[k * size + j]!;
          if (c < 0) break;
          names.push(words[c]!);
          values.push(l.score[k * size + j]!);
        }
        runnerUps.push(names);
        runnerUpScores.push(values);
      }
    }
  }
  const columns: Record<string, Data> = {
    layer: utf8Column(layer),
    unit: int32Data(unit),
    concept: utf8Column(concept),
    score: float64Data(score, (i) => Number.isNaN(score[i]!)),
  };
  if (keep > 0) {
    columns.runner_ups = vectorFromArray(runnerUps, new List(new Field('item', new Utf8(), true))).data[0]!;
    columns.runner_up_scores = vectorFromArray(runnerUpScores, new List(new Field('item', new Float64(), true))).data[0]!;
  }
  return makeBatch(columns, metadata);
}

import { CliError, NonFiniteGuard, expectKind, primitiveValues, readAllBatches, stringValues, type ArrowInput } from '@cnnpipe/core';
import type { RecordBatch, Vector } from 'apache-arrow';
import type { ConceptTable } from './table.js';

const decoder = new TextDecoder();

/**
 * Strings of a utf8 column, fast: each chunk's bytes are decoded once and, when they are
 * ASCII (one char per byte), sliced by offset; otherwise decoded value by value.
 */
export function utf8Values(vector: Vector): (string | null)[] {
  const out: (string | null)[] = [];
  for (const data of vector.data) {
    const offsets: unknown = data.valueOffsets;
    const bytes: unknown = data.values;
    if (!(offsets instanceof Int32Array) || !(bytes instanceof Uint8Array)) return stringValues(vector);
    const start = offsets[0]!;
    const end = offsets[data.length]!;
    const text = decoder.decode(bytes.subarray(start, end));
    const ascii = text.length === end - start;
    for (let i = 0; i < data.length; i++) {
      if (data.nullCount > 0 && !data.getValid(i)) out.push(null);
      else if (ascii) out.push(text.slice(offsets[i]! - start, offsets[i + 1]! - start));
      else out.push(decoder.decode(bytes.subarray(offsets[i]!, offsets[i + 1]!)));
    }
  }
  return out;
}

function nullAt(vector: Vector): number {
  if (vector.nullCount === 0) return -1;
  for (let i = 0; i < vector.length; i++) if (!vector.isValid(i)) return i;
  return -1;
}

/**
 * Reads a `concepts` table (layer, unit, concept, score) from an opened Arrow input. A NaN/Inf
 * score (a null one is fine: no score) follows core's policy through `guard`.
 */
export async function readConcepts(input: ArrowInput, guard = new NonFiniteGuard(input.name, false)): Promise<ConceptTable> {
  expectKind(input.schema, 'concepts', input.name);
  const table: ConceptTable = { layer: [], unit: new Int32Array(0), concept: [], score: new Float64Array(0) };
  const units: Int32Array[] = [];
  const scores: Float64Array[] = [];
  let offset = 0;
  let row = 0;
  const batches: RecordBatch[] = [];
  for (const whole of await readAllBatches(input)) {
    batches.push(...guard.filterBatch(whole, row, ['score']));
    row += whole.numRows;
  }
  guard.finish();
  for (const batch of batches) {
    const layer = batch.getChild('layer')!;
    const unit = batch.getChild('unit')!;
    for (const [name, vector] of [
      ['layer', layer],
      ['unit', unit],
    ] as const) {
      const at = nullAt(vector);
      if (at >= 0) throw new CliError(`${input.name}: row ${offset + at + 1}: column '${name}' is null (expected a value on every row)`);
    }
    for (const v of utf8Values(layer)) table.layer.push(v!);
    for (const v of utf8Values(batch.getChild('concept')!)) table.concept.push(v);
    units.push(Int32Array.from(primitiveValues(unit)));
    const scoreVector = batch.getChild('score')!;
    const score = Float64Array.from(primitiveValues(scoreVector));
    if (scoreVector.nullCount > 0) for (let i = 0; i < score.length; i++) if (!scoreVector.isValid(i)) score[i] = Number.NaN;
    scores.push(score);
    offset += batch.numRows;
  }
  table.unit = new Int32Array(offset);
  table.score = new Float64Array(offset);
  let at = 0;
  for (let k = 0; k < units.length; k++) {
    table.unit.set(units[k]!, at);
    table.score.set(scores[k]!, at);
    at += units[k]!.length;
  }
  return table;
}

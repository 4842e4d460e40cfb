import { CliError, type ConceptsRows } from '@cnnpipe/core';

/**
 * Neuron-description files other tools write, and how their columns map onto the
 * `concepts` kind (layer, unit, concept, score).
 */
export interface ConceptFormat {
  name: string;
  /** Header columns that identify the format (all must be present). */
  required: string[];
  layer?: string;
  unit: string;
  concept: string;
  score: string;
  /** First unit number the format uses (NetDissect counts from 1). */
  unitBase: number;
}

export const CONCEPT_FORMATS: ConceptFormat[] = [
  {
    name: 'cnnpipe concepts',
    required: ['layer', 'unit', 'concept', 'score'],
    layer: 'layer',
    unit: 'unit',
    concept: 'concept',
    score: 'score',
    unitBase: 0,
  },
  {
    name: 'CLIP-Dissect descriptions.csv',
    required: ['layer', 'unit', 'description', 'similarity'],
    layer: 'layer',
    unit: 'unit',
    concept: 'description',
    score: 'similarity',
    unitBase: 0,
  },
  {
    name: 'NetDissect tally.csv',
    required: ['unit', 'category', 'label', 'score'],
    unit: 'unit',
    concept: 'label',
    score: 'score',
    unitBase: 1,
  },
];

export function detectConceptFormat(header: string[], source: string): ConceptFormat {
  const names = new Set(header.map((h) => h.trim()));
  const format = CONCEPT_FORMATS.find((f) => f.required.every((r) => names.has(r)));
  if (!format) {
    const expected = CONCEPT_FORMATS.map((f) => `${f.name} (${f.required.join(',')})`).join('; ');
    throw new CliError(`${source}: not a concepts file (expected a header of ${expected}; got ${header.join(',')})`);
  }
  return format;
}

/** The concepts kind's rows (core's codec), every concept named. */
export type ConceptRows = ConceptsRows & { concept: string[] };

/**
 * Maps parsed CSV rows onto the `concepts` columns. `layer` names the layer for formats
 * without a layer column (NetDissect tallies are one file per layer); `unitBase` overrides
 * the format's first unit number. Units come out 0-based, as channel indices.
 */
export function toConcepts(
  header: string[],
  rows: string[][],
  source: string,
  options: { layer?: string; unitBase?: number } = {},
): { format: ConceptFormat; concepts: ConceptRows } {
  const format = detectConceptFormat(header, source);
  const index = (name: string) => header.findIndex((h) => h.trim() === name);
  const layerAt = format.layer ? index(format.layer) : -1;
  if (layerAt < 0 && options.layer === undefined) {
    throw new CliError(`${source}: a ${format.name} has no layer column (expected --layer NAME to say which layer it describes)`);
  }
  const unitAt = index(format.unit);
  const conceptAt = index(format.concept);
  const scoreAt = index(format.score);
  const base = options.unitBase ?? format.unitBase;
  // With a layer column, --layer selects that layer's rows; without one, it names the layer.
  const kept = layerAt >= 0 && options.layer !== undefined ? rows.filter((row) => row[layerAt] === options.layer) : rows;
  const n = kept.length;
  const concepts: ConceptRows = { layer: new Array(n), unit: new Int32Array(n), concept: new Array(n), score: new Float64Array(n) };
  for (let r = 0; r < n; r++) {
    const row = kept[r]!;
    const where = `${source}: row ${rows.indexOf(row) + 2}`;
    const unit = Number(row[unitAt]);
    if (row[unitAt]!.trim() === '' || !Number.isInteger(unit)) {
      throw new CliError(`${where}: column '${format.unit}' is '${row[unitAt]}' (expected an integer unit)`);
    }
    const score = Number(row[scoreAt]);
    // NaN/Inf scores would only stop the next tool (core's NaN/Inf policy): say so here.
    if (row[scoreAt]!.trim() === '' || !Number.isFinite(score)) {
      throw new CliError(`${where}: column '${format.score}' is '${row[scoreAt]}' (expected a finite number)`);
    }
    concepts.layer[r] = layerAt >= 0 ? row[layerAt]! : options.layer!;
    concepts.unit[r] = unit - base;
    concepts.concept[r] = row[conceptAt]!;
    concepts.score[r] = score;
  }
  return { format, concepts };
}

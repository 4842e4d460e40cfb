import { CliError } from '@cnnpipe/core';

/**
 * One model's concept annotations, one entry per neuron: the `concepts` kind as plain
 * arrays. `concept` null (or blank) is an unlabelled neuron; `score` NaN a missing score.
 */
export interface ConceptTable {
  layer: string[];
  unit: Int32Array;
  concept: (string | null)[];
  score: Float64Array;
}

export interface CheckedTable {
  table: ConceptTable;
  /** Rows whose score is null (NaN): excluded from score statistics. */
  missingScores: number;
  /** Rows without a concept (null or blank): counted as neurons, not as concepts. */
  unlabelled: number;
}

/**
 * Checks one concepts table: one row per (layer, unit) — a duplicate is an error naming
 * it — and counts missing scores and unlabelled neurons. Blank concepts become null.
 */
export function checkTable(table: ConceptTable, source: string): CheckedTable {
  const n = table.layer.length;
  if (table.unit.length !== n || table.concept.length !== n || table.score.length !== n) {
    throw new Error('checkTable: columns of different lengths');
  }
  const seen = new Map<string, Set<number>>();
  let missingScores = 0;
  let unlabelled = 0;
  const concept = table.concept.slice();
  for (let i = 0; i < n; i++) {
    const layer = table.layer[i]!;
    let units = seen.get(layer);
    if (!units) seen.set(layer, (units = new Set()));
    const unit = table.unit[i]!;
    if (units.has(unit)) {
      throw new CliError(
        `${source}: duplicate row for layer '${layer}', unit ${unit} (row ${i + 1}; expected one concept per neuron)`,
      );
    }
    units.add(unit);
    if (Number.isNaN(table.score[i]!)) missingScores++;
    const c = concept[i];
    if (c === null || c === undefined || c.trim() === '') {
      concept[i] = null;
      unlabelled++;
    }
  }
  return { table: { ...table, concept }, missingScores, unlabelled };
}

/** The rows of `table` whose layer is in `layers`. */
export function selectLayers(table: ConceptTable, layers: Set<string>): ConceptTable {
  const keep: number[] = [];
  for (let i = 0; i < table.layer.length; i++) if (layers.has(table.layer[i]!)) keep.push(i);
  return {
    layer: keep.map((i) => table.layer[i]!),
    unit: Int32Array.from(keep, (i) => table.unit[i]!),
    concept: keep.map((i) => table.concept[i]!),
    score: Float64Array.from(keep, (i) => table.score[i]!),
  };
}

/** The same table with every concept passed through `map` (spellings not in it kept). */
export function mapConcepts(table: ConceptTable, map: Map<string, string>): ConceptTable {
  return { ...table, concept: table.concept.map((c) => (c === null ? null : (map.get(c) ?? c))) };
}

/** Distinct layers in order of first appearance. */
export function layersInOrder(table: ConceptTable): string[] {
  return [...new Set(table.layer)];
}

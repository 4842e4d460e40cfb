import { boxStats } from './quartiles.js';
import type { ConceptTable } from './table.js';

/**
 * The comparisons `venn` reports, as pure functions over two models' concept tables.
 * A concept set is the set of distinct (non-null) concepts of a model or of one layer.
 */

export interface SetComparison {
  shared: number;
  onlyA: number;
  onlyB: number;
  union: number;
  /** shared / union; null when both sets are empty (0 / 0). */
  jaccard: number | null;
}

/** Shared, only-A, only-B, union and Jaccard of two sets. */
/** A set, or a map taken as the set of its keys. */
export interface KeySet<T> {
  readonly size: number;
  has(key: T): boolean;
  keys(): Iterable<T>;
}

export function compareSets<T>(a: KeySet<T>, b: KeySet<T>): SetComparison {
  let shared = 0;
  for (const key of a.keys()) if (b.has(key)) shared++;
  const union = a.size + b.size - shared;
  return { shared, onlyA: a.size - shared, onlyB: b.size - shared, union, jaccard: union === 0 ? null : shared / union };
}

/** One layer of one model: its neurons, its concepts with neuron counts, its valid scores. */
export interface LayerIndex {
  neurons: number;
  concepts: Map<string, number>;
  scores: number[];
}

/** One model, indexed by layer and by concept. */
export interface ModelIndex {
  name: string;
  layers: Map<string, LayerIndex>;
  neurons: number;
  /** concept -> neurons and layers (in layer order). */
  concepts: Map<string, { neurons: number; layers: string[] }>;
}

export function indexModel(name: string, table: ConceptTable): ModelIndex {
  const layers = new Map<string, LayerIndex>();
  const concepts = new Map<string, { neurons: number; layers: string[] }>();
  const n = table.layer.length;
  for (let i = 0; i < n; i++) {
    const layerName = table.layer[i]!;
    let layer = layers.get(layerName);
    if (!layer) layers.set(layerName, (layer = { neurons: 0, concepts: new Map(), scores: [] }));
    layer.neurons++;
    const score = table.score[i]!;
    if (!Number.isNaN(score)) layer.scores.push(score);
    const concept = table.concept[i];
    if (concept === null || concept === undefined) continue;
    layer.concepts.set(concept, (layer.concepts.get(concept) ?? 0) + 1);
  }
  for (const [layerName, layer] of layers) {
    for (const [concept, count] of layer.concepts) {
      const entry = concepts.get(concept);
      if (entry) {
        entry.neurons += count;
        entry.layers.push(layerName);
      } else concepts.set(concept, { neurons: count, layers: [layerName] });
    }
  }
  return { name, layers, neurons: n, concepts };
}

/** Layers of A in order, then those only B has; or `order` when given. */
export function layerOrder(a: ModelIndex, b: ModelIndex, order?: string[]): string[] {
  return order ?? [...new Set([...a.layers.keys(), ...b.layers.keys()])];
}

export interface SummaryRow {
  model: string;
  /** null: all layers. */
  layer: string | null;
  neurons: number;
  concepts: number;
  /** Concepts of this model the other has not (in the same layer for a layer row). */
  only: number | null;
  shared: number | null;
  union: number | null;
  jaccard: number | null;
}

/**
 * `summary`: per model, distinct concepts overall and per layer, with shared, only-this,
 * union and Jaccard at that scope (null for a layer the other model lacks).
 */
export function summaryReport(a: ModelIndex, b: ModelIndex, order?: string[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const layers = layerOrder(a, b, order);
  const overall = compareSets(a.concepts, b.concepts);
  for (const [self, other, side] of [
    [a, b, 'A'],
    [b, a, 'B'],
  ] as const) {
    rows.push({
      model: self.name,
      layer: null,
      neurons: self.neurons,
      concepts: self.concepts.size,
      only: side === 'A' ? overall.onlyA : overall.onlyB,
      shared: overall.shared,
      union: overall.union,
      jaccard: overall.jaccard,
    });
    for (const layer of layers) {
      const mine = self.layers.get(layer);
      if (!mine) continue;
      const theirs = other.layers.get(layer);
      const cmp = theirs ? compareSets(mine.concepts, theirs.concepts) : undefined;
      rows.push({
        model: self.name,
        layer,
        neurons: mine.neurons,
        concepts: mine.concepts.size,
        only: cmp ? (side === 'A' ? cmp.onlyA : cmp.onlyB) : null,
        shared: cmp?.shared ?? null,
        union: cmp?.union ?? null,
        jaccard: cmp ? cmp.jaccard : null,
      });
    }
  }
  return rows;
}

export interface PerLayerRow {
  layer: string;
  a_neurons: number | null;
  b_neurons: number | null;
  a_concepts: number | null;
  b_concepts: number | null;
  shared: number | null;
  only_a: number | null;
  only_b: number | null;
  union: number | null;
  jaccard: number | null;
}

/**
 * `per-layer`: the comparison layer by layer. A layer present in only one model is kept,
 * with nulls for the other side and for the comparison.
 */
export function perLayerReport(a: ModelIndex, b: ModelIndex, order?: string[]): PerLayerRow[] {
  return layerOrder(a, b, order).map((layer) => {
    const la = a.layers.get(layer);
    const lb = b.layers.get(layer);
    const cmp = la && lb ? compareSets(la.concepts, lb.concepts) : undefined;
    return {
      layer,
      a_neurons: la?.neurons ?? null,
      b_neurons: lb?.neurons ?? null,
      a_concepts: la?.concepts.size ?? null,
      b_concepts: lb?.concepts.size ?? null,
      shared: cmp?.shared ?? null,
      only_a: cmp?.onlyA ?? null,
      only_b: cmp?.onlyB ?? null,
      union: cmp?.union ?? null,
      jaccard: cmp ? cmp.jaccard : null,
    };
  });
}

export interface ConceptRow {
  concept: string;
  /** 'both', 'a' or 'b': which model has it. */
  in: 'both' | 'a' | 'b';
  a_neurons: number;
  b_neurons: number;
  /** Comma-separated layers, in layer order; '' when the model lacks the concept. */
  a_layers: string;
  b_layers: string;
}

function byCodePoint(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `concepts`: one row per concept of either model, alphabetical. */
export function conceptsReport(a: ModelIndex, b: ModelIndex): ConceptRow[] {
  const names = [...new Set([...a.concepts.keys(), ...b.concepts.keys()])].sort(byCodePoint);
  return names.map((concept) => {
    const ca = a.concepts.get(concept);
    const cb = b.concepts.get(concept);
    return {
      concept,
      in: ca && cb ? 'both' : ca ? 'a' : 'b',
      a_neurons: ca?.neurons ?? 0,
      b_neurons: cb?.neurons ?? 0,
      a_layers: ca?.layers.join(',') ?? '',
      b_layers: cb?.layers.join(',') ?? '',
    };
  });
}

export interface TopRow {
  model: string;
  rank: number;
  concept: string;
  neurons: number;
  /** neurons / all the model's neurons (in the selected layers). */
  fraction: number;
}

/** The `n` concepts with most neurons of one model; ties alphabetical. */
export function topConcepts(model: ModelIndex, n: number): TopRow[] {
  const entries = [...model.concepts].sort((x, y) => y[1].neurons - x[1].neurons || byCodePoint(x[0], y[0]));
  return entries.slice(0, n).map(([concept, { neurons }], i) => ({
    model: model.name,
    rank: i + 1,
    concept,
    neurons,
    fraction: neurons / model.neurons,
  }));
}

/** `top`: the top-`n` of A, then of B. */
export function topReport(a: ModelIndex, b: ModelIndex, n: number): TopRow[] {
  return [...topConcepts(a, n), ...topConcepts(b, n)];
}

export interface ScoreRow {
  model: string;
  layer: string;
  /** Neurons with a score (missing scores excluded). */
  count: number;
  mean: number | null;
  min: number | null;
  q1: number | null;
  median: number | null;
  q3: number | null;
  max: number | null;
}

/** `scores`: per model and layer, the score's count, mean, min, quartiles and max. */
export function scoresReport(a: ModelIndex, b: ModelIndex, order?: string[]): ScoreRow[] {
  const layers = layerOrder(a, b, order);
  const rows: ScoreRow[] = [];
  for (const model of [a, b]) {
    for (const layer of layers) {
      const index = model.layers.get(layer);
      if (!index) continue;
      const stats = boxStats(index.scores);
      rows.push({
        model: model.name,
        layer,
        count: index.scores.length,
        mean: stats?.mean ?? null,
        min: stats?.min ?? null,
        q1: stats?.q1 ?? null,
        median: stats?.median ?? null,
        q3: stats?.q3 ?? null,
        max: stats?.max ?? null,
      });
    }
  }
  return rows;
}

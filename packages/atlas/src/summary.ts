import type { Layer, Neuron } from './data.js';

/** What a neuron is labelled with: the concepts table's label, else its dominant class. */
export interface ConceptLabel {
  name: string;
  /** The concept's score, or the dominant class's share of the top images. */
  score: number;
  source: 'concepts' | 'cof';
}

/** The class most of a neuron's top images belong to, with its share (ties: lower class index). */
export function dominantClass(counts: ArrayLike<number>, classes: string[]): ConceptLabel | undefined {
  let best = -1;
  let total = 0;
  for (let k = 0; k < counts.length; k++) {
    total += counts[k]!;
    if (best < 0 || counts[k]! > counts[best]!) best = k;
  }
  if (best < 0 || total === 0) return undefined;
  return { name: classes[best] ?? `class ${best}`, score: counts[best]! / total, source: 'cof' };
}

export function conceptOf(neuron: Neuron, classes: string[]): ConceptLabel | undefined {
  if (neuron.concept) return { ...neuron.concept, source: 'concepts' };
  return neuron.counts ? dominantClass(neuron.counts, classes) : undefined;
}

/** The `count` neurons most similar to `neuron` by Pearson, excluding itself (ties: lower number). */
export function mostSimilar(neuron: Neuron, layer: Layer, count: number): { neuron: number; pearson: number }[] {
  const row = neuron.similarity;
  const order = layer.similarityOrder;
  if (!row || !order) return [];
  return order
    .map((other, j) => ({ neuron: other, pearson: row[j]! }))
    .filter((e) => e.neuron !== neuron.neuron && Number.isFinite(e.pearson))
    .sort((a, b) => b.pearson - a.pearson || a.neuron - b.neuron)
    .slice(0, count);
}

export interface LayerSummary {
  neurons: number;
  sf: number;
  mf: number;
  /** Mean off-diagonal Pearson similarity of CoF rows (as `similarity --summary`). */
  meanPearson?: number;
  /** Concept labels by how many neurons carry them, most first (ties: by name). */
  concepts: { name: string; neurons: number }[];
}

export function summarizeLayer(layer: Layer, classes: string[]): LayerSummary {
  let sf = 0;
  let mf = 0;
  const concepts = new Map<string, number>();
  for (const n of layer.neurons) {
    if (n.stats?.facet === 'SF') sf++;
    else if (n.stats?.facet === 'MF') mf++;
    const label = conceptOf(n, classes);
    if (label) concepts.set(label.name, (concepts.get(label.name) ?? 0) + 1);
  }
  let sum = 0;
  let pairs = 0;
  if (layer.similarityOrder) {
    const byNumber = new Map(layer.neurons.map((n) => [n.neuron, n]));
    layer.similarityOrder.forEach((number, i) => {
      const row = byNumber.get(number)?.similarity;
      if (!row) return;
      for (let j = 0; j < row.length; j++) {
        if (j !== i && Number.isFinite(row[j]!)) {
          sum += row[j]!;
          pairs++;
        }
      }
    });
  }
  return {
    neurons: layer.neurons.length,
    sf,
    mf,
    meanPearson: pairs > 0 ? sum / pairs : undefined,
    concepts: [...concepts].map(([name, neurons]) => ({ name, neurons })).sort((a, b) => b.neurons - a.neurons || a.name.localeCompare(b.name)),
  };
}

/**
 * The neuron-by-class co-occurrence (CoF) matrix: for each (layer, neuron), how many of
 * its top-k images belong to each class.
 */

export interface CofRow {
  layer: string;
  neuron: number;
  /** One count per class. */
  counts: Int32Array;
  /** Top-k rows of the neuron, including those whose class is unknown. */
  total: number;
}

/** Accumulates topk rows into CoF rows; memory is O(layers x neurons x classes). */
export class CofCounter {
  private readonly layers = new Map<string, Map<number, CofRow>>();
  /** Rows whose class could not be resolved (counted in `total` only). */
  unknown = 0;

  constructor(readonly classes: number) {}

  /** Adds one topk row; `cls` is the class index, or -1 when unknown. */
  add(layer: string, neuron: number, cls: number): void {
    let neurons = this.layers.get(layer);
    if (!neurons) {
      neurons = new Map();
      this.layers.set(layer, neurons);
    }
    let row = neurons.get(neuron);
    if (!row) {
      row = { layer, neuron, counts: new Int32Array(this.classes), total: 0 };
      neurons.set(neuron, row);
    }
    row.total++;
    if (cls >= 0) row.counts[cls]!++;
    else this.unknown++;
  }

  /** Rows by layer (first appearance, or `order` when given), then neuron ascending. */
  rows(order: string[] = []): CofRow[] {
    const rankOf = (name: string) => {
      const i = order.indexOf(name);
      return i < 0 ? order.length : i;
    };
    const names = [...this.layers.keys()].map((name, i) => ({ name, i }));
    names.sort((a, b) => rankOf(a.name) - rankOf(b.name) || a.i - b.i);
    const out: CofRow[] = [];
    for (const { name } of names) {
      const neurons = this.layers.get(name)!;
      const ids = [...neurons.keys()].sort((a, b) => a - b);
      for (const id of ids) out.push(neurons.get(id)!);
    }
    return out;
  }
}

/**
 * The dominant class of a CoF row and its share of the top-k (`count / total`); ties go to
 * the first class. `index` is -1 (and `share` 0) when no image had a known class.
 */
export function dominantClass(counts: Int32Array, total: number): { index: number; share: number } {
  let index = -1;
  let best = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i]! > best) {
      best = counts[i]!;
      index = i;
    }
  }
  return { index, share: index < 0 || total === 0 ? 0 : best / total };
}

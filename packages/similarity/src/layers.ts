import type { CofRows } from '@cnnpipe/core';

/** One layer's CoF rows: its neurons ascending, their counts as an n x classes float matrix. */
export interface LayerCounts {
  name: string;
  neurons: Int32Array;
  /** n x classes, row-major. */
  counts: Float64Array;
}

/** CoF rows grouped by layer (order of first appearance), neurons ascending. */
export function groupByLayer(cof: CofRows): LayerCounts[] {
  const { classes } = cof;
  const layers = new Map<string, number[]>();
  cof.layer.forEach((name, r) => {
    let rows = layers.get(name);
    if (!rows) layers.set(name, (rows = []));
    rows.push(r);
  });
  return [...layers].map(([name, rows]) => {
    rows.sort((a, b) => cof.neuron[a]! - cof.neuron[b]!);
    const counts = new Float64Array(rows.length * classes);
    rows.forEach((r, i) => {
      for (let c = 0; c < classes; c++) counts[i * classes + c] = cof.counts[r * classes + c]!;
    });
    return { name, neurons: Int32Array.from(rows, (r) => cof.neuron[r]!), counts };
  });
}

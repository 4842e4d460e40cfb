import type { TopkRows } from '@cnnpipe/core';
import type { LayerState } from './select.js';

/** The output rows of one layer: neuron, then rank (1 = strongest). */
export function layerRows(state: LayerState, withArgmax: boolean): TopkRows {
  const heaps = state.heaps;
  let total = 0;
  for (let n = 0; n < heaps.neurons; n++) total += heaps.count(n);
  const neuron = new Int32Array(total);
  const rank = new Int32Array(total);
  const label = new Int32Array(total);
  const value = new Float32Array(total);
  const argmax = new Int32Array(total);
  const image: (string | null)[] = new Array<string | null>(total);
  const cls: (string | null)[] = new Array<string | null>(total);
  const labelNull = new Uint8Array(total);
  let at = 0;
  for (let n = 0; n < heaps.neurons; n++) {
    const entries = heaps.sorted(n);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      neuron[at] = n;
      rank[at] = i + 1;
      value[at] = e.value;
      argmax[at] = e.extra;
      image[at] = e.payload.image;
      cls[at] = e.payload.cls;
      if (e.payload.label === null) labelNull[at] = 1;
      else label[at] = e.payload.label;
      at++;
    }
  }
  return {
    layer: new Array<string>(total).fill(state.name),
    neuron,
    rank,
    image,
    label: { values: label, isNull: (i) => labelNull[i] === 1 },
    class: cls,
    value,
    ...(withArgmax ? { argmax: { values: argmax, isNull: (i) => argmax[i]! < 0 } } : {}),
  };
}

// Feature visualisation vs dataset: per unit, the rendered image's `value` over the value of
// the channel's best dataset image (`extract | topk -k 1`).
import { tableFromIPC } from 'apache-arrow';

export interface UnitComparison {
  neuron: number;
  dream: number;
  dataset: number;
}

export function compareWithTopk(visualizations: Uint8Array, topk: Uint8Array): { units: UnitComparison[]; fraction: number; medianRatio: number } {
  const vis = tableFromIPC(visualizations);
  const top = tableFromIPC(topk);
  const best = new Map<number, number>();
  for (let r = 0; r < top.numRows; r++) {
    if (top.getChild('rank')!.get(r) === 1) best.set(top.getChild('neuron')!.get(r) as number, top.getChild('value')!.get(r) as number);
  }
  const units: UnitComparison[] = [];
  for (let r = 0; r < vis.numRows; r++) {
    const neuron = vis.getChild('neuron')!.get(r) as number;
    units.push({ neuron, dream: vis.getChild('value')!.get(r) as number, dataset: best.get(neuron) ?? NaN });
  }
  const ratios = units.map((u) => u.dream / u.dataset).sort((a, b) => a - b);
  const mid = ratios.length >> 1;
  const medianRatio = ratios.length % 2 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
  return { units, fraction: units.filter((u) => u.dream > u.dataset).length / units.length, medianRatio };
}

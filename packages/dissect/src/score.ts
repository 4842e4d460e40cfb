import type { LayerTally } from './tally.js';

/** What Network Dissection says about one unit. */
export interface UnitLabel {
  unit: number;
  /** Best label number per category (-1 when no label of the category overlaps at all) and its IoU. */
  labels: Int32Array;
  ious: Float64Array;
  /** The category with the highest best IoU (ties: the earlier category). */
  category: number;
  label: number;
  iou: number;
}

/**
 * IoU[k, l] = inter / (act[k, primary(l)] + G[l] - inter + 1e-10) (NetDissect-Lite's tally),
 * the best label of each category (ties: the lower label number) and overall.
 */
export function labelUnits(tally: LayerTally, truth: Float64Array, primary: Int32Array): UnitLabel[] {
  const { units, labels: L, categories: C } = tally;
  const out: UnitLabel[] = [];
  for (let k = 0; k < units; k++) {
    const labels = new Int32Array(C).fill(-1);
    const ious = new Float64Array(C);
    for (let l = 1; l < L; l++) {
      const c = primary[l]!;
      if (c < 0) continue;
      const inter = tally.inter[k * L + l]!;
      const iou = inter / (tally.act[k * C + c]! + truth[l]! - inter + 1e-10);
      if (iou > ious[c]!) {
        ious[c] = iou;
        labels[c] = l;
      }
    }
    let category = 0;
    for (let c = 1; c < C; c++) if (ious[c]! > ious[category]!) category = c;
    out.push({ unit: k, labels, ious, category, label: labels[category]!, iou: ious[category]! });
  }
  return out;
}

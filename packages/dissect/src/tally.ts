import { axisWeights, interpolateRows, type Axis } from './upsample.js';

/**
 * Network Dissection's sums for one layer, as NetDissect-Lite's tally_job accumulates them
 * (all integer pixel counts, held in float64: exact below 2^53, so shards add exactly):
 *   inter[k, l] pixels of label l under A_k = upsample(map_k) > T_k (an image-level label
 *               adds |A_k|);
 *   act[k, c]   |A_k| summed over the images where A_k touches a label of primary category c
 *               (or the image has an image-level label of category c).
 * The labels' pixel totals G[l] do not depend on the layer and are in `truthOf`.
 */
export interface LayerTally {
  units: number;
  labels: number;
  categories: number;
  inter: Float64Array;
  act: Float64Array;
}

export function emptyTally(units: number, labels: number, categories: number): LayerTally {
  return { units, labels, categories, inter: new Float64Array(units * labels), act: new Float64Array(units * categories) };
}

/** Adds `from` into `into` (shard merging). */
export function addTally(into: LayerTally, from: LayerTally): void {
  for (let i = 0; i < into.inter.length; i++) into.inter[i]! += from.inter[i]!;
  for (let i = 0; i < into.act.length; i++) into.act[i]! += from.act[i]!;
}

/** G[l] += the image's pixels of label l (planes), plus sh*sw per image-level label. */
export function addTruth(truth: Float64Array, planes: Int32Array, scalars: readonly number[], area: number): void {
  for (let p = 0; p < planes.length; p++) {
    const l = planes[p]!;
    if (l > 0) truth[l]! += 1;
  }
  for (const s of scalars) truth[s]! += area;
}

/** Scratch memory and interpolation weights for one (map size, mask size) pair. */
export class TallyKernel {
  private readonly ay: Axis;
  private readonly ax: Axis;
  private readonly rows: Float64Array;
  private readonly touched: Int32Array;
  private stamp = 0;

  constructor(
    readonly h: number,
    readonly w: number,
    readonly sh: number,
    readonly sw: number,
    categories: number,
  ) {
    this.ay = axisWeights(h, sh);
    this.ax = axisWeights(w, sw);
    this.rows = new Float64Array(h * sw);
    this.touched = new Int32Array(categories + 1);
  }

  /**
   * One image of one layer: maps = [units, h, w] at `offset`; planes = the image's label
   * planes (count x sh x sw); primary[l] = category index of label l or -1.
   */
  addImage(
    tally: LayerTally,
    maps: Float32Array,
    offset: number,
    thresholds: Float64Array,
    planes: Int32Array,
    planeCount: number,
    scalars: readonly number[],
    primary: Int32Array,
  ): void {
    const { h, w, sh, sw, ay, ax, rows, touched } = this;
    const hw = h * w;
    const area = sh * sw;
    const L = tally.labels;
    const C = tally.categories;
    for (let k = 0; k < tally.units; k++) {
      const t = thresholds[k]!;
      const base = offset + k * hw;
      // Bilinear values are convex combinations: none exceeds the map's maximum.
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < hw; j++) if (maps[base + j]! > max) max = maps[base + j]!;
      if (!(max > t)) continue;
      interpolateRows(maps, base, h, w, ax, rows);
      if (this.stamp === 0x3fffffff) {
        touched.fill(0);
        this.stamp = 0;
      }
      const stamp = ++this.stamp;
      const interRow = k * L;
      let count = 0;
      for (let y = 0; y < sh; y++) {
        const r0 = ay.i0[y]! * sw;
        const r1 = ay.i1[y]! * sw;
        const wy0 = ay.w0[y]!;
        const wy1 = ay.w1[y]!;
        for (let x = 0; x < sw; x++) {
          if (!(wy0 * rows[r0 + x]! + wy1 * rows[r1 + x]! > t)) continue;
          count++;
          const p = y * sw + x;
          for (let plane = 0; plane < planeCount; plane++) {
            const l = planes[plane * area + p]!;
            if (l > 0) {
              tally.inter[interRow + l]! += 1;
              touched[primary[l]! + 1] = stamp;
            }
          }
        }
      }
      if (count === 0) continue;
      for (const s of scalars) {
        tally.inter[interRow + s]! += count;
        touched[primary[s]! + 1] = stamp;
      }
      for (let c = 0; c < C; c++) if (touched[c + 1] === stamp) tally.act[k * C + c]! += count;
    }
  }
}

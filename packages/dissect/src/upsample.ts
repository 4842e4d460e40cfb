/**
 * Bilinear upsampling with torch's align_corners=False semantics (half-pixel centres: source
 * = (dst + 0.5) * in / out - 0.5, clamped at 0; the upper neighbour clamps at the edge), the
 * interpolation NetDissect's masks come from. Computed in float64, separably: each source
 * row is interpolated along x once (h x sw products), then rows are blended along y while
 * thresholding, so no upsampled map is stored.
 */
export interface Axis {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float64Array;
  w1: Float64Array;
}

export function axisWeights(inSize: number, outSize: number): Axis {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float64Array(outSize);
  const w1 = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    const src = Math.max((d + 0.5) * scale - 0.5, 0);
    const lo = Math.floor(src);
    i0[d] = lo;
    i1[d] = lo < inSize - 1 ? lo + 1 : lo;
    w1[d] = src - lo;
    w0[d] = 1 - w1[d]!;
  }
  return { i0, i1, w0, w1 };
}

/** rows[y * outW + x] = map row y interpolated along x (the first half of the separable upsample). */
export function interpolateRows(map: Float32Array, offset: number, h: number, w: number, ax: Axis, rows: Float64Array): void {
  const outW = ax.i0.length;
  for (let y = 0; y < h; y++) {
    const row = offset + y * w;
    const out = y * outW;
    for (let x = 0; x < outW; x++) rows[out + x] = ax.w0[x]! * map[row + ax.i0[x]!]! + ax.w1[x]! * map[row + ax.i1[x]!]!;
  }
}

/** The full upsampled map (for tests and the atlas's masks). */
export function upsample(map: Float32Array, h: number, w: number, outH: number, outW: number): Float64Array {
  const ay = axisWeights(h, outH);
  const ax = axisWeights(w, outW);
  const rows = new Float64Array(h * outW);
  interpolateRows(map, 0, h, w, ax, rows);
  const out = new Float64Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const r0 = ay.i0[y]! * outW;
    const r1 = ay.i1[y]! * outW;
    for (let x = 0; x < outW; x++) out[y * outW + x] = ay.w0[y]! * rows[r0 + x]! + ay.w1[y]! * rows[r1 + x]!;
  }
  return out;
}

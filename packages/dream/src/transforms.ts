// Lucent's transforms (lucent/optvis/transform.py), each with its adjoint so the chain rule
// from d objective / d(model input) back to the image runs in JavaScript:
//   standard_transforms = [pad(12, constant 0.5), jitter(8), random_scale(0.90..1.10, 11 steps),
//                          random_rotate(-10..10 deg, 0 weighted 6/26), jitter(4)]
// then, as Lucent's render_vis appends, a bilinear resize to the size the network takes
// (here extract's geometry: shorter side to `resize`, centre crop `size`) and the model's
// normalisation. One random draw per step serves the whole batch, as in Lucent.
import { centerCropOffset } from '@cnnpipe/core';
import { choice, type Rng } from './random.js';

/** A batch of images, (B, C, H, W) float32. */
export interface Batch {
  data: Float32Array;
  batch: number;
  channels: number;
  height: number;
  width: number;
}

/** One linear (affine) step with its adjoint. */
export interface Op {
  readonly name: string;
  forward(x: Batch): Batch;
  /** The vector-Jacobian product: d/d(input) from d/d(output). */
  backward(g: Batch): Batch;
}

function alloc(like: Batch, height: number, width: number, fill = 0): Batch {
  const data = new Float32Array(like.batch * like.channels * height * width);
  if (fill !== 0) data.fill(fill);
  return { data, batch: like.batch, channels: like.channels, height, width };
}

/**
 * Constant padding by (top, bottom, left, right); negative amounts crop. The constant does
 * not depend on the input, so the adjoint is the crop (or pad) back.
 */
export class PadOp implements Op {
  readonly name = 'pad';
  constructor(
    readonly top: number,
    readonly bottom: number,
    readonly left: number,
    readonly right: number,
    readonly value = 0,
  ) {}

  private static shift(x: Batch, out: Batch, top: number, left: number): void {
    const planes = x.batch * x.channels;
    for (let q = 0; q < planes; q++) {
      for (let y = 0; y < out.height; y++) {
        const sy = y - top;
        if (sy < 0 || sy >= x.height) continue;
        const srcRow = (q * x.height + sy) * x.width;
        const dstRow = (q * out.height + y) * out.width;
        const x0 = Math.max(0, left);
        const x1 = Math.min(out.width, x.width + left);
        for (let xx = x0; xx < x1; xx++) out.data[dstRow + xx] = x.data[srcRow + xx - left]!;
      }
    }
  }

  forward(x: Batch): Batch {
    const out = alloc(x, x.height + this.top + this.bottom, x.width + this.left + this.right, this.value);
    PadOp.shift(x, out, this.top, this.left);
    return out;
  }

  backward(g: Batch): Batch {
    const out = alloc(g, g.height - this.top - this.bottom, g.width - this.left - this.right);
    PadOp.shift(g, out, -this.top, -this.left);
    return out;
  }
}

/**
 * kornia translate by whole pixels (Lucent's jitter): content moves by (+dx, +dy), the
 * uncovered border is zero, what leaves the frame is lost.
 */
export class TranslateOp implements Op {
  readonly name = 'jitter';
  constructor(
    readonly dx: number,
    readonly dy: number,
  ) {}

  private static move(x: Batch, dx: number, dy: number): Batch {
    const out = alloc(x, x.height, x.width);
    const planes = x.batch * x.channels;
    for (let q = 0; q < planes; q++) {
      for (let y = Math.max(0, dy); y < Math.min(x.height, x.height + dy); y++) {
        const src = (q * x.height + y - dy) * x.width;
        const dst = (q * x.height + y) * x.width;
        for (let xx = Math.max(0, dx); xx < Math.min(x.width, x.width + dx); xx++) out.data[dst + xx] = x.data[src + xx - dx]!;
      }
    }
    return out;
  }

  forward(x: Batch): Batch {
    return TranslateOp.move(x, this.dx, this.dy);
  }

  backward(g: Batch): Batch {
    return TranslateOp.move(g, -this.dx, -this.dy);
  }
}

/** A 1-D resampling as a sparse matrix: output o = sum_t weight[t] * input[index[t]], t in [start[o], start[o+1]). */
export interface Resample1d {
  inSize: number;
  outSize: number;
  start: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

/** torch.nn.Upsample(mode='bilinear', align_corners=True) along one axis (Lucent's resampling). */
export function bilinearAlignCorners(inSize: number, outSize: number): Resample1d {
  const start = new Int32Array(outSize + 1);
  const index = new Int32Array(2 * outSize);
  const weight = new Float32Array(2 * outSize);
  const ratio = outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  for (let o = 0; o < outSize; o++) {
    // torch computes the source coordinate in float32: ratio * o.
    const src = Math.fround(Math.fround(ratio) * o);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const w1 = Math.fround(src - i0);
    start[o] = 2 * o;
    index[2 * o] = i0;
    weight[2 * o] = 1 - w1;
    index[2 * o + 1] = i1;
    weight[2 * o + 1] = w1;
  }
  start[outSize] = 2 * outSize;
  return { inSize, outSize, start, index, weight };
}

/**
 * An antialiased (triangle filter widened by the reduction factor) downsampling, as PIL and
 * torch's antialias=True do: the final resize to a small network input averages what it
 * drops, like the resize `extract` applies to the saved image, instead of sampling four pixels.
 */
export function triangleDownsample(inSize: number, outSize: number): Resample1d {
  const scale = inSize / outSize;
  const support = scale;
  const starts: number[] = [0];
  const idx: number[] = [];
  const wts: number[] = [];
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(inSize, Math.ceil(centre + support));
    let total = 0;
    const from = idx.length;
    for (let i = lo; i < hi; i++) {
      const w = Math.max(0, 1 - Math.abs((i + 0.5 - centre) / scale));
      if (w <= 0) continue;
      idx.push(i);
      wts.push(w);
      total += w;
    }
    for (let t = from; t < wts.length; t++) wts[t] = wts[t]! / total;
    starts.push(idx.length);
  }
  return { inSize, outSize, start: Int32Array.from(starts), index: Int32Array.from(idx), weight: Float32Array.from(wts) };
}

/** The resampling the final resize uses: Lucent's bilinear upsampling, an averaging one when shrinking. */
export function resizeAxis(inSize: number, outSize: number): Resample1d {
  return outSize >= inSize ? bilinearAlignCorners(inSize, outSize) : triangleDownsample(inSize, outSize);
}

/** A separable resampling: rows (H) by `ry`, columns (W) by `rx`. */
export class ResampleOp implements Op {
  readonly name = 'resample';
  constructor(
    readonly ry: Resample1d,
    readonly rx: Resample1d,
  ) {}

  forward(x: Batch): Batch {
    const { ry, rx } = this;
    const planes = x.batch * x.channels;
    const W = rx.outSize;
    const mid = new Float32Array(planes * x.height * W);
    resampleRows(x.data, mid, planes * x.height, x.width, rx);
    const out = alloc(x, ry.outSize, W);
    resampleColumns(mid, out.data, planes, x.height, W, ry);
    return out;
  }

  backward(g: Batch): Batch {
    const { ry, rx } = this;
    const planes = g.batch * g.channels;
    const W = rx.outSize;
    const mid = new Float32Array(planes * ry.inSize * W);
    resampleColumnsAdjoint(g.data, mid, planes, ry.inSize, W, ry);
    const out = alloc(g, ry.inSize, rx.inSize);
    resampleRowsAdjoint(mid, out.data, planes * ry.inSize, rx.inSize, rx);
    return out;
  }
}

// The resampling kernels, free functions over typed arrays so that V8 keeps them monomorphic.
function resampleRows(src: Float32Array, dst: Float32Array, rows: number, inWidth: number, r: Resample1d): void {
  const { start, index, weight, outSize } = r;
  for (let row = 0; row < rows; row++) {
    const s0 = row * inWidth;
    const d0 = row * outSize;
    for (let o = 0; o < outSize; o++) {
      let acc = 0;
      const end = start[o + 1]!;
      for (let t = start[o]!; t < end; t++) acc += weight[t]! * src[s0 + index[t]!]!;
      dst[d0 + o] = acc;
    }
  }
}

function resampleRowsAdjoint(src: Float32Array, dst: Float32Array, rows: number, inWidth: number, r: Resample1d): void {
  const { start, index, weight, outSize } = r;
  for (let row = 0; row < rows; row++) {
    const s0 = row * outSize;
    const d0 = row * inWidth;
    for (let o = 0; o < outSize; o++) {
      const v = src[s0 + o]!;
      const end = start[o + 1]!;
      for (let t = start[o]!; t < end; t++) dst[d0 + index[t]!] += weight[t]! * v;
    }
  }
}

function resampleColumns(src: Float32Array, dst: Float32Array, planes: number, inHeight: number, W: number, r: Resample1d): void {
  const { start, index, weight, outSize } = r;
  for (let q = 0; q < planes; q++) {
    for (let o = 0; o < outSize; o++) {
      const d0 = (q * outSize + o) * W;
      const end = start[o + 1]!;
      for (let t = start[o]!; t < end; t++) {
        const w = weight[t]!;
        const s0 = (q * inHeight + index[t]!) * W;
        for (let c = 0; c < W; c++) dst[d0 + c] += w * src[s0 + c]!;
      }
    }
  }
}

function resampleColumnsAdjoint(src: Float32Array, dst: Float32Array, planes: number, inHeight: number, W: number, r: Resample1d): void {
  const { start, index, weight, outSize } = r;
  for (let q = 0; q < planes; q++) {
    for (let o = 0; o < outSize; o++) {
      const s0 = (q * outSize + o) * W;
      const end = start[o + 1]!;
      for (let t = start[o]!; t < end; t++) {
        const w = weight[t]!;
        const d0 = (q * inHeight + index[t]!) * W;
        for (let c = 0; c < W; c++) dst[d0 + c] += w * src[s0 + c]!;
      }
    }
  }
}

/**
 * kornia's warp_affine(image, get_rotation_matrix2d(centre, angle, 1), dsize=(h, w)):
 * bilinear, zero padding, align_corners=True, centre ((w-1)/2, (h-1)/2); a positive angle
 * turns the content counter-clockwise as displayed. Each output pixel reads four inputs.
 */
interface RotationTable {
  index: Int32Array;
  weight: Float32Array;
}

// Lucent draws from 21 angles and a handful of sizes: each table is built once.
const rotationTables = new Map<string, RotationTable>();

export class RotateOp implements Op {
  readonly name = 'rotate';

  constructor(readonly degrees: number) {}

  private sampling(height: number, width: number): RotationTable {
    const key = `${this.degrees}:${height}:${width}`;
    const cached = rotationTables.get(key);
    if (cached) return cached;
    const theta = (this.degrees * Math.PI) / 180;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const cx = (width - 1) / 2;
    const cy = (height - 1) / 2;
    const n = height * width;
    const index = new Int32Array(4 * n).fill(-1);
    const weight = new Float32Array(4 * n);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // The inverse of M = [[cos, sin, .], [-sin, cos, .]] about the centre.
        const sx = cos * (x - cx) - sin * (y - cy) + cx;
        const sy = sin * (x - cx) + cos * (y - cy) + cy;
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        const p = 4 * (y * width + x);
        const corners: [number, number, number][] = [
          [x0, y0, (1 - fx) * (1 - fy)],
          [x0 + 1, y0, fx * (1 - fy)],
          [x0, y0 + 1, (1 - fx) * fy],
          [x0 + 1, y0 + 1, fx * fy],
        ];
        for (let k = 0; k < 4; k++) {
          const [xx, yy, w] = corners[k]!;
          if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
          index[p + k] = yy * width + xx;
          weight[p + k] = w;
        }
      }
    }
    const table = { index, weight };
    if (rotationTables.size > 256) rotationTables.clear();
    rotationTables.set(key, table);
    return table;
  }

  forward(x: Batch): Batch {
    const { index, weight } = this.sampling(x.height, x.width);
    const out = alloc(x, x.height, x.width);
    const n = x.height * x.width;
    const src = x.data;
    const dst = out.data;
    for (let q = 0; q < x.batch * x.channels; q++) {
      const base = q * n;
      for (let p = 0; p < n; p++) {
        let s = 0;
        for (let k = 4 * p; k < 4 * p + 4; k++) {
          const i = index[k]!;
          if (i >= 0) s += weight[k]! * src[base + i]!;
        }
        dst[base + p] = s;
      }
    }
    return out;
  }

  backward(g: Batch): Batch {
    const { index, weight } = this.sampling(g.height, g.width);
    const out = alloc(g, g.height, g.width);
    const n = g.height * g.width;
    const src = g.data;
    const dst = out.data;
    for (let q = 0; q < g.batch * g.channels; q++) {
      const base = q * n;
      for (let p = 0; p < n; p++) {
        const v = src[base + p]!;
        for (let k = 4 * p; k < 4 * p + 4; k++) {
          const i = index[k]!;
          if (i >= 0) dst[base + i] += weight[k]! * v;
        }
      }
    }
    return out;
  }
}

/** (x - mean[c]) / std[c]: the model's own preprocessing, as extract normalises. */
export class NormaliseOp implements Op {
  readonly name = 'normalise';
  constructor(
    readonly mean: number[],
    readonly std: number[],
  ) {}

  forward(x: Batch): Batch {
    const out = alloc(x, x.height, x.width);
    const plane = x.height * x.width;
    for (let q = 0; q < x.batch * x.channels; q++) {
      const c = q % x.channels;
      const m = this.mean[c]!;
      const s = this.std[c]!;
      for (let p = q * plane; p < (q + 1) * plane; p++) out.data[p] = (x.data[p]! - m) / s;
    }
    return out;
  }

  backward(g: Batch): Batch {
    const out = alloc(g, g.height, g.width);
    const plane = g.height * g.width;
    for (let q = 0; q < g.batch * g.channels; q++) {
      const s = this.std[q % g.channels]!;
      for (let p = q * plane; p < (q + 1) * plane; p++) out.data[p] = g.data[p]! / s;
    }
    return out;
  }
}

/** Lucent's random_scale scales: 1 + (i - 5) / 50 for i in 0..10. */
export const SCALES = Array.from({ length: 11 }, (_, i) => 1 + (i - 5) / 50);
/** Lucent's random_rotate angles: -10..10 degrees, then 0 five more times (0 has weight 6/26). */
export const ANGLES = [...Array.from({ length: 21 }, (_, i) => i - 10), 0, 0, 0, 0, 0];

/**
 * Lucent's random_scale as two ops: bilinear (align_corners) resize to ceil(scale * size),
 * then, when it shrank, zero padding [pad_y, pad_x] * 2 in F.pad's order (left, right,
 * top, bottom) — Lucent's argument order, kept as it is.
 */
export function scaleOps(scale: number, height: number, width: number): Op[] {
  const sh = Math.ceil(Math.fround(scale) * height);
  const sw = Math.ceil(Math.fround(scale) * width);
  const padX = Math.max(0, Math.ceil((width - sw) / 2));
  const padY = Math.max(0, Math.ceil((height - sh) / 2));
  const ops: Op[] = [new ResampleOp(bilinearAlignCorners(height, sh), bilinearAlignCorners(width, sw))];
  if (padX > 0 || padY > 0) ops.push(new PadOp(padY, padX, padY, padX, 0));
  return ops;
}

/** The random draws of one step (kept so tests and the PyTorch reference can replay them). */
export interface StepDraws {
  jitter1: [number, number];
  scale: number;
  angle: number;
  jitter2: [number, number];
}

export function drawStep(rng: Rng): StepDraws {
  const jitter1: [number, number] = [choice(rng, 8), choice(rng, 8)];
  const scale = SCALES[choice(rng, SCALES.length)]!;
  const angle = ANGLES[choice(rng, ANGLES.length)]!;
  const jitter2: [number, number] = [choice(rng, 4), choice(rng, 4)];
  return { jitter1, scale, angle, jitter2 };
}

export type TransformSet = 'standard' | 'none';

/** What the network takes: extract's geometry (resize the square to `resize`, crop `size`) and normalisation. */
export interface ModelView {
  resize: number;
  size: number;
  mean: number[];
  std: number[];
}

/**
 * A step's pipeline from the rendered image (B, C, S, S) to the network input
 * (B, C, size, size), as ops applied in order; `run` gives the input, `adjoint` the
 * gradient back on the rendered image.
 */
export class StepPipeline {
  readonly ops: Op[] = [];

  constructor(set: TransformSet, draws: StepDraws | undefined, renderSize: number, view: ModelView) {
    let size = renderSize;
    if (set === 'standard') {
      if (!draws) throw new Error('standard transforms need the step draws');
      this.ops.push(new PadOp(12, 12, 12, 12, 0.5));
      size += 24;
      this.ops.push(new TranslateOp(draws.jitter1[0], draws.jitter1[1]));
      const scaled = scaleOps(draws.scale, size, size);
      this.ops.push(...scaled);
      const last = scaled[scaled.length - 1]!;
      const first = scaled[0] as ResampleOp;
      size = first.ry.outSize + (last instanceof PadOp ? last.top + last.bottom : 0);
      this.ops.push(new RotateOp(draws.angle));
      this.ops.push(new TranslateOp(draws.jitter2[0], draws.jitter2[1]));
    }
    if (size !== view.resize) this.ops.push(new ResampleOp(resizeAxis(size, view.resize), resizeAxis(size, view.resize)));
    if (view.resize !== view.size) {
      const lo = centerCropOffset(view.resize, view.size);
      const hi = view.resize - view.size - lo;
      this.ops.push(new PadOp(-lo, -hi, -lo, -hi, 0));
    }
    this.ops.push(new NormaliseOp(view.mean, view.std));
  }

  run(x: Batch): Batch {
    let y = x;
    for (const op of this.ops) y = op.forward(y);
    return y;
  }

  adjoint(g: Batch): Batch {
    let y = g;
    for (let i = this.ops.length - 1; i >= 0; i--) y = this.ops[i]!.backward(y);
    return y;
  }
}

// Lucent's objectives (lucent/optvis/objectives.py), maximised here (Lucent minimises their
// negatives), each as its per-image value and its seed: d objective / d tap, the tensor the
// gradient graph takes in place of a loss (the gradient of <seed, tap> is that of the
// objective). Image b of a batch renders unit `channels[b]`; with a diversity weight W the
// batch's images share one unit and the objective is  sum_b value_b - W * S / B  with
// S = sum_{i != j} <G_i, G_j> over the Frobenius-normalised Gram matrices of the batch
// (Lucent: channel - W * diversity, diversity = -S / B).
import { channelMeanSeed, meanSquareSeed, neuronSeed } from '@cnnpipe/autodiff';
import { gemm, matrix } from '@cnnpipe/core';

export type ObjectiveKind = 'channel' | 'neuron' | 'deepdream';

export interface ObjectiveSpec {
  kind: ObjectiveKind;
  /** Per image, the channel it maximises (ignored by deepdream). */
  channels: number[];
  /** The diversity weight W (0: none). */
  diversity: number;
}

/** A tap's per-image shape, [C, H, W] (a [C] vector counts as H = W = 1). */
export function tapGeometry(tapShape: number[]): { C: number; H: number; W: number } {
  const [C = 1, H = 1, W = 1] = tapShape;
  return { C, H, W };
}

/** Per image: the channel's mean (channel), the centre position (neuron), mean of squares (deepdream). */
export function objectiveValues(spec: ObjectiveSpec, tap: Float32Array, batch: number, tapShape: number[]): Float64Array {
  const { C, H, W } = tapGeometry(tapShape);
  const per = C * H * W;
  const out = new Float64Array(batch);
  for (let b = 0; b < batch; b++) {
    const base = b * per;
    if (spec.kind === 'deepdream') {
      let s = 0;
      for (let i = base; i < base + per; i++) s += tap[i]! * tap[i]!;
      out[b] = s / per;
      continue;
    }
    const c = spec.channels[b]!;
    const plane = base + c * H * W;
    if (spec.kind === 'neuron') {
      // Lucent's _extract_act_pos: x = shape[2] // 2, y = shape[3] // 2 -> [.., x, y].
      out[b] = tap[plane + Math.floor(H / 2) * W + Math.floor(W / 2)]!;
    } else {
      let s = 0;
      for (let i = plane; i < plane + H * W; i++) s += tap[i]!;
      out[b] = s / (H * W);
    }
  }
  return out;
}

/** d(sum_b value_b) / d tap: autodiff's seeds (the centre is Lucent's position). */
export function objectiveSeed(spec: ObjectiveSpec, tap: Float32Array, batch: number, tapShape: number[]): Float32Array {
  const { H, W } = tapGeometry(tapShape);
  const channels = spec.channels.slice(0, batch);
  if (spec.kind === 'deepdream') return meanSquareSeed(tap, tapShape);
  if (spec.kind === 'neuron') return neuronSeed(tapShape, channels.map((channel) => ({ channel, y: Math.floor(H / 2), x: Math.floor(W / 2) })));
  return channelMeanSeed(tapShape, channels);
}

/** Whether the seed depends on the tap's value (then the tap is computed first). */
export function seedNeedsValues(spec: ObjectiveSpec): boolean {
  return spec.kind === 'deepdream' || spec.diversity !== 0;
}

/**
 * S = sum_{i != j} <G_i, G_j> over the normalised Gram matrices G_b = A_b A_b^T / ||A_b A_b^T||
 * (A_b: C x HW), and dS / d tap. The Gram products run in onnxruntime's Gemm (C x C x HW per
 * image: 4M multiply-adds for 256 x 8 x 8, 800M for 512 x 56 x 56).
 */
export async function diversityTerm(tap: Float32Array, batch: number, tapShape: number[]): Promise<{ value: number; grad: Float32Array }> {
  const { C, H, W } = tapGeometry(tapShape);
  const P = H * W;
  const per = C * P;
  const grams: Float32Array[] = [];
  const norms: number[] = [];
  for (let b = 0; b < batch; b++) {
    const A = matrix(tap.subarray(b * per, (b + 1) * per), C, P);
    const G = (await gemm(A, A, { transB: true })).data;
    let n = 0;
    for (const v of G) n += v * v;
    n = Math.max(Math.sqrt(n), 1e-12); // F.normalize's eps
    for (let i = 0; i < G.length; i++) G[i] = G[i]! / n;
    grams.push(G);
    norms.push(n);
  }
  const total = new Float64Array(C * C);
  for (const G of grams) for (let i = 0; i < G.length; i++) total[i] += G[i]!;
  let value = 0;
  for (const G of grams) for (let i = 0; i < G.length; i++) value += G[i]! * (total[i]! - G[i]!);
  const grad = new Float32Array(batch * per);
  for (let b = 0; b < batch; b++) {
    const G = grams[b]!;
    // dS/dGhat_b = 2 sum_{j != b} Ghat_j; through the normalisation: (D - Ghat <Ghat, D>) / n.
    const D = new Float32Array(C * C);
    let inner = 0;
    for (let i = 0; i < D.length; i++) {
      D[i] = 2 * (total[i]! - G[i]!);
      inner += D[i]! * G[i]!;
    }
    const n = norms[b]!;
    for (let i = 0; i < D.length; i++) D[i] = (D[i]! - G[i]! * inner) / n;
    // G = A A^T: dS/dA = (D + D^T) A.
    const S = new Float32Array(C * C);
    for (let i = 0; i < C; i++) for (let j = 0; j < C; j++) S[i * C + j] = D[i * C + j]! + D[j * C + i]!;
    const A = matrix(tap.subarray(b * per, (b + 1) * per), C, P);
    grad.set((await gemm(matrix(S, C, C), A)).data, b * per);
  }
  return { value, grad };
}

/** The full objective of a batch and its seed: sum_b value_b - W * S / B. */
export async function evaluateObjective(
  spec: ObjectiveSpec,
  tap: Float32Array,
  batch: number,
  tapShape: number[],
): Promise<{ values: Float64Array; total: number; seed: Float32Array }> {
  const values = objectiveValues(spec, tap, batch, tapShape);
  const seed = objectiveSeed(spec, tap, batch, tapShape);
  let total = values.reduce((a, b) => a + b, 0);
  if (spec.diversity !== 0) {
    const { value, grad } = await diversityTerm(tap, batch, tapShape);
    const w = spec.diversity / batch;
    total -= w * value;
    for (let i = 0; i < seed.length; i++) seed[i] = seed[i]! - w * grad[i]!;
  }
  return { values, total, seed };
}

/** The objective's name in the output table. */
export function objectiveName(spec: ObjectiveSpec): string {
  return spec.diversity !== 0 ? `${spec.kind}-diversity:${spec.diversity}` : spec.kind;
}

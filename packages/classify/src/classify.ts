import { gemm, matrix } from '@cnnpipe/core';
import type { Linear } from '@cnnpipe/core';

/** Logits X W' + b for rows x D features, through onnxruntime's Gemm in float64. */
export async function logitsOf(linear: Linear, x: ArrayLike<number>, rows: number): Promise<Float64Array> {
  const x64 = x instanceof Float64Array ? x : Float64Array.from(x);
  const y = (await gemm(matrix(x64, rows, linear.d), matrix(linear.weights, linear.k, linear.d), { transB: true })).data;
  for (let i = 0; i < rows; i++) {
    const o = i * linear.k;
    for (let j = 0; j < linear.k; j++) y[o + j]! += linear.bias[j]!;
  }
  return y;
}

export interface Scored {
  pred: Int32Array;
  /** 1 correct, 0 wrong, -1 unknown label. */
  top1: Int8Array;
  top5: Int8Array;
}

/**
 * Top-1 prediction and top-1/top-5 correctness per row. A label is in the top 5 when fewer
 * than 5 classes score strictly higher than it (ties count in its favour, as argmax does).
 */
export function score(logits: Float64Array, k: number, labels: ArrayLike<number>, valid: (i: number) => boolean): Scored {
  const rows = labels.length;
  const pred = new Int32Array(rows);
  const top1 = new Int8Array(rows);
  const top5 = new Int8Array(rows);
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    let best = 0;
    for (let j = 1; j < k; j++) if (logits[o + j]! > logits[o + best]!) best = j;
    pred[i] = best;
    if (!valid(i)) {
      top1[i] = -1;
      top5[i] = -1;
      continue;
    }
    const label = labels[i]!;
    if (label < 0 || label >= k) {
      top1[i] = 0;
      top5[i] = 0;
      continue;
    }
    top1[i] = best === label ? 1 : 0;
    const v = logits[o + label]!;
    let higher = 0;
    for (let j = 0; j < k; j++) if (logits[o + j]! > v || (logits[o + j]! === v && j < label)) higher++;
    top5[i] = higher < 5 ? 1 : 0;
  }
  return { pred, top1, top5 };
}

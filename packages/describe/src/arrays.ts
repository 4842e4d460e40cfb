import type { ort } from '@cnnpipe/core';
import { tensor, type Floats } from './graphs.js';
import type { DescribeOptions, Embeddings, LayerActivations } from './types.js';

/** Typed-array helpers shared by the similarity functions. */

/** Rows scaled to unit L2 norm, in float64 (a zero row becomes NaN, as in the original). */
export function normaliseRows(m: Embeddings): Float64Array {
  const out = new Float64Array(m.rows * m.dim);
  for (let r = 0; r < m.rows; r++) {
    const o = r * m.dim;
    let ss = 0;
    for (let j = 0; j < m.dim; j++) ss += m.values[o + j]! * m.values[o + j]!;
    const inv = 1 / Math.sqrt(ss);
    for (let j = 0; j < m.dim; j++) out[o + j] = m.values[o + j]! * inv;
  }
  return out;
}

/** neurons x images: each neuron's activations contiguous. */
export function byNeuron(layer: LayerActivations, n: number): Float64Array {
  const k = layer.neurons;
  const out = new Float64Array(k * n);
  for (let x = 0; x < n; x++) for (let j = 0; j < k; j++) out[j * n + x] = layer.values[x * k + j]!;
  return out;
}

export function blockSize(options: DescribeOptions, rows: number, concepts: number): number {
  if (options.block !== undefined) return Math.max(1, Math.min(options.block, concepts));
  const budget = options.blockElements ?? 1 << 22;
  return Math.max(1, Math.min(concepts, Math.max(16, Math.floor(budget / Math.max(1, rows)))));
}

/** Rows start..end of the (scaled) text embeddings as a tensor, without a copy. */
export function conceptBlock(t: Floats, dim: number, start: number, end: number): ort.Tensor {
  return tensor(t.subarray(start * dim, end * dim), [end - start, dim]);
}


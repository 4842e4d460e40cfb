import type { Precision } from './graphs.js';

/** The options and shapes of describe's computation. */

export const SIMILARITIES = ['soft-wpmi', 'wpmi', 'cos3'] as const;
export type Similarity = (typeof SIMILARITIES)[number];

export interface DescribeOptions {
  similarity: Similarity;
  /** Top images per neuron (soft-wpmi, wpmi). */
  topK: number;
  /** Softmax temperature multiplier a in softmax(a·P). */
  a: number;
  /** λ in log p(t|E_k) − λ·log p(t). */
  lambda: number;
  minProb: number;
  /** soft-wpmi's weights p_i = pStart − (i/topK)·(pStart − pEnd). */
  pStart: number;
  pEnd: number;
  /** cos3's floor on the norms. */
  minNorm: number;
  /** Runner-up concepts kept besides the best. */
  keep: number;
  /** Of the image x concept products (default float64; sums are float64 either way). */
  precision?: Precision;
  /** Concepts per block; default from `blockElements`. */
  block?: number;
  /** Bound on one block's rows x concepts (default 2^22 float64, 32 MiB). */
  blockElements?: number;
  /**
   * (soft-)wpmi: bytes of the first pass's softmax terms to keep for the second, which then
   * skips their product (default 0: every block recomputed; memory bounded by the blocks).
   */
  cacheBytes?: number;
  onBlock?: (concepts: number) => void;
}

/** Defaults of CLIP-Dissect's functions, per similarity. */
export const DEFAULTS: Record<Similarity, Pick<DescribeOptions, 'topK' | 'a' | 'lambda'>> = {
  'soft-wpmi': { topK: 100, a: 10, lambda: 1 },
  wpmi: { topK: 28, a: 2, lambda: 0.6 },
  cos3: { topK: 0, a: 1, lambda: 0 },
};

export interface Embeddings {
  /** rows x dim, row-major. */
  values: Float32Array | Float64Array;
  rows: number;
  dim: number;
}

export interface LayerActivations {
  name: string;
  /** images x neurons, row-major (a pooled activations column). */
  values: Float32Array | Float64Array;
  neurons: number;
}

export interface LayerDescription {
  name: string;
  neurons: number;
  /** neurons x (keep + 1) concept indices (−1: none), best first. */
  concept: Int32Array;
  score: Float64Array;
}


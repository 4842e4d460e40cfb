import type { ort } from '@cnnpipe/core';
import { BestConcepts } from './best-concepts.js';
import { cubedCosine, inPrecision, logSumExp, shiftedExp, softmaxRows, tensor, type Floats, type Precision } from './graphs.js';
import { logProbGivenNeuron, logProbPlan, logProbScratch } from './log-prob.js';
import { topImages } from './top-images.js';

/**
 * CLIP-Dissect's neuron descriptions (Oikarinen & Weng, ICLR 2023; similarity.py of
 * Trustworthy-ML-Lab/CLIP-dissect) over typed arrays, with the N x C image-concept matrix
 * P = Ê·T̂ᵀ never whole: concepts go in blocks, each block's P recomputed where a second
 * pass needs it (soft-wpmi's softmax needs every concept's term before any block's S).
 */

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
function byNeuron(layer: LayerActivations, n: number): Float64Array {
  const k = layer.neurons;
  const out = new Float64Array(k * n);
  for (let x = 0; x < n; x++) for (let j = 0; j < k; j++) out[j * n + x] = layer.values[x * k + j]!;
  return out;
}

function blockSize(options: DescribeOptions, rows: number, concepts: number): number {
  if (options.block !== undefined) return Math.max(1, Math.min(options.block, concepts));
  const budget = options.blockElements ?? 1 << 22;
  return Math.max(1, Math.min(concepts, Math.max(16, Math.floor(budget / Math.max(1, rows)))));
}

/**
 * The keep + 1 best concepts of every neuron of every layer. `images` and each layer's
 * activations are aligned by row (n images); `concepts` holds the text embeddings.
 */
export async function describeNeurons(
  images: Embeddings,
  concepts: Embeddings,
  layers: LayerActivations[],
  options: DescribeOptions,
): Promise<LayerDescription[]> {
  const n = images.rows;
  if (concepts.dim !== images.dim) throw new Error(`describeNeurons: image dim ${images.dim} vs text dim ${concepts.dim}`);
  const totalNeurons = layers.reduce((s, l) => s + l.neurons, 0);
  const best = new BestConcepts(totalNeurons, options.keep + 1);
  const e = normaliseRows(images);
  const t = normaliseRows(concepts);
  if (options.similarity === 'cos3') await cos3(e, n, t, concepts, layers, options, best);
  else await wpmi(e, n, t, concepts, layers, options, best);
  const out: LayerDescription[] = [];
  let first = 0;
  for (const layer of layers) {
    const size = best.size;
    out.push({
      name: layer.name,
      neurons: layer.neurons,
      concept: best.concept.slice(first * size, (first + layer.neurons) * size),
      score: best.score.slice(first * size, (first + layer.neurons) * size),
    });
    first += layer.neurons;
  }
  return out;
}

function conceptBlock(t: Floats, dim: number, start: number, end: number): ort.Tensor {
  return tensor(t.subarray(start * dim, end * dim), [end - start, dim]);
}

/** soft_wpmi and wpmi of similarity.py. */
async function wpmi(
  e: Float64Array,
  n: number,
  t: Float64Array,
  concepts: Embeddings,
  layers: LayerActivations[],
  options: DescribeOptions,
  best: BestConcepts,
): Promise<void> {
  const { minProb } = options;
  // Fewer images than --top-k: all of them, as CLIP-Dissect's code run with top_k = n.
  const top = Math.min(options.topK, n);
  const dim = concepts.dim;
  const c = concepts.rows;
  const neurons = best.neurons;
  // Each neuron's top images; only those images' rows of P are ever needed.
  const tops = new Int32Array(neurons * top);
  let at = 0;
  for (const layer of layers) {
    tops.set(topImages(byNeuron(layer, n), layer.neurons, n, top), at);
    at += layer.neurons * top;
  }
  const rowOf = new Int32Array(n).fill(-1);
  for (const x of tops) rowOf[x] = 0;
  let u = 0;
  for (let x = 0; x < n; x++) if (rowOf[x] === 0) rowOf[x] = u++;
  const eu = new Float64Array(u * dim);
  for (let x = 0; x < n; x++) if (rowOf[x]! >= 0) eu.set(e.subarray(x * dim, (x + 1) * dim), rowOf[x]! * dim);
  const rows = Int32Array.from(tops, (x) => rowOf[x]!);

  const weights =
    options.similarity === 'soft-wpmi'
      ? Float64Array.from({ length: top }, (_, i) => options.pStart - (i / top) * (options.pStart - options.pEnd))
      : null;
  const plan = logProbPlan(rows, neurons, top, u, weights, minProb);

  const precision = options.precision ?? 'float64';
  const eTensor = tensor(inPrecision(eu, precision), [u, dim]);
  // a·P = Ê·(aT̂)ᵀ: the factor goes into the text side once, not over every block's product.
  for (let i = 0; i < t.length; i++) t[i]! *= options.a;
  const ta = inPrecision(t, precision);
  const b = blockSize(options, Math.max(u, neurons), c);

  // Pass 1: softmax's normaliser over all concepts, per image. With a cache, as the row sums
  // of exp(a·P − |a|) (every term in [e^(−2|a|), 1] since |P| ≤ 1: no overflow, and no
  // underflow while 2|a| stays inside the precision's range), whose blocks are kept.
  const lse = new Float64Array(u).fill(Number.NEGATIVE_INFINITY);
  const bytes = precision === 'float32' ? 4 : 8;
  const shift = Math.abs(options.a);
  const caching = (options.cacheBytes ?? 0) >= u * Math.min(b, c) * bytes && 2 * shift < (precision === 'float32' ? 60 : 600);
  const cache: (Floats | undefined)[] = [];
  let cached = 0;
  const z = new Float64Array(u);
  for (let start = 0; start < c; start += b) {
    const end = Math.min(c, start + b);
    if (caching) {
      const part = await shiftedExp(eTensor, conceptBlock(ta, dim, start, end), tensor(inPrecision(Float64Array.of(-shift), precision), [1]));
      for (let x = 0; x < u; x++) z[x]! += part.z[x]!;
      const keep = cached + part.s.length * bytes <= options.cacheBytes!;
      cache.push(keep ? part.s : undefined);
      if (keep) cached += part.s.length * bytes;
    } else {
      const part = await logSumExp(eTensor, conceptBlock(ta, dim, start, end));
      for (let x = 0; x < u; x++) {
        const p = lse[x]!;
        const q = part[x]!;
        const m = Math.max(p, q);
        lse[x] = m === Number.NEGATIVE_INFINITY ? m : m + Math.log(Math.exp(p - m) + Math.exp(q - m));
      }
    }
    options.onBlock?.(end - start);
  }
  if (caching) for (let x = 0; x < u; x++) lse[x] = shift + Math.log(z[x]!);
  const negLse = tensor(inPrecision(lse.map((v) => -v), precision), [u, 1]);

  // Pass 2: log p(t|E_k), log p(t) over each layer's neurons, the score.
  const given = new Float64Array(neurons * b);
  const scores = new Float64Array(neurons * b);
  const scratch = logProbScratch(neurons, b);
  const colMax = new Float64Array(b);
  const colSum = new Float64Array(b);
  for (let start = 0; start < c; start += b) {
    const end = Math.min(c, start + b);
    const w = end - start;
    let s = cache[start / b];
    if (s) {
      // The kept terms over their image's normaliser: softmax(a·P) for this block.
      cache[start / b] = undefined;
      for (let x = 0; x < u; x++) {
        const inv = 1 / z[x]!;
        for (let q = x * w; q < (x + 1) * w; q++) s[q]! *= inv;
      }
    } else s = await softmaxRows(eTensor, conceptBlock(ta, dim, start, end), negLse);
    logProbGivenNeuron(plan, s, w, given, scratch);
    let first = 0;
    for (const layer of layers) {
      const k = layer.neurons;
      colMax.fill(Number.NEGATIVE_INFINITY, 0, w);
      colSum.fill(0, 0, w);
      for (let j = first; j < first + k; j++) for (let q = 0; q < w; q++) colMax[q] = Math.max(colMax[q]!, given[j * w + q]!);
      for (let j = first; j < first + k; j++) for (let q = 0; q < w; q++) colSum[q]! += Math.exp(given[j * w + q]! - colMax[q]!);
      const logK = Math.log(k);
      for (let q = 0; q < w; q++) colSum[q] = colMax[q]! + Math.log(colSum[q]!) - logK;
      for (let j = first; j < first + k; j++) {
        for (let q = 0; q < w; q++) scores[j * w + q] = given[j * w + q]! - options.lambda * colSum[q]!;
        best.offer(j, scores, j * w, w, start);
      }
      first += k;
    }
    options.onBlock?.(w);
  }
}

/** cos_similarity_cubed of similarity.py. */
async function cos3(
  e: Float64Array,
  n: number,
  t: Float64Array,
  concepts: Embeddings,
  layers: LayerActivations[],
  options: DescribeOptions,
  best: BestConcepts,
): Promise<void> {
  const dim = concepts.dim;
  const c = concepts.rows;
  const neurons = best.neurons;
  // Â: each neuron's activations centred over the images, cubed, scaled to norm ≥ floor.
  const a = new Float64Array(neurons * n);
  let first = 0;
  for (const layer of layers) {
    const v = byNeuron(layer, n);
    for (let j = 0; j < layer.neurons; j++) {
      const row = v.subarray(j * n, (j + 1) * n);
      let mean = 0;
      for (let x = 0; x < n; x++) mean += row[x]!;
      mean /= n;
      let ss = 0;
      for (let x = 0; x < n; x++) {
        const d = row[x]! - mean;
        row[x] = d * d * d;
        ss += row[x]! * row[x]!;
      }
      const inv = 1 / Math.max(Math.sqrt(ss), options.minNorm);
      for (let x = 0; x < n; x++) row[x]! *= inv;
    }
    a.set(v, first * n);
    first += layer.neurons;
  }
  const precision = options.precision ?? 'float64';
  const eTensor = tensor(inPrecision(e, precision), [n, dim]);
  const aTensor = tensor(inPrecision(a, precision), [neurons, n]);
  const floor = tensor(inPrecision(Float64Array.of(options.minNorm), precision), [1]);
  const tp = inPrecision(t, precision);
  const b = blockSize(options, Math.max(n, neurons), c);
  for (let start = 0; start < c; start += b) {
    const end = Math.min(c, start + b);
    const w = end - start;
    const scores = await cubedCosine(eTensor, conceptBlock(tp, dim, start, end), floor, aTensor);
    for (let j = 0; j < neurons; j++) best.offer(j, scores, j * w, w, start);
    options.onBlock?.(w);
  }
}

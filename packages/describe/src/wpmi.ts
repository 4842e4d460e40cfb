import { blockSize, byNeuron, conceptBlock } from './arrays.js';
import type { BestConcepts } from './best-concepts.js';
import { inPrecision, logSumExp, shiftedExp, softmaxRows, tensor, type Floats } from './graphs.js';
import { logProbGivenNeuron, logProbPlan, logProbScratch } from './log-prob.js';
import { topImages } from './top-images.js';
import type { DescribeOptions, Embeddings, LayerActivations } from './types.js';

/** soft_wpmi and wpmi of similarity.py. */
export async function wpmi(
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

  // p_i as CLIP-Dissect's code makes them: p_start − arange(top)/top·(p_start − p_end), in
  // float32 (torch's default dtype); exact decimals would move its scores by ~2e-6.
  const f32 = Math.fround;
  const weights =
    options.similarity === 'soft-wpmi'
      ? Float64Array.from({ length: top }, (_, i) => f32(f32(options.pStart) - f32(f32(i / top) * f32(options.pStart - options.pEnd))))
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
  /** The block's softmax(a·P): the kept terms over their image's normaliser, or computed. */
  const softmaxBlock = (start: number): Promise<Floats> => {
    const end = Math.min(c, start + b);
    const w = end - start;
    const kept = cache[start / b];
    if (!kept) return softmaxRows(eTensor, conceptBlock(ta, dim, start, end), negLse);
    cache[start / b] = undefined;
    for (let x = 0; x < u; x++) {
      const inv = 1 / z[x]!;
      for (let q = x * w; q < (x + 1) * w; q++) kept[q]! *= inv;
    }
    return Promise.resolve(kept);
  };
  // onnxruntime computes the next block on its threads while this one's sums run here.
  let pending = softmaxBlock(0);
  for (let start = 0; start < c; start += b) {
    const end = Math.min(c, start + b);
    const w = end - start;
    const s = await pending;
    if (end < c) pending = softmaxBlock(end);
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


import { blockSize, byNeuron, conceptBlock } from './arrays.js';
import type { BestConcepts } from './best-concepts.js';
import { cubedCosine, inPrecision, tensor } from './graphs.js';
import type { DescribeOptions, Embeddings, LayerActivations } from './types.js';

/** cos_similarity_cubed of similarity.py. */
export async function cos3(
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

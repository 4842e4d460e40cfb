/**
 * CLIP-Dissect's neuron descriptions (Oikarinen & Weng, ICLR 2023; similarity.py of
 * Trustworthy-ML-Lab/CLIP-dissect) over typed arrays, with the N x C image-concept matrix
 * P = Ê·T̂ᵀ never whole: concepts go in blocks, and (soft-)wpmi's second pass recomputes each
 * block's P (its softmax needs every concept's term before any block's S), unless
 * `cacheBytes` lets it keep the first pass's terms.
 */
import { normaliseRows } from './arrays.js';
import { BestConcepts } from './best-concepts.js';
import { cos3 } from './cos3.js';
import type { DescribeOptions, Embeddings, LayerActivations, LayerDescription } from './types.js';
import { wpmi } from './wpmi.js';

export * from './types.js';
export { normaliseRows } from './arrays.js';

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


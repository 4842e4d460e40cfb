import { describe, expect, it } from 'vitest';
import { DEFAULTS, describeNeurons, type DescribeOptions, type Similarity } from './describe.js';
import { numpyReference, synthetic, type Synthetic } from './test-support/synthetic.js';

function options(similarity: Similarity, extra: Partial<DescribeOptions> = {}): DescribeOptions {
  return { similarity, ...DEFAULTS[similarity], minProb: 1e-7, pStart: 0.998, pEnd: 0.97, minNorm: 1e-3, keep: 0, ...extra };
}

function run(data: Synthetic, o: DescribeOptions) {
  return describeNeurons(
    { values: data.images, rows: data.n, dim: data.d },
    { values: data.concepts, rows: data.c, dim: data.d },
    data.layers.map((l) => ({ name: l.name, neurons: l.neurons, values: l.values })),
    o,
  );
}

/** Our keep+1 best (index, score) per neuron against the numpy transcription's, to 1e-6. */
async function expectReference(data: Synthetic, o: DescribeOptions): Promise<void> {
  const ours = await run(data, o);
  const ref = numpyReference(data, o);
  expect(ours.map((l) => l.name)).toEqual(ref.map((l) => l.name));
  ours.forEach((layer, li) => {
    const size = o.keep + 1;
    for (let k = 0; k < layer.neurons; k++) {
      const want = ref[li]!;
      for (let r = 0; r < size; r++) {
        const got = layer.score[k * size + r]!;
        const expected = want.score[k]![r]!;
        expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
      }
      // Indices agree wherever the scores are not tied within the tolerance.
      expect(layer.concept[k * size]).toBe(want.index[k]![0]);
    }
  });
}

const data = synthetic({ n: 400, d: 24, c: 16, layers: [['layer3', 16], ['layer4', 7]], seed: 3 });

describe('describeNeurons against the numpy transcription of CLIP-Dissect', () => {
  for (const similarity of ['soft-wpmi', 'wpmi', 'cos3'] as const) {
    it(`${similarity}: same descriptions and scores (whole score rows, 1e-6), and neuron k gets concept k`, async () => {
      const o = options(similarity, { keep: data.c - 1 });
      await expectReference(data, o);
      const ours = await run(data, o);
      for (const layer of ours) {
        for (let k = 0; k < layer.neurons; k++) expect(layer.concept[k * data.c]).toBe(k % data.c);
      }
    });
  }

  it('blocks of concepts (3 at a time) give the same answer as one block', async () => {
    for (const similarity of ['soft-wpmi', 'cos3'] as const) {
      const whole = await run(data, options(similarity, { keep: 2, block: data.c }));
      const blocked = await run(data, options(similarity, { keep: 2, block: 3 }));
      whole.forEach((layer, li) => {
        expect(Array.from(blocked[li]!.concept)).toEqual(Array.from(layer.concept));
        layer.score.forEach((s, i) => expect(Math.abs(blocked[li]!.score[i]! - s)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(s))));
      });
    }
  });

  it('a cache of the first pass (all blocks, or only some) gives the reference answer too', async () => {
    for (const similarity of ['soft-wpmi', 'wpmi'] as const) {
      await expectReference(data, options(similarity, { keep: data.c - 1, block: 4, cacheBytes: 1 << 30 }));
      await expectReference(data, options(similarity, { keep: data.c - 1, block: 4, cacheBytes: data.n * 4 * 8 * 2 }));
    }
  });

  it('fewer images than --top-k: all images, as the reference run with top_k = n', async () => {
    const small = synthetic({ n: 40, d: 12, c: 8, layers: [['conv', 8]], seed: 5 });
    await expectReference(small, options('soft-wpmi', { keep: 7 }));
    await expectReference(small, options('wpmi', { topK: 60, keep: 7 }));
  });

  it('one neuron in a layer: every soft-wpmi score is 0 (log p(t) is that neuron\'s own), the first concept wins', async () => {
    const one = synthetic({ n: 200, d: 12, c: 8, layers: [['fc', 1]], seed: 7 });
    const [layer] = await run(one, options('soft-wpmi', { keep: 7 }));
    expect(Array.from(layer!.score)).toEqual(new Array(8).fill(0));
    expect(Array.from(layer!.concept)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await expectReference(one, options('soft-wpmi', { keep: 7 }));
  });

  it('a repeated concept (same embedding) scores as the reference: its own softmax entry, the earlier row first', async () => {
    const concepts = new Float32Array((data.c + 1) * data.d);
    concepts.set(data.concepts);
    concepts.set(data.concepts.subarray(4 * data.d, 5 * data.d), data.c * data.d);
    const dup = { ...data, c: data.c + 1, concepts };
    for (const similarity of ['soft-wpmi', 'cos3'] as const) await expectReference(dup, options(similarity, { keep: 2 }));
    const [layer] = await run(dup, options('soft-wpmi', { keep: 1 }));
    expect([layer!.concept[8], layer!.concept[9]]).toEqual([4, data.c]);
    expect(layer!.score[8]).toBe(layer!.score[9]);
  });

  it('precision float32: the same descriptions, every score within 1e-5 of the float64 reference', async () => {
    for (const similarity of ['soft-wpmi', 'wpmi', 'cos3'] as const) {
      const o = options(similarity, { keep: data.c - 1, precision: 'float32' });
      const ours = await run(data, o);
      const ref = numpyReference(data, o);
      let worst = 0;
      ours.forEach((layer, li) => {
        for (let k = 0; k < layer.neurons; k++) {
          expect(layer.concept[k * data.c]).toBe(ref[li]!.index[k]![0]);
          const want = new Map(ref[li]!.index[k]!.map((t, r) => [t, ref[li]!.score[k]![r]!]));
          for (let r = 0; r < data.c; r++) {
            const expected = want.get(layer.concept[k * data.c + r]!)!;
            worst = Math.max(worst, Math.abs(layer.score[k * data.c + r]! - expected) / Math.max(1, Math.abs(expected)));
          }
        }
      });
      expect(worst).toBeLessThan(1e-5);
      // float32 really is in use: the scores are not float64's to 1e-9.
      expect(worst).toBeGreaterThan(1e-9);
    }
  });

  it('non-default constants reach the formulas (a, lambda, p range, top-k, floor)', async () => {
    await expectReference(data, options('soft-wpmi', { a: 4, lambda: 0.5, pStart: 0.9, pEnd: 0.5, topK: 30, keep: 3 }));
    await expectReference(data, options('wpmi', { a: 5, lambda: 1, minProb: 1e-4, keep: 3 }));
    await expectReference(data, options('cos3', { minNorm: 10, keep: 3 }));
  });
});

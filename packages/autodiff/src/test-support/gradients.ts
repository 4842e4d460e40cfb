import { ort } from '@cnnpipe/core';
import type { LoadedModel } from '@cnnpipe/extract';
import { gradientGraph, type GradientModel } from '../gradient-graph.js';
import { createGradientSession } from '../session.js';

/** The deterministic input pattern of tools/autodiff/parity_autodiff.py: 4u - 2, u = ((i+1)·0x9E3779B1 mod 2^32)/2^32. */
export function pattern(count: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (4 * (Math.imul(i + 1, 0x9e3779b1) >>> 0)) / 4294967296 - 2;
  return out;
}

/** ‖a − b‖ / ‖b‖. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** One forward+backward run: tap values and the input gradient for the given seeds. */
export async function runGradient(model: LoadedModel, taps: string[], x: Float32Array, seeds: Float32Array[], size?: number) {
  const graph: GradientModel = await gradientGraph(model, taps, size ? { size } : {});
  const { session } = await createGradientSession(graph);
  const n = x.length / graph.inputShape.reduce((p, d) => p * d, 1);
  const feeds: Record<string, ort.Tensor> = { [graph.input]: new ort.Tensor('float32', x, [n, ...graph.inputShape]) };
  graph.seeds.forEach((s, i) => {
    if (s) feeds[s] = new ort.Tensor('float32', seeds[i]!, [n, ...graph.tapShapes[i]!]);
  });
  try {
    const out = await session.run(feeds);
    return { graph, gradient: out[graph.gradient]!.data as Float32Array, values: graph.values.map((v) => out[v]!.data as Float32Array) };
  } finally {
    await session.release();
  }
}

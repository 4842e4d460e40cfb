/**
 * The saliency methods over typed arrays: which units to explain, SmoothGrad's noisy
 * copies, and how a method turns input gradients into a map.
 */

export const METHODS = ['gradient', 'gradient-x-input', 'smoothgrad'] as const;
export type Method = (typeof METHODS)[number];

/** Per image, the `count` channels with the largest spatial mean of a [N, C, ...] tap, strongest first. */
export function topChannels(values: Float32Array, tapShape: number[], images: number, count: number): number[][] {
  const [channels, ...spatial] = tapShape as [number, ...number[]];
  const cells = spatial.reduce((p, d) => p * d, 1);
  const out: number[][] = [];
  for (let n = 0; n < images; n++) {
    const means = Float64Array.from({ length: channels }, (_, c) => {
      let sum = 0;
      const base = (n * channels + c) * cells;
      for (let p = 0; p < cells; p++) sum += values[base + p]!;
      return sum / cells;
    });
    const order = Array.from({ length: channels }, (_, c) => c).sort((a, b) => means[b]! - means[a]! || a - b);
    out.push(order.slice(0, Math.min(count, channels)));
  }
  return out;
}

/** Standard normal deviates from a uniform source (Box–Muller). */
export function gaussian(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const v = spare;
      spare = undefined;
      return v;
    }
    const u = 1 - uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

/**
 * SmoothGrad's noise level for one image: σ = noise · (max − min) of its input tensor
 * (Smilkov et al. 2017 state the noise as a fraction of the input's range).
 */
export function noiseSigma(x: Float32Array, noise: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i]! < lo) lo = x[i]!;
    if (x[i]! > hi) hi = x[i]!;
  }
  return noise * (hi - lo);
}

/** x plus N(0, σ²) noise, written into `out` at `offset`. */
export function addNoise(x: Float32Array, sigma: number, normal: () => number, out: Float32Array, offset: number): void {
  for (let i = 0; i < x.length; i++) out[offset + i] = x[i]! + sigma * normal();
}

/** gradient ⊙ input, in place into `gradient`. */
export function timesInput(gradient: Float32Array, x: Float32Array): Float32Array {
  for (let i = 0; i < gradient.length; i++) gradient[i]! *= x[i]!;
  return gradient;
}

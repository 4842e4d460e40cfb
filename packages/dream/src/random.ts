// Seeded draws for dream: everything random (the initial spectrum, each step's transforms)
// comes from one mulberry32 stream per batch, so the same --seed gives the same bytes.
import { mulberry32 } from '@cnnpipe/core';

export type Rng = () => number;

export function seededRng(seed: number): Rng {
  return mulberry32(seed);
}

/** numpy's np.random.choice(n): an index in 0..n-1, uniformly. */
export function choice(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

/** Standard normal values (Box-Muller), `count` of them scaled by `sd`. */
export function gaussian(rng: Rng, count: number, sd: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u = 1 - rng();
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u)) * sd;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

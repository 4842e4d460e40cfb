import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { columnOf, fastICA, normalRandom } from './fastica.js';

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Best |correlation| of each column of `ref` with a distinct column of `got` (greedy matching). */
function matchedCorrelations(got: Float64Array[], ref: Float64Array[]): number[] {
  const used = new Set<number>();
  return ref.map((r) => {
    let best = -1;
    let bestJ = -1;
    got.forEach((g, j) => {
      if (used.has(j)) return;
      const c = Math.abs(correlation(g, r));
      if (c > best) {
        best = c;
        bestJ = j;
      }
    });
    used.add(bestJ);
    return best;
  });
}

/** Known non-Gaussian sources (samples x s) mixed by a random matrix into features, plus noise. */
function mixed(n: number, p: number, s: number, seed: number, noise = 0) {
  const rand = normalRandom(seed);
  const sources = new Float64Array(n * s);
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < s; j++) {
      let v: number;
      switch (j % 4) {
        case 0: v = Math.sin(t * 0.37 + j); break;
        case 1: v = ((t * 0.11 + j) % 2) - 1; break; // sawtooth
        case 2: v = Math.sign(Math.sin(t * 0.053 + j)); break; // square
        default: v = Math.abs(rand()) ** 3 * Math.sign(rand()); // heavy-tailed
      }
      sources[t * s + j] = v;
    }
  }
  const a = new Float64Array(p * s);
  for (let i = 0; i < a.length; i++) a[i] = rand();
  const x = new Float64Array(n * p);
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < p; i++) {
      let v = noise * rand();
      for (let j = 0; j < s; j++) v += a[i * s + j]! * sources[t * s + j]!;
      x[t * p + i] = v;
    }
  }
  return { x, a, sources };
}

const SKLEARN = `
import json, sys, warnings
import numpy as np
from sklearn.decomposition import FastICA
warnings.simplefilter('ignore')
d = json.load(sys.stdin)
X = np.array(d['x'], dtype=np.float64).reshape(d['n'], d['p'])
k = d['k']
ica = FastICA(n_components=k, whiten='unit-variance', fun='logcosh', algorithm='parallel',
              max_iter=d['maxIter'], tol=d['tol'], w_init=np.array(d['w']).reshape(k, k))
ica.fit(X)
json.dump({'mixing': ica.mixing_.ravel().tolist()}, sys.stdout)
`;

function sklearnMixing(x: Float64Array, n: number, p: number, k: number, w: Float64Array, maxIter: number, tol: number): Float64Array | undefined {
  const run = spawnSync('/usr/bin/python3', ['-c', SKLEARN], {
    input: JSON.stringify({ x: Array.from(x), n, p, k, w: Array.from(w), maxIter, tol }),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) return undefined;
  return Float64Array.from((JSON.parse(run.stdout) as { mixing: number[] }).mixing);
}

const hasSklearn = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;

describe('fastICA', () => {
  it('recovers known sources mixed by a known matrix (mixing columns up to sign and order)', async () => {
    const n = 800;
    const s = 4;
    const p = 6;
    const { x, a } = mixed(n, p, s, 1);
    const r = await fastICA(x, n, p, { components: s, seed: 3, maxIter: 500, tol: 1e-6 });
    expect(r.components).toBe(s);
    expect(r.converged).toBe(true);
    const got = Array.from({ length: s }, (_, c) => columnOf(r.mixing, p, s, c));
    const truth = Array.from({ length: s }, (_, c) => columnOf(a, p, s, c));
    for (const c of matchedCorrelations(got, truth)) expect(c).toBeGreaterThan(0.99);
    for (const v of r.mixing) expect(Number.isFinite(v)).toBe(true);
  });

  it('is deterministic for a seed', async () => {
    const { x } = mixed(200, 5, 3, 7);
    const a = await fastICA(x, 200, 5, { components: 3, seed: 11 });
    const b = await fastICA(x, 200, 5, { components: 3, seed: 11 });
    expect(Array.from(a.mixing)).toEqual(Array.from(b.mixing));
  });

  it.runIf(hasSklearn)('agrees with scikit-learn FastICA (more samples than features)', async () => {
    const n = 500;
    const p = 6;
    const k = 4;
    const { x } = mixed(n, p, k, 2, 0.05);
    const w = new Float64Array(k * k).map(normalRandom(5));
    const ours = await fastICA(x, n, p, { components: k, wInit: w, maxIter: 400, tol: 1e-6 });
    const ref = sklearnMixing(x, n, p, k, w, 400, 1e-6)!;
    expect(ref).toBeDefined();
    const got = Array.from({ length: k }, (_, c) => columnOf(ours.mixing, p, k, c));
    const want = Array.from({ length: k }, (_, c) => columnOf(ref, p, k, c));
    for (const c of matchedCorrelations(got, want)) expect(c).toBeGreaterThan(0.99);
    // Same scale too (unit-variance sources): column norms agree.
    const norm = (v: Float64Array) => Math.hypot(...v);
    const gn = got.map(norm).sort();
    const wn = want.map(norm).sort();
    gn.forEach((g, i) => expect(g).toBeCloseTo(wn[i]!, 2));
  });

  it.runIf(hasSklearn)('agrees with scikit-learn FastICA on patch-like data (features > samples)', async () => {
    const n = 60;
    const p = 100;
    const k = 3;
    const { x } = mixed(n, p, k, 4, 0.01);
    const w = new Float64Array(k * k).map(normalRandom(9));
    const ours = await fastICA(x, n, p, { components: k, wInit: w, maxIter: 400, tol: 1e-6 });
    const ref = sklearnMixing(x, n, p, k, w, 400, 1e-6)!;
    const got = Array.from({ length: k }, (_, c) => columnOf(ours.mixing, p, k, c));
    const want = Array.from({ length: k }, (_, c) => columnOf(ref, p, k, c));
    for (const c of matchedCorrelations(got, want)) expect(c).toBeGreaterThan(0.99);
  });

  // The sizes of the study (100 top patches of 30 x 30 pixels, 8 components): whitening through
  // the 100 x 100 Gram matrix; and the other side (more samples than features, 8 components):
  // through the 30 x 30 covariance.
  for (const [n, p, seed] of [
    [100, 900, 21],
    [400, 30, 22],
  ] as const) {
    it.runIf(hasSklearn)(`agrees with scikit-learn FastICA at ${n} samples x ${p} features, 8 components`, async () => {
      const k = 8;
      const { x } = mixed(n, p, k, seed, 0.01);
      const w = new Float64Array(k * k).map(normalRandom(seed + 100));
      const ours = await fastICA(x, n, p, { components: k, wInit: w, maxIter: 1000, tol: 1e-8 });
      expect(ours.components).toBe(k);
      expect(ours.converged).toBe(true);
      const ref = sklearnMixing(x, n, p, k, w, 1000, 1e-8)!;
      expect(ref).toBeDefined();
      const got = Array.from({ length: k }, (_, c) => columnOf(ours.mixing, p, k, c));
      const want = Array.from({ length: k }, (_, c) => columnOf(ref, p, k, c));
      for (const c of matchedCorrelations(got, want)) expect(c).toBeGreaterThan(0.99);
      for (const v of ours.mixing) expect(Number.isFinite(v)).toBe(true);
    });
  }

  it('gives fewer components on a rank-deficient set, never NaN', async () => {
    // 3 samples: the centred data has rank 2.
    const x = Float64Array.from({ length: 3 * 10 }, (_, i) => Math.sin(i * 1.3) + (i % 7));
    const r = await fastICA(x, 3, 10, { components: 8 });
    expect(r.rank).toBe(2);
    expect(r.components).toBe(2);
    for (const v of r.mixing) expect(Number.isFinite(v)).toBe(true);
    // Two features that are exact copies: rank 1 of 2.
    const y = Float64Array.from({ length: 50 * 2 }, (_, i) => Math.sin(Math.floor(i / 2) * 0.7));
    const q = await fastICA(y, 50, 2, { components: 2 });
    expect(q.components).toBe(1);
    for (const v of q.mixing) expect(Number.isFinite(v)).toBe(true);
  });

  it('gives no components for constant or single samples', async () => {
    expect((await fastICA(new Float64Array(40).fill(0.5), 10, 4, { components: 8 })).components).toBe(0);
    expect((await fastICA(new Float64Array(4).fill(1), 1, 4, { components: 8 })).components).toBe(0);
  });
});

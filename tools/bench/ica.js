#!/usr/bin/env node
// Benchmark of `ica`'s computation (FastICA of each neuron's top patches, gray mode) against
// scikit-learn's FastICA(n_components=8, whiten='unit-variance', fun='logcosh',
// algorithm='parallel') looped over the same matrices, same max_iter/tol, same initial
// unmixing matrix (our seeded one, passed as w_init); each side with its default threading
// (numpy's OpenBLAS threads; onnxruntime's pool for our Gram products). Our time includes the
// onnxruntime session set-up and JIT warm-up; scikit-learn's excludes Python's start and imports.
// Synthetic but patch-like data, seeded: each neuron's 100 patches (30x30 gray) show one or
// two of its 8 oriented Gabor-like facets strongly (Laplacian amplitudes) and the rest faintly,
// over background texture from a shared bank, a brightness offset, a gradient and pixel noise.
//   node tools/bench/ica.js [--neurons N] [--patches P] [--size S] [--components K] [--max-iter I] [--tol T] [--dist DIR]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
// --dist DIR: another build of packages/ica (e.g. an older revision compiled elsewhere) to time.
const dist = process.argv.includes('--dist') ? resolve(process.argv[process.argv.indexOf('--dist') + 1]) : join(root, 'packages/ica/dist');
const { neuronComponents } = await import(join(dist, 'components.js'));
const { normalRandom } = await import(join(dist, 'fastica.js'));

const neurons = arg('--neurons', 512);
const patches = arg('--patches', 100);
const size = arg('--size', 30);
const k = arg('--components', 8);
const maxIter = arg('--max-iter', 200);
const tol = arg('--tol', 1e-4);
const seed = 0;
const plane = size * size;
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-ica-'));

// --- data ---
const rand = normalRandom(20240601);
const uniform = () => 0.5 + 0.5 * Math.tanh(rand()); // (0, 1), cheap
const gabor = () => {
  const theta = Math.PI * uniform();
  const freq = 0.15 + 0.6 * uniform();
  const phase = 2 * Math.PI * uniform();
  const cx = size * (0.2 + 0.6 * uniform());
  const cy = size * (0.2 + 0.6 * uniform());
  const sigma = size * (0.08 + 0.25 * uniform());
  const b = new Float32Array(plane);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x - cx) * Math.cos(theta) + (y - cy) * Math.sin(theta);
      const r2 = (x - cx) ** 2 + (y - cy) ** 2;
      b[y * size + x] = Math.exp(-r2 / (2 * sigma * sigma)) * Math.cos(freq * u + phase);
    }
  }
  return b;
};
const laplace = () => {
  const e = -Math.log(uniform());
  return uniform() < 0.5 ? -e : e;
};
// A shared bank of background textures (the rest of the image around the preferred pattern).
const bank = Array.from({ length: 256 }, gabor);
const all = new Float32Array(neurons * patches * plane);
for (let nu = 0; nu < neurons; nu++) {
  // A multi-faceted neuron: 8 preferred patterns (facets); each top patch shows one or two of
  // them strongly (Laplacian amplitude) and the others faintly, over background texture.
  const facets = Array.from({ length: 8 }, gabor);
  for (let t = 0; t < patches; t++) {
    const out = all.subarray((nu * patches + t) * plane, (nu * patches + t + 1) * plane);
    const offset = 0.3 * rand();
    const gx = 0.02 * rand();
    const gy = 0.02 * rand();
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out[y * size + x] = offset + gx * x + gy * y + 0.05 * rand();
    const main = Math.floor(uniform() * facets.length);
    const second = uniform() < 0.3 ? Math.floor(uniform() * facets.length) : -1;
    facets.forEach((b, f) => {
      const c = (f === main || f === second ? 2 : 0.1) * laplace();
      for (let i = 0; i < plane; i++) out[i] += c * b[i];
    });
    for (let j = 0; j < 4; j++) {
      const b = bank[Math.floor(uniform() * bank.length)];
      const c = 0.2 * laplace();
      for (let i = 0; i < plane; i++) out[i] += c * b[i];
    }
  }
}
writeFileSync(join(dir, 'patches.f32'), all);
const wInit = new Float64Array(k * k).map(normalRandom(seed)); // what fastICA draws for this seed
writeFileSync(join(dir, 'winit.f64'), wInit);

// --- cnnpipe ---
const rows = Array.from({ length: neurons }, (_, nu) =>
  Array.from({ length: patches }, (_, t) => all.subarray((nu * patches + t) * plane, (nu * patches + t + 1) * plane)),
);
let iterSum = 0;
let unconverged = 0;
const start = performance.now();
const ours = [];
for (const ps of rows) {
  const r = await neuronComponents(ps, 1, size, 'gray', { components: k, maxIter, tol, seed });
  ours.push(r);
  if (!r.converged) unconverged++;
  iterSum += r.iterations ?? NaN; // older builds do not report it
}
const seconds = (performance.now() - start) / 1000;

// --- scikit-learn ---
const script = `
import sys, time, warnings
import numpy as np
from sklearn.decomposition import FastICA
warnings.simplefilter('ignore')
d, neurons, patches, plane, k, max_iter, tol = sys.argv[1], *map(int, sys.argv[2:6]), int(sys.argv[6]), float(sys.argv[7])
allp = np.fromfile(d + '/patches.f32', dtype=np.float32).reshape(neurons, patches, plane)
w = np.fromfile(d + '/winit.f64').reshape(k, k)
out = np.empty((neurons, plane, k))
conv = np.zeros(neurons, dtype=np.uint8)
unconv = 0
iters = 0
t = time.perf_counter()
for i in range(neurons):
    X = allp[i].astype(np.float64)
    ica = FastICA(n_components=k, whiten='unit-variance', fun='logcosh', algorithm='parallel',
                  max_iter=max_iter, tol=tol, w_init=w)
    ica.fit(X)
    out[i] = ica.mixing_
    unconv += ica.n_iter_ >= max_iter
    conv[i] = ica.n_iter_ < max_iter
    iters += ica.n_iter_
print(time.perf_counter() - t, unconv, iters)
out.tofile(d + '/mixing.f64')
conv.tofile(d + '/converged.u8')
`;
const py = spawnSync('/usr/bin/python3', ['-c', script, dir, String(neurons), String(patches), String(plane), String(k), String(maxIter), String(tol)], {
  encoding: 'utf8',
});
if (py.status !== 0) throw new Error(`scikit-learn run failed: ${py.stderr}`);
const [skSeconds, skUnconverged, skIters] = py.stdout.trim().split(/\s+/).map(Number);

// Agreement: per neuron, greedy |correlation| matching of components; the worst, 5th percentile
// and median over all neurons, and the worst over the neurons both sides converged on (an
// unconverged run stops at an arbitrary point of its trajectory, where tiny rounding differences
// have had 200 iterations to grow).
const ref = new Float64Array(Uint8Array.from(readFileSync(join(dir, 'mixing.f64'))).buffer);
const skConverged = readFileSync(join(dir, 'converged.u8'));
const corr = (a, b) => {
  let ma = 0, mb = 0;
  for (let i = 0; i < a.length; i++) { ma += a[i]; mb += b[i]; }
  ma /= a.length; mb /= b.length;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += (a[i] - ma) * (b[i] - mb); aa += (a[i] - ma) ** 2; bb += (b[i] - mb) ** 2; }
  return Math.abs(ab / Math.sqrt(aa * bb));
};
const matched = [];
let worstConverged = 1;
ours.forEach((r, nu) => {
  const used = new Set();
  for (let c = 0; c < k; c++) {
    const want = Float64Array.from({ length: plane }, (_, j) => ref[(nu * plane + j) * k + c]);
    let best = -1, bestJ = -1;
    r.components.forEach((g, j) => {
      if (used.has(j)) return;
      const v = corr(g, want);
      if (v > best) { best = v; bestJ = j; }
    });
    used.add(bestJ);
    matched.push(best);
    if (r.converged && skConverged[nu]) worstConverged = Math.min(worstConverged, best);
  }
});
matched.sort((a, b) => a - b);
rmSync(dir, { recursive: true, force: true });

console.log(`ica benchmark: ${neurons} neurons x ${patches} patches x ${plane} features (${size}x${size} gray), ${k} components, max_iter ${maxIter}, tol ${tol}`);
console.log(`cnnpipe fastICA (neuronComponents, gray): ${seconds.toFixed(2)} s  (mean ${Number.isNaN(iterSum) ? 'n/a' : (iterSum / neurons).toFixed(1)} iterations, ${unconverged} not converged)`);
console.log(`scikit-learn FastICA (loop, same w_init): ${skSeconds.toFixed(2)} s  (mean ${(skIters / neurons).toFixed(1)} iterations, ${skUnconverged} not converged)`);
console.log(`ratio cnnpipe/sklearn: ${(seconds / skSeconds).toFixed(2)}x`);
console.log(`agreement |corr| of matched components: min ${matched[0].toFixed(4)}, 5th pct ${matched[Math.floor(matched.length * 0.05)].toFixed(4)}, median ${matched[Math.floor(matched.length / 2)].toFixed(4)}; min where both converged ${worstConverged.toFixed(4)}`);

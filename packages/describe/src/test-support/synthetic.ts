import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '@cnnpipe/core';
import type { DescribeOptions } from '../describe.js';

/**
 * Synthetic CLIP-Dissect data with a known answer: C orthonormal concept vectors in D
 * dimensions, images that mix two or three concepts (plus noise), and neuron k of a layer
 * driven by concept k's weight in the image plus noise — so neuron k's description is k.
 */
export interface Synthetic {
  n: number;
  d: number;
  c: number;
  images: Float32Array;
  concepts: Float32Array;
  /** Per layer: name, neurons, n x neurons activations. */
  layers: { name: string; neurons: number; values: Float32Array }[];
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function synthetic(options: { n: number; d: number; c: number; layers: [string, number][]; seed?: number; noise?: number }): Synthetic {
  const { n, d, c } = options;
  const random = mulberry32(options.seed ?? 1);
  const noise = options.noise ?? 0.05;
  // Gram-Schmidt on random vectors: orthonormal concepts (c <= d).
  const basis = new Float64Array(c * d);
  for (let t = 0; t < c; t++) {
    const v = basis.subarray(t * d, (t + 1) * d);
    for (let j = 0; j < d; j++) v[j] = gaussian(random);
    for (let s = 0; s < t; s++) {
      const u = basis.subarray(s * d, (s + 1) * d);
      let dot = 0;
      for (let j = 0; j < d; j++) dot += v[j]! * u[j]!;
      for (let j = 0; j < d; j++) v[j]! -= dot * u[j]!;
    }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += v[j]! * v[j]!;
    for (let j = 0; j < d; j++) v[j]! /= Math.sqrt(norm);
  }
  const mix = new Float64Array(n * c);
  const images = new Float32Array(n * d);
  for (let x = 0; x < n; x++) {
    const parts = 2 + Math.floor(random() * 2);
    for (let p = 0; p < parts; p++) mix[x * c + Math.floor(random() * c)] += 0.3 + random();
    for (let j = 0; j < d; j++) {
      let v = noise * gaussian(random);
      for (let t = 0; t < c; t++) v += mix[x * c + t]! * basis[t * d + j]!;
      images[x * d + j] = v;
    }
  }
  const layers = options.layers.map(([name, neurons]) => {
    const values = new Float32Array(n * neurons);
    for (let x = 0; x < n; x++) {
      for (let k = 0; k < neurons; k++) values[x * neurons + k] = Math.max(0, mix[x * c + (k % c)]! + 0.1 * gaussian(random));
    }
    return { name, neurons, values };
  });
  return { n, d, c, images, concepts: Float32Array.from(basis), layers };
}

export interface ReferenceLayer {
  name: string;
  index: number[][];
  score: number[][];
}

/** Runs test-support/clip_dissect.py (numpy, float64) on the same data. */
export function numpyReference(data: Synthetic, options: DescribeOptions): ReferenceLayer[] {
  const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-describe-ref-'));
  try {
    const meta = {
      n: data.n,
      d: data.d,
      c: data.c,
      layers: data.layers.map((l) => [l.name, l.neurons]),
      method: options.similarity,
      top_k: Math.min(options.topK, data.n),
      a: options.a,
      lam: options.lambda,
      min_prob: options.minProb,
      p_start: options.pStart,
      p_end: options.pEnd,
      min_norm: options.minNorm,
    };
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
    writeFileSync(join(dir, 'E.f32'), data.images);
    writeFileSync(join(dir, 'T.f32'), data.concepts);
    for (const l of data.layers) writeFileSync(join(dir, `${l.name}.f32`), l.values);
    const script = fileURLToPath(new URL('./clip_dissect.py', import.meta.url));
    const py = spawnSync('/usr/bin/python3', [script, dir, '--keep', String(options.keep)], { encoding: 'utf8' });
    if (py.status !== 0) throw new Error(`clip_dissect.py failed: ${py.stderr}`);
    return (JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { layers: ReferenceLayer[] }).layers;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

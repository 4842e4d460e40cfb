#!/usr/bin/env node
// Writes examples/describe/: a small synthetic CLIP-Dissect case for `describe --help`'s
// example and the README (no CLIP weights can be downloaded here). 240 probe images whose
// 32-d "CLIP" embeddings mix two or three of 40 orthonormal concept directions; neuron k
// of layer3 (16) and layer4 (8) fires with concept (3k mod 40)'s weight in the image.
// Deterministic: `node tools/describe-demo.js` reproduces the committed files.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Table, tableToIPC } from 'apache-arrow';
import { META, fixedSizeListData, int32Data, makeBatch, mulberry32, utf8Data } from '@cnnpipe/core';

const out = resolve(fileURLToPath(import.meta.url), '../../examples/describe');
const words = ['stripes', 'dots', 'checks', 'sleeve', 'collar', 'hood', 'pocket', 'zipper', 'button', 'laces', 'heel',
  'sole', 'strap', 'buckle', 'handle', 'fringe', 'ruffle', 'pleats', 'knit', 'denim', 'leather', 'fur', 'lace', 'logo',
  'text', 'floral', 'plaid', 'belt', 'waist', 'hem', 'neckline', 'cuff', 'toe', 'ankle', 'shoulder', 'seam', 'fold',
  'shadow', 'edge', 'blank'];
const n = 240, d = 32, c = words.length;
const random = mulberry32(26);
const gaussian = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
const basis = new Float64Array(c * d);
for (let t = 0; t < c; t++) {
  const v = basis.subarray(t * d, (t + 1) * d);
  for (let j = 0; j < d; j++) v[j] = gaussian();
  for (let s = 0; s < t; s++) {
    const u = basis.subarray(s * d, (s + 1) * d);
    let dot = 0;
    for (let j = 0; j < d; j++) dot += v[j] * u[j];
    for (let j = 0; j < d; j++) v[j] -= dot * u[j];
  }
  const norm = Math.hypot(...v);
  for (let j = 0; j < d; j++) v[j] /= norm;
}
const mix = new Float64Array(n * c);
const clip = new Float32Array(n * d);
for (let x = 0; x < n; x++) {
  const parts = 2 + Math.floor(random() * 2);
  for (let p = 0; p < parts; p++) mix[x * c + Math.floor(random() * c)] += 0.3 + random();
  for (let j = 0; j < d; j++) {
    let v = 0.05 * gaussian();
    for (let t = 0; t < c; t++) v += mix[x * c + t] * basis[t * d + j];
    clip[x * d + j] = v;
  }
}
const layer = (neurons) => {
  const values = new Float32Array(n * neurons);
  for (let x = 0; x < n; x++) for (let k = 0; k < neurons; k++) values[x * neurons + k] = Math.max(0, mix[x * c + ((3 * k) % c)] + 0.1 * gaussian());
  return fixedSizeListData(values, neurons);
};
const images = Array.from({ length: n }, (_, x) => `probe/${String(x).padStart(3, '0')}.png`);
const base = { image: utf8Data(images), label: int32Data(new Int32Array(n), () => true), class: utf8Data(new Array(n).fill(null)) };
const write = (file, columns, kind) => writeFileSync(join(out, file), tableToIPC(new Table([makeBatch(columns, new Map([[META.kind, kind]]))]), 'stream'));
write('activations.arrows', { ...base, layer3: layer(16), layer4: layer(8) }, 'activations');
write('clip-images.arrows', { ...base, logits: fixedSizeListData(clip, d) }, 'activations');
write('concepts.arrows', { concept: utf8Data(words), embedding: fixedSizeListData(Float32Array.from(basis), d) }, 'embeddings');
console.log(`describe demo: ${n} images, layer3 (16) + layer4 (8) neurons, ${c} concepts of ${d} dimensions in ${out}`);

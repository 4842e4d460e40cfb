#!/usr/bin/env node
// Writes results.md of the affine-equivalence study from the accuracy tables (no hand-written
// numbers): NxN top-1 of B's classifier on A's mapped features, with % change against A's own
// accuracy and the median change, for the least-squares map and both controls.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';

const [out, ...models] = process.argv.slice(2);
const rows = (name) => Array.from(tableFromIPC(readFileSync(join(out, `${name}.arrows`))), (r) => r.toJSON());
const short = (s) => basename(String(s)).replace(/\.onnx$/, '');
const own = new Map(rows('accuracy-own').map((r) => [short(r.target), r.top1]));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

console.log('# Affine feature equivalence\n');
console.log(`Own test top-1: ${models.map((m) => `${m} ${(own.get(m) * 100).toFixed(2)}%`).join(', ')}.\n`);
for (const [name, title] of [
  ['accuracy-lstsq', 'Least-squares affine map fitted on train features'],
  ['accuracy-logit', 'Logit-space map pinv(W_B)(W_A x + b_A - b_B) (control: lossless)'],
  ['accuracy-naive', 'Naive truncation / zero padding (control: about chance)'],
]) {
  const cell = new Map(rows(name).map((r) => [`${short(r.source)}>${short(r.target)}`, r.top1]));
  const changes = [];
  console.log(`## ${title}\n`);
  console.log('Rows: source A; columns: target B (its classifier). top-1 % (change against A\'s own).\n');
  console.log(`| A \\ B | ${models.join(' | ')} |`);
  console.log(`|---|${models.map(() => '---').join('|')}|`);
  for (const a of models) {
    const cells = models.map((b) => {
      const top1 = cell.get(`${a}>${b}`);
      if (top1 === undefined) return '–';
      const change = ((top1 - own.get(a)) / own.get(a)) * 100;
      if (a !== b) changes.push(change);
      return `${(top1 * 100).toFixed(2)} (${change >= 0 ? '+' : ''}${change.toFixed(1)}%)`;
    });
    console.log(`| ${a} | ${cells.join(' | ')} |`);
  }
  console.log(`\nMedian change off the diagonal: ${median(changes).toFixed(2)}%.\n\n![${title}](${name}.png)\n`);
}

// Layer-by-layer linear CKA (compare): one figure per model pair, and each A layer's closest B layer.
const cka = (process.env.CKA_FIGURES ?? '').split(/\s+/).filter(Boolean);
if (cka.length > 0) {
  console.log('## Layer-by-layer linear CKA (test images)\n');
  console.log(
    'Linear CKA (Kornblith et al. 2019) between every layer of A and every layer of B: 1 where two layers hold the same ' +
      'representation up to rotation and scale. The affine thesis compares the final feature vectors; this looks at all layers. ' +
      "Each layer is its per-channel spatial mean (extract's pooling), not the whole feature map.\n",
  );
  for (const name of cka) {
    const pairs = rows(name);
    const [a, b] = [pairs[0].a_model, pairs[0].b_model];
    const best = new Map();
    for (const r of pairs) if (!best.has(r.a_layer) || r.value > best.get(r.a_layer).value) best.set(r.a_layer, r);
    const matches = [...best.values()].map((r) => `${r.a_layer} → ${r.b_layer} (${r.value.toFixed(2)})`).join(', ');
    console.log(`### ${a} against ${b} (${pairs[0].n} images)\n`);
    console.log(`![linear CKA, ${a} against ${b}](${name}.png)\n`);
    console.log(`Closest ${b} layer of each ${a} layer: ${matches}.\n`);
  }
}

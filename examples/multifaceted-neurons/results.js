#!/usr/bin/env node
// Writes results.md of the multi-faceted-neuron study from the computed tables (no
// hand-written numbers): per layer the neurons, SF/MF split, mean Gini, flatness and MF
// degree, mean similarity; then the figures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';

const out = process.argv[2];
const read = (name) => tableFromIPC(readFileSync(join(out, name)));
const stats = read('stats.arrows');
const similarity = read('similarity-summary.arrows');
const meta = stats.schema.metadata;

const layers = new Map();
for (const row of stats) {
  const l = layers.get(row.layer) ?? { n: 0, sf: 0, mf: 0, gini: 0, flat: 0, mfDeg: 0, mfN: 0 };
  l.n++;
  if (row.facet === 'SF') l.sf++;
  if (row.facet === 'MF') l.mf++;
  l.gini += row.gini ?? 0;
  l.flat += row.flatness ?? 0;
  if (row.mf !== null && Number.isFinite(row.mf)) {
    l.mfDeg += row.mf;
    l.mfN++;
  }
  layers.set(row.layer, l);
}
const pearson = new Map(Array.from(similarity, (r) => [r.layer, r]));
const f = (x) => (Number.isFinite(x) ? x.toFixed(3) : '–');

console.log('# Multi-faceted neurons\n');
console.log(`Model \`${meta.get('cnnpipe.model')}\`; top-k images per neuron from \`topk\`, class co-occurrence from \`cof\`.\n`);
console.log('| layer | neurons | SF | MF | mean Gini | mean flatness | mean MF degree | mean Pearson | mean Euclidean |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const [layer, l] of layers) {
  const s = pearson.get(layer);
  console.log(`| ${layer} | ${l.n} | ${l.sf} | ${l.mf} | ${f(l.gini / l.n)} | ${f(l.flat / l.n)} | ${f(l.mfDeg / l.mfN)} | ${f(s?.mean_pearson)} | ${f(s?.mean_euclidean)} |`);
}
console.log('\nPer-neuron statistics: [neurons.csv](neurons.csv). Browse every neuron in the atlas: [atlas/index.html](atlas/index.html).\n');
// The most single- and most multi-faceted neuron of each layer, with its ICA montage.
const byLayer = new Map();
for (const row of stats) if (row.mf !== null && Number.isFinite(row.mf)) (byLayer.get(row.layer) ?? byLayer.set(row.layer, []).get(row.layer)).push(row);
console.log('## ICA of the top patches: most single- and most multi-faceted neuron per layer\n');
console.log('| layer | most single-faceted (lowest MF) | most multi-faceted (highest MF) |');
console.log('|---|---|---|');
for (const [layer, list] of byLayer) {
  list.sort((a, b) => a.mf - b.mf);
  const link = (r) => `neuron ${r.neuron} (MF ${f(r.mf)}): ![](ica/${layer}-${r.neuron}.png)`;
  console.log(`| ${layer} | ${link(list[0])} | ${link(list[list.length - 1])} |`);
}
console.log('');
for (const [file, title] of [
  ['gini-density.png', 'Gini sparsity per layer'],
  ['flatness-density.png', 'Spectral flatness per layer'],
  ['mf-by-layer.png', 'Multi-faceted degree per layer'],
  ['facets-by-layer.png', "Single- and multi-faceted neurons per layer (MF: a multi-faceted degree above its layer's mean, so the split is near half by construction)"],
  ['similarity-by-layer.png', 'Mean similarity per layer'],
  ['top-images.png', 'Top images of the first neurons'],
]) {
  console.log(`## ${title}\n\n![${title}](${file})\n`);
}

#!/usr/bin/env node
// Writes results.md of the Network Dissection study from dissect's tables (no hand-written numbers).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';

const [out, ...models] = process.argv.slice(2);
const read = (name) => tableFromIPC(readFileSync(join(out, `${name}.arrows`)));
const fmt = (v) => (v === null || v === undefined ? '–' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : String(v));

console.log('# Network Dissection\n');
for (const model of models) {
  const detectors = read(`${model}-detectors`);
  const categories = [...new Set(Array.from(detectors, (r) => r.category))];
  const layers = [...new Set(Array.from(detectors, (r) => r.layer))];
  const cell = (layer, category) => Array.from(detectors).find((r) => r.layer === layer && r.category === category);
  console.log(`## ${model}: unique detectors (detector units) per category\n`);
  console.log(`| layer | ${categories.join(' | ')} |`);
  console.log(`|---|${categories.map(() => '---').join('|')}|`);
  for (const layer of layers) console.log(`| ${layer} | ${categories.map((c) => `${cell(layer, c).unique} (${cell(layer, c).detectors})`).join(' | ')} |`);
  const units = Array.from(read(model)).filter((r) => r.detector).sort((a, b) => b.score - a.score).slice(0, 10);
  console.log(`\nStrongest detectors:\n\n| layer | unit | concept | category | IoU |\n|---|---|---|---|---|`);
  for (const u of units) console.log(`| ${u.layer} | ${u.unit} | ${u.concept} | ${u.category} | ${fmt(u.score)} |`);
  console.log(`\n![${model}](${model}-detectors.png)\n\nEvery unit: [${model}.csv](${model}.csv).\n`);
}
console.log('The VGG unit by unit, labelled by its dissection, with each unit\'s top probe images and thresholded activation: [atlas/index.html](atlas/index.html).');

#!/usr/bin/env node
// `npm run demo`: runs the studies of DESIGN.md on the embedded zoo and images, one
// examples/<study>/run.sh each, and prints where the results are.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const studies = [
  ['multi-faceted neurons', 'multifaceted-neurons'],
  ['affine feature equivalence', 'affine-equivalence'],
  ['concept comparison', 'concept-venn'],
  // The microscope study holds the Network Dissection study's dissections (same models, probe,
  // settings), so examples/network-dissection is not run twice.
  ['microscope (feature visualisation + network dissection)', 'microscope'],
];
const done = [];
for (const [name, folder] of studies) {
  const script = join(root, 'examples', folder, 'run.sh');
  if (!existsSync(script)) {
    console.log(`- ${name}: coming (examples/${folder}/ is not built yet)`);
    continue;
  }
  console.log(`- ${name}: running examples/${folder}/run.sh ...`);
  const started = Date.now();
  const run = spawnSync('bash', [script], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
  done.push(`  out/${folder}/results.md  (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
console.log(`\nResults:\n${done.join('\n')}`);
if (existsSync(join(root, 'out/multifaceted-neurons/atlas/index.html'))) {
  console.log('\nBrowse the VGG model neuron by neuron: open out/multifaceted-neurons/atlas/index.html');
}

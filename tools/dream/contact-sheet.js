#!/usr/bin/env node
// The contact sheet of docs/dream.md: for one layer of each zoo model (shallow to deep),
// the feature visualisations of its first 8 units, one row per model, rendered by `dream`
// with Lucent's recipe (FFT image 128 px, standard transforms, Adam 0.05).
//
//   node tools/dream/contact-sheet.js [--steps 256] [-o docs/dream-contact-sheet.png]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const steps = arg('--steps', '256');
const output = resolve(arg('-o', join(root, 'docs/dream-contact-sheet.png')));
export const ROWS = [
  ['resnet-coarse', 'layer1'],
  ['mobilenet', 'features.3'],
  ['inception', 'inception1'],
  ['vgg', 'block3'],
  ['densenet', 'dense3'],
  ['resnet', 'layer4'],
];
const units = 8;
const size = 128;
const gap = 4;
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-contact-'));
try {
  const tiles = [];
  for (const [model, layer] of ROWS) {
    const png = join(dir, model);
    const run = spawnSync(process.execPath, [
      join(root, 'packages/dream/bin/dream.js'), '--model', join(root, `examples/zoo/${model}.onnx`), '--layer', layer,
      ...Array.from({ length: units }, (_, c) => ['--channel', String(c)]).flat(), '--steps', steps, '--size', String(size),
      '--png', png, '-o', join(dir, `${model}.arrows`),
    ], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'inherit'] });
    if (run.status !== 0) process.exit(run.status ?? 1);
    for (let c = 0; c < units; c++) tiles.push(readFileSync(join(png, `${layer.replace(/[^A-Za-z0-9._-]+/g, '_')}-${c}.png`)));
    console.error(`contact sheet: ${model} ${layer} done`);
  }
  const width = units * size + (units + 1) * gap;
  const height = ROWS.length * size + (ROWS.length + 1) * gap;
  const composite = tiles.map((input, i) => ({ input, left: gap + (i % units) * (size + gap), top: gap + Math.floor(i / units) * (size + gap) }));
  await sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } }).composite(composite).png().toFile(output);
  console.error(`contact sheet: ${output}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

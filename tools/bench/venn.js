#!/usr/bin/env node
// Benchmark of `venn` on a 100k-neuron pair (4 layers, 2,000-word vocabulary, 10% plural
// spellings): the whole command, node start included, for every report, with --normalize.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Table, tableToIPC } from 'apache-arrow';
import { META, float64Data, int32Data, makeBatch, utf8Data } from '@cnnpipe/core';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const layers = [['layer1', 10_000], ['layer2', 20_000], ['layer3', 30_000], ['layer4', 40_000]];

function synthetic(seed) {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const layer = [], unit = [], concept = [], score = [];
  for (const [name, size] of layers) {
    for (let u = 0; u < size; u++) {
      const word = Math.floor(rand() ** 2 * 2000);
      layer.push(name);
      unit.push(u);
      concept.push(rand() < 0.1 ? `concept${word}s` : `concept${word}`);
      score.push(rand());
    }
  }
  const batch = makeBatch(
    { layer: utf8Data(layer), unit: int32Data(Int32Array.from(unit)), concept: utf8Data(concept), score: float64Data(Float64Array.from(score)) },
    new Map([[META.kind, 'concepts']]),
  );
  return tableToIPC(new Table([batch]), 'stream');
}

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-venn-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'a.arrows'), synthetic(1));
writeFileSync(join(dir, 'b.arrows'), synthetic(2));
console.log('venn benchmark: 100k + 100k neurons, --normalize, whole command (node start included)');
for (const report of ['summary', 'per-layer', 'concepts', 'top', 'scores']) {
  const start = performance.now();
  const run = spawnSync(process.execPath, [join(root, 'packages/venn/bin/venn.js'), join(dir, 'a.arrows'), join(dir, 'b.arrows'), '--normalize', '--report', report, '-o', join(dir, 'out.arrows')], { stdio: ['ignore', 'ignore', 'ignore'] });
  console.log(`  ${report.padEnd(10)} ${(performance.now() - start).toFixed(0)} ms${run.status === 0 ? '' : ' (failed)'}`);
}

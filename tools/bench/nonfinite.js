#!/usr/bin/env node
// What core's NaN/Inf policy costs topk on N images x 512 channels (default 100,000):
//   scan:     topk's heap loop (offerBlock, which carries the fused per-row sum) vs the same
//             loop without the sum (a copy of it below), on the numbers already in memory,
//             alternating, median of --repeat runs; the difference as a share of the whole
//             `topk -k 100 FILE -o OUT` command (wall clock, median);
//   skip:     `topk -k 100 --skip-nonfinite` (a scan of its own before the heap loop) vs
//             plain `topk -k 100`, whole commands.
//   node tools/bench/nonfinite.js [--images N] [--repeat R]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArrowWriter, META, fixedSizeListData, int32Data, makeBatch, utf8Data } from '@cnnpipe/core';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const { NeuronHeaps, offerBlock } = await import(join(root, 'packages/topk/dist/heap.js'));
const argValue = (name) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : NaN);
const images = argValue('--images') || 100_000;
const repeat = argValue('--repeat') || 5;
const channels = 512;
const block = 4096;
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-nonfinite-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

const raw = new Float32Array(images * channels);
for (let i = 0; i < raw.length; i++) raw[i] = rand() * 4;
const meta = new Map([[META.kind, 'activations'], [META.classes, JSON.stringify(['a', 'b'])]]);
let writer;
for (let start = 0; start < images; start += block) {
  const n = Math.min(block, images - start);
  const batch = makeBatch(
    {
      image: utf8Data(Array.from({ length: n }, (_, i) => `img${start + i}.png`)),
      label: int32Data(Int32Array.from({ length: n }, (_, i) => (start + i) % 2)),
      class: utf8Data(Array.from({ length: n }, (_, i) => ['a', 'b'][(start + i) % 2])),
      layer: fixedSizeListData(raw.subarray(start * channels, (start + n) * channels), channels),
    },
    meta,
  );
  writer ??= ArrowWriter.open(join(dir, 'acts.arrows'), batch.schema);
  await writer.write(batch);
}
await writer.close();

/** offerBlock as it was before the NaN/Inf sum rode along (top-k branch only). */
function offerBlockUnchecked(heaps, values, rows, firstSeq, payloadOf) {
  const c = heaps.neurons;
  const threshold = heaps.threshold;
  for (let r = 0; r < rows; r++) {
    const base = r * c;
    let payload;
    let got = false;
    for (let n = 0; n < c; n++) {
      const v = values[base + n];
      if (v > threshold[n]) {
        if (!got) {
          payload = payloadOf(r);
          got = true;
        }
        heaps.insert(n, v, firstSeq + r, -1, payload);
      }
    }
  }
  return -1;
}

function kernel(offer) {
  const heaps = new NeuronHeaps(channels, 100, false);
  const t = performance.now();
  for (let start = 0; start < images; start += block) {
    const rows = Math.min(block, images - start);
    if (offer(heaps, raw.subarray(start * channels, (start + rows) * channels), rows, start, (r) => start + r) >= 0) throw new Error('unexpected NaN');
  }
  return (performance.now() - t) / 1000;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
kernel(offerBlock);
kernel(offerBlockUnchecked);
const checked = [];
const unchecked = [];
for (let i = 0; i < repeat; i++) {
  checked.push(kernel(offerBlock));
  unchecked.push(kernel(offerBlockUnchecked));
}

const topkBin = join(root, 'packages/topk/bin/topk.js');
function time(args) {
  const t = performance.now();
  const run = spawnSync(process.execPath, [topkBin, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) throw new Error(`topk ${args.join(' ')} failed`);
  return (performance.now() - t) / 1000;
}
const file = join(dir, 'acts.arrows');
const plain = [];
const skip = [];
for (let i = 0; i < repeat; i++) {
  plain.push(time(['-k', '100', file, '-o', join(dir, 'a.arrows')]));
  skip.push(time(['-k', '100', '--skip-nonfinite', file, '-o', join(dir, 'b.arrows')]));
}
const s = (x) => `${(x * 1000).toFixed(0)} ms`;
const scanCost = median(checked) - median(unchecked);
console.log(`NaN/Inf policy, topk -k 100 on ${images} x ${channels} (median of ${repeat})`);
console.log(`  heap loop with the fused check    ${s(median(checked))}`);
console.log(`  heap loop without it              ${s(median(unchecked))}`);
console.log(`  whole topk command                ${s(median(plain))}`);
console.log(`  check's cost / whole command      ${((100 * scanCost) / median(plain)).toFixed(2)} %`);
console.log(`  topk --skip-nonfinite (own scan)  ${s(median(skip))} (${((100 * (median(skip) - median(plain))) / median(plain)).toFixed(1)} % over plain)`);

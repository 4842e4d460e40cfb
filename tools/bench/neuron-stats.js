#!/usr/bin/env node
// Benchmark of the neuron statistics, each against the numpy code a notebook user writes:
//   topk -k 100 over N images x 512 channels streamed from a file  vs  np.argpartition +
//   sort on the same matrix already in memory;
//   similarity of a 512 x 1000 CoF table  vs  np.corrcoef + pairwise Euclidean distances.
//   node tools/bench/neuron-stats.js [--images N]   (default 100000)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArrowWriter, META, fixedSizeListData, int32Data, makeBatch, utf8Data } from '@cnnpipe/core';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const images = Number(process.argv[process.argv.indexOf('--images') + 1]) || 100_000;
const channels = 512;
const classes = Array.from({ length: 1000 }, (_, i) => `class${i}`);
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-stats-'));
let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

// Activations: written as an Arrow stream and as raw float32 for numpy.
const raw = new Float32Array(images * channels);
for (let i = 0; i < raw.length; i++) raw[i] = rand() * 4;
writeFileSync(join(dir, 'acts.f32'), raw);
const meta = new Map([[META.kind, 'activations'], [META.classes, JSON.stringify(classes)]]);
const chunk = 4096;
let writer;
for (let start = 0; start < images; start += chunk) {
  const n = Math.min(chunk, images - start);
  const batch = makeBatch(
    {
      image: utf8Data(Array.from({ length: n }, (_, i) => `img${start + i}.png`)),
      label: int32Data(Int32Array.from({ length: n }, (_, i) => (start + i) % 1000)),
      class: utf8Data(Array.from({ length: n }, (_, i) => classes[(start + i) % 1000])),
      layer: fixedSizeListData(raw.subarray(start * channels, (start + n) * channels), channels),
    },
    meta,
  );
  writer ??= ArrowWriter.open(join(dir, 'acts.arrows'), batch.schema);
  await writer.write(batch);
}
await writer.close();

// CoF: 512 neurons x 1000 classes.
const counts = Int32Array.from({ length: channels * 1000 }, () => Math.floor(rand() ** 3 * 20));
writeFileSync(join(dir, 'cof.i32'), counts);
const cof = makeBatch(
  {
    layer: utf8Data(Array(channels).fill('layer')),
    neuron: int32Data(Int32Array.from({ length: channels }, (_, i) => i)),
    counts: fixedSizeListData(counts, 1000),
    total: int32Data(Int32Array.from({ length: channels }, () => 100)),
  },
  new Map([[META.kind, 'cof'], [META.classes, JSON.stringify(classes)]]),
);
const cofWriter = ArrowWriter.open(join(dir, 'cof.arrows'), cof.schema);
await cofWriter.write(cof);
await cofWriter.close();

function time(command, args) {
  const start = performance.now();
  const run = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) throw new Error(`${command} failed`);
  return (performance.now() - start) / 1000;
}

const numpy = `
import sys, time, numpy as np
d = sys.argv[1]; n = int(sys.argv[2])
x = np.fromfile(d + '/acts.f32', dtype=np.float32).reshape(n, 512)
t = time.perf_counter()
idx = np.argpartition(-x, 100, axis=0)[:100]
vals = np.take_along_axis(x, idx, axis=0)
order = np.argsort(-vals, axis=0, kind='stable')
top = np.take_along_axis(idx, order, axis=0)
t_topk = time.perf_counter() - t
c = np.fromfile(d + '/cof.i32', dtype=np.int32).reshape(512, 1000).astype(np.float64)
t = time.perf_counter()
p = np.corrcoef(c)
sq = (c * c).sum(1)
e = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * c @ c.T, 0))
t_sim = time.perf_counter() - t
print(t_topk, t_sim)
`;
const py = spawnSync('/usr/bin/python3', ['-c', numpy, dir, String(images)], { encoding: 'utf8' });
const [npTopk, npSim] = py.status === 0 ? py.stdout.trim().split(' ').map(Number) : [NaN, NaN];
const tTopk = time(process.execPath, [join(root, 'packages/topk/bin/topk.js'), '-k', '100', join(dir, 'acts.arrows'), '-o', join(dir, 'topk.arrows')]);
const tSim = time(process.execPath, [join(root, 'packages/similarity/bin/similarity.js'), join(dir, 'cof.arrows'), '-o', join(dir, 'sim.arrows')]);

console.log(`neuron-stats benchmark (${images} images x ${channels} channels; CoF ${channels} x 1000)`);
console.log('task | cnnpipe (whole command, streamed from file) | numpy (in memory, compute only) | ratio numpy/cnnpipe');
console.log(`topk -k 100 | ${tTopk.toFixed(2)} s (${(images / tTopk).toFixed(0)} rows/s) | ${npTopk.toFixed(2)} s (${(images / npTopk).toFixed(0)} rows/s) | ${(npTopk / tTopk).toFixed(2)}x`);
console.log(`similarity | ${tSim.toFixed(2)} s | ${npSim.toFixed(2)} s | ${(npSim / tSim).toFixed(2)}x`);

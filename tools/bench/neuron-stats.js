#!/usr/bin/env node
// Benchmark of the neuron statistics, each against the numpy code a notebook user writes:
//   topk -k 100 over N images x 512 channels streamed from a file  vs  np.argpartition +
//   sort on the same matrix;
//   similarity of a 512 x 1000 CoF table  vs  np.corrcoef + pairwise Euclidean distances.
// Two comparisons, because a command's fixed start-up (node, module loading, yargs,
// onnxruntime session) is a large part of a short task:
//   whole:   the cnnpipe command, wall clock, reading its Arrow file and writing its output
//            vs  the numpy script run the same way (python start, import numpy, np.fromfile
//            of the same numbers as raw binary, the computation);
//   kernel:  the tool's own kernel on the same numbers already in memory (topk: the heaps of
//            offerBlock over 4096-row blocks, then each neuron's sorted list; similarity:
//            similarityMatrices, whose first call creates the onnxruntime session), in a
//            fresh node process, first call and warm median  vs  numpy's computation alone
//            (time.perf_counter around it, in a fresh python process).
// The start-up column (the same command on a one-row input of the same kind: node, module
// loading, yargs, session creation, open, write) says how much of a whole command is fixed.
// Every figure is the median of --repeat runs (default 3).
//   node tools/bench/neuron-stats.js [--images N] [--repeat R] [--keep]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArrowWriter, META, fixedSizeListData, int32Data, makeBatch, utf8Data } from '@cnnpipe/core';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const argValue = (name) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : NaN);
const images = argValue('--images') || 100_000;
const repeat = argValue('--repeat') || 3;
const channels = 512;
const classes = Array.from({ length: 1000 }, (_, i) => `class${i}`);
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-stats-'));
// ~400 MB of inputs: removed however the run ends, unless --keep.
if (!process.argv.includes('--keep')) process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
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

// One-row inputs of the same kinds: what each command costs before it has any work.
{
  const batch = makeBatch(
    {
      image: utf8Data(['img0.png']),
      label: int32Data(Int32Array.of(0)),
      class: utf8Data([classes[0]]),
      layer: fixedSizeListData(raw.subarray(0, channels), channels),
    },
    meta,
  );
  const w = ArrowWriter.open(join(dir, 'acts1.arrows'), batch.schema);
  await w.write(batch);
  await w.close();
  const small = makeBatch(
    {
      layer: utf8Data(['layer', 'layer']),
      neuron: int32Data(Int32Array.of(0, 1)),
      counts: fixedSizeListData(counts.subarray(0, 2000), 1000),
      total: int32Data(Int32Array.of(100, 100)),
    },
    new Map([[META.kind, 'cof'], [META.classes, JSON.stringify(classes)]]),
  );
  const c = ArrowWriter.open(join(dir, 'cof2.arrows'), small.schema);
  await c.write(small);
  await c.close();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(command, args) {
  const start = performance.now();
  const run = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) throw new Error(`${command} failed`);
  return (performance.now() - start) / 1000;
}

const timeMedian = (command, args) => median(Array.from({ length: repeat }, () => time(command, args)));

// The numpy side: one script per task, so its wall clock holds python's start, numpy's
// import and its own loading; it prints the computation's own time.
const numpyTopk = `
import sys, time, numpy as np
d = sys.argv[1]; n = int(sys.argv[2])
x = np.fromfile(d + '/acts.f32', dtype=np.float32).reshape(n, 512)
t = time.perf_counter()
idx = np.argpartition(-x, 100, axis=0)[:100]
vals = np.take_along_axis(x, idx, axis=0)
order = np.argsort(-vals, axis=0, kind='stable')
top = np.take_along_axis(idx, order, axis=0)
print(time.perf_counter() - t)
`;
const numpySim = `
import sys, time, numpy as np
d = sys.argv[1]
c = np.fromfile(d + '/cof.i32', dtype=np.int32).reshape(512, 1000).astype(np.float64)
t = time.perf_counter()
p = np.corrcoef(c)
sq = (c * c).sum(1)
e = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * c @ c.T, 0))
print(time.perf_counter() - t)
`;
function numpy(script) {
  const whole = [];
  const compute = [];
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    const py = spawnSync('/usr/bin/python3', ['-c', script, dir, String(images)], { encoding: 'utf8' });
    whole.push((performance.now() - start) / 1000);
    compute.push(py.status === 0 ? Number(py.stdout.trim()) : NaN);
  }
  return { whole: median(whole), compute: median(compute) };
}

// The cnnpipe kernels, in a fresh node process on the raw numbers numpy reads.
const kernels = `
import { readFileSync } from 'node:fs';
const [root, dir, images, repeat] = process.argv.slice(1);
const n = Number(images);
const { NeuronHeaps, offerBlock } = await import(root + '/packages/topk/dist/heap.js');
const { similarityMatrices } = await import(root + '/packages/similarity/dist/similarity.js');
const raw = new Float32Array(Uint8Array.from(readFileSync(dir + '/acts.f32')).buffer);
const counts = Float64Array.from(new Int32Array(Uint8Array.from(readFileSync(dir + '/cof.i32')).buffer));
const topk = [];
const sim = [];
for (let i = 0; i < Number(repeat); i++) {
  let t = performance.now();
  const heaps = new NeuronHeaps(512, 100, false);
  for (let start = 0; start < n; start += 4096) {
    const rows = Math.min(4096, n - start);
    offerBlock(heaps, raw.subarray(start * 512, (start + rows) * 512), rows, start, (r) => start + r);
  }
  for (let c = 0; c < 512; c++) heaps.sorted(c);
  topk.push((performance.now() - t) / 1000);
  t = performance.now();
  await similarityMatrices(counts, 512, 1000);
  sim.push((performance.now() - t) / 1000);
}
console.log(JSON.stringify({ topk, sim }));
`;
function kernelTimes() {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', kernels, root, dir, String(images), String(repeat)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`kernel timing failed: ${run.stderr}`);
  const { topk, sim } = JSON.parse(run.stdout);
  const of = (xs) => ({ first: xs[0], warm: median(xs.length > 1 ? xs.slice(1) : xs) });
  return { topk: of(topk), sim: of(sim) };
}

const topkBin = join(root, 'packages/topk/bin/topk.js');
const simBin = join(root, 'packages/similarity/bin/similarity.js');
const tTopk = timeMedian(process.execPath, [topkBin, '-k', '100', join(dir, 'acts.arrows'), '-o', join(dir, 'topk.arrows')]);
const tTopkStart = timeMedian(process.execPath, [topkBin, '-k', '100', join(dir, 'acts1.arrows'), '-o', join(dir, 'topk1.arrows')]);
const tSim = timeMedian(process.execPath, [simBin, join(dir, 'cof.arrows'), '-o', join(dir, 'sim.arrows')]);
const tSimStart = timeMedian(process.execPath, [simBin, join(dir, 'cof2.arrows'), '-o', join(dir, 'sim2.arrows')]);
const npTopk = numpy(numpyTopk);
const npSim = numpy(numpySim);
const kernel = kernelTimes();

const s = (t) => (t < 0.1 ? `${(t * 1000).toFixed(0)} ms` : `${t.toFixed(2)} s`);
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
console.log(`neuron-stats benchmark (${images} images x ${channels} channels; CoF ${channels} x 1000; median of ${repeat})`);
console.log('ratio = numpy time / cnnpipe time (above 1: cnnpipe is faster)');
console.log(
  'task | cnnpipe whole command (Arrow file in, file out) | numpy whole script (python start + import + np.fromfile + compute) | ratio | ' +
    'cnnpipe start-up (same command, 1-row input) | cnnpipe kernel in memory (first call / warm) | numpy compute in memory | ratio (first / warm)',
);
const row = (task, whole, start, np, k) =>
  console.log(
    `${task} | ${whole} | ${s(np.whole)} | ${ratio(np.whole, tOf[task])} | ${s(start)} | ${s(k.first)} / ${s(k.warm)} | ${s(np.compute)} | ` +
      `${ratio(np.compute, k.first)} / ${ratio(np.compute, k.warm)}`,
  );
const tOf = { 'topk -k 100': tTopk, similarity: tSim };
row('topk -k 100', `${s(tTopk)} (${(images / tTopk).toFixed(0)} rows/s)`, tTopkStart, npTopk, kernel.topk);
row('similarity', s(tSim), tSimStart, npSim, kernel.sim);

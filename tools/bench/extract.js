#!/usr/bin/env node
// Benchmark of `extract`: the same model, layers and images three ways in one run —
// the tool end to end, raw onnxruntime on pre-decoded tensors (the ceiling), and a
// PyTorch forward-hook notebook (Debian's torch, same threads). Prints images/s and ratios.
//
// Two figures for the tool: whole command (process start, model load, session, every
// image) and steady state: the extra time N images take over one batch, per image —
// what a long run converges to. The baselines time their image loop only, as before
// (no interpreter start, no torch import, no session creation, ORT not even decoding).
// On a shared machine every figure is the median of --repeat runs.
//
//   node tools/bench/extract.js [--images N] [--repeat R]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const { createSession, ort } = await import('@cnnpipe/core');
const { planExtraction } = await import(join(root, 'packages/extract/dist/extract.js'));
const { loadModel } = await import(join(root, 'packages/extract/dist/onnx-model.js'));
const { extractionGraph } = await import(join(root, 'packages/extract/dist/rewrite.js'));
const { loadImage, resolvePreprocess } = await import('@cnnpipe/core');

const flag = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const count = flag('--images', 7000);
const repeat = flag('--repeat', 1);
const batch = 32;
const threads = 2;
const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-'));

function images(n) {
  const base = join(root, 'examples/data/fashion-mnist');
  const all = [];
  for (const split of ['test', 'train']) {
    for (const cls of readdirSync(join(base, split)).sort()) for (const f of readdirSync(join(base, split, cls)).sort()) all.push(join(base, split, cls, f));
  }
  return all.slice(0, n);
}

async function rawOnnxruntime(modelPath, layers, pp, paths, batch) {
  const plan = await planExtraction(loadModel(modelPath), layers, { pool: 'mean', argmax: false, logits: false, size: pp.size });
  const { session } = await createSession(extractionGraph(plan.model, plan.taps, plan), { intraOpThreads: threads });
  const per = pp.channels * pp.size * pp.size;
  const pixels = new Float32Array(paths.length * per);
  await Promise.all(paths.map((p, i) => loadImage(p, pp, pixels, i * per)));
  const start = performance.now();
  for (let i = 0; i < paths.length; i += batch) {
    const n = Math.min(batch, paths.length - i);
    await session.run({ [plan.input.name]: new ort.Tensor('float32', pixels.subarray(i * per, (i + n) * per), [n, pp.channels, pp.size, pp.size]) });
  }
  const seconds = (performance.now() - start) / 1000;
  // Its idle thread pool must not share the cores with the runs that follow.
  await session.release();
  return seconds;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function medianOf(measure) {
  const times = [];
  for (let r = 0; r < repeat; r++) times.push(await measure());
  return median(times);
}

function writeList(name, paths) {
  const list = join(dir, name);
  writeFileSync(list, paths.join('\n'));
  return list;
}

function tool(modelPath, layers, list, extra) {
  const args = [join(root, 'packages/extract/bin/extract.js'), '--model', modelPath, ...layers.flatMap((l) => ['--layer', l]), ...extra, `@${list}`, '-o', join(dir, 'out.arrows')];
  const start = performance.now();
  const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) throw new Error('extract failed');
  return (performance.now() - start) / 1000;
}

function torch(family, layers, list, size, resize) {
  const out = spawnSync(python, [join(root, 'tools/bench/extract_torch.py'), '--family', family, '--list', list, '--layers', layers.join(','), '--size', String(size), '--resize', String(resize), '--threads', String(threads)], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr);
  return JSON.parse(out.stdout.trim().split('\n').pop()).seconds;
}

const cases = [
  { name: 'zoo resnet (28x28 gray)', family: 'resnet', model: join(root, 'examples/zoo/resnet.onnx'), layers: ['layer2', 'layer4'], channels: 1, preset: 'gray', n: count },
  { name: 'torchvision resnet18 (224x224 RGB, random weights)', family: 'resnet18', model: join(dir, 'resnet18.onnx'), layers: ['layer2', 'layer4'], channels: 3, preset: 'imagenet', n: Math.min(count, 512) },
];

console.log(`extract benchmark: ${threads} threads, batch ${batch}, median of ${repeat} run(s), torch ${hasTorch ? 'available' : 'missing (PyTorch column skipped)'}`);
console.log('case | images | extract measured as | extract img/s | raw onnxruntime img/s | PyTorch hooks img/s | extract/ORT | extract/PyTorch');
for (const c of cases) {
  if (c.family === 'resnet18') {
    if (!hasTorch) continue;
    spawnSync(python, [join(root, 'tools/bench/extract_torch.py'), '--family', 'resnet18', '--list', '/dev/null', '--layers', 'layer2', '--size', '224', '--resize', '256', '--export', c.model], { stdio: 'inherit' });
    if (!existsSync(c.model)) continue;
  }
  const paths = images(c.n);
  const list = writeList(`${c.family}.txt`, paths);
  const oneBatch = writeList(`${c.family}-1.txt`, paths.slice(0, batch));
  const pp = resolvePreprocess(c.channels, { preset: c.preset });
  const extra = ['--preset', c.preset, '--batch', String(batch)];
  const tTool = await medianOf(() => tool(c.model, c.layers, list, extra));
  const tOneBatch = await medianOf(() => tool(c.model, c.layers, oneBatch, extra));
  const tRaw = await medianOf(() => rawOnnxruntime(c.model, c.layers, pp, paths, batch));
  const tTorch = hasTorch ? await medianOf(() => torch(c.family, c.layers, list, pp.size, pp.resize)) : NaN;
  const whole = paths.length / tTool;
  const steady = (paths.length - batch) / (tTool - tOneBatch);
  const raw = paths.length / tRaw;
  const pytorch = paths.length / tTorch;
  const ratios = (rate) => `${((rate / raw) * 100).toFixed(0)}% | ${hasTorch ? (rate / pytorch).toFixed(2) + 'x' : '-'}`;
  const n = (rate) => rate.toFixed(0);
  console.log(`${c.name} | ${paths.length} | whole command | ${n(whole)} | ${n(raw)} | ${hasTorch ? n(pytorch) : '-'} | ${ratios(whole)}`);
  console.log(`${c.name} | ${paths.length} | steady state | ${n(steady)} | ${n(raw)} | ${hasTorch ? n(pytorch) : '-'} | ${ratios(steady)}`);
  console.log(`  (extract: ${tTool.toFixed(2)} s for ${paths.length} images, ${tOneBatch.toFixed(2)} s for one batch of ${batch}: start-up, model, session)`);
}

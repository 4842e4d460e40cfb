#!/usr/bin/env node
// Benchmark of `extract`: the same model, layers and images three ways in one run —
// the tool end to end, raw onnxruntime on pre-decoded tensors (the ceiling), and a
// PyTorch forward-hook notebook (Debian's torch, same threads). Prints images/s and ratios.
//
//   node tools/bench/extract.js [--images N]
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

const count = Number(process.argv[process.argv.indexOf('--images') + 1]) || 1000;
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
  return (performance.now() - start) / 1000;
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
  { name: 'torchvision resnet18 (224x224 RGB, random weights)', family: 'resnet18', model: join(dir, 'resnet18.onnx'), layers: ['layer2', 'layer4'], channels: 3, preset: 'imagenet', n: Math.min(count, 256) },
];

console.log(`extract benchmark: ${threads} threads, batch 32, torch ${hasTorch ? 'available' : 'missing (PyTorch column skipped)'}`);
console.log('case | images | extract img/s | raw onnxruntime img/s | PyTorch hooks img/s | extract/ORT | extract/PyTorch');
for (const c of cases) {
  if (c.family === 'resnet18') {
    if (!hasTorch) continue;
    spawnSync(python, [join(root, 'tools/bench/extract_torch.py'), '--family', 'resnet18', '--list', '/dev/null', '--layers', 'layer2', '--size', '224', '--resize', '256', '--export', c.model], { stdio: 'inherit' });
    if (!existsSync(c.model)) continue;
  }
  const paths = images(c.n);
  const list = join(dir, `${c.family}.txt`);
  writeFileSync(list, paths.join('\n'));
  const pp = resolvePreprocess(c.channels, { preset: c.preset });
  const tTool = tool(c.model, c.layers, list, ['--preset', c.preset, '--batch', '32']);
  const tRaw = await rawOnnxruntime(c.model, c.layers, pp, paths, 32);
  const tTorch = hasTorch ? torch(c.family, c.layers, list, pp.size, pp.resize) : NaN;
  const rate = (t) => (paths.length / t).toFixed(0);
  console.log(
    `${c.name} | ${paths.length} | ${rate(tTool)} | ${rate(tRaw)} | ${hasTorch ? rate(tTorch) : '-'} | ${(tRaw / tTool * 100).toFixed(0)}% | ${hasTorch ? (tTorch / tTool).toFixed(2) + 'x' : '-'}`,
  );
}

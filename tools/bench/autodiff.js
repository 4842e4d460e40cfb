#!/usr/bin/env node
// Benchmark of @cnnpipe/autodiff: forward + backward on torchvision ResNet18 at 224x224
// (random weights, built by Debian's torchvision at bench time, exported with
// torch.onnx.export), the input gradient of one layer4 channel mean per image — the step
// `saliency` and `dream` repeat. cnnpipe: the gradient graph in one onnxruntime session;
// PyTorch: forward, loss, loss.backward() onto the input, with the weights frozen (the same
// work) and as a notebook leaves them (their gradients computed too). All on 2 threads, same batch
// and input; median seconds per step over --repeat steps after one warm-up. Prints images/s,
// the ratio, and how far the two gradients are apart (at 224 about 3e-3: one ReLU in layer1
// whose pre-activation is within float32 rounding of 0 falls the other way; see
// packages/autodiff/src/session.ts).
//
//   node tools/bench/autodiff.js [--batch 8] [--repeat 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const { ort } = await import('@cnnpipe/core');
const { loadModel, resolveLayer } = await import('@cnnpipe/extract');
const { createGradientSession, gradientGraph, channelMeanSeed } = await import('@cnnpipe/autodiff');

const flag = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const batch = flag('--batch', 8);
const repeat = flag('--repeat', 3);
const threads = 2;
const python = '/usr/bin/python3';
if (spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status !== 0) {
  console.log('autodiff bench: skipped (no /usr/bin/python3 with torch and torchvision to build ResNet18)');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-autodiff-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const torchRun = spawnSync(python, [join(root, 'tools/bench/autodiff_torch.py'), dir, String(batch), String(repeat), String(threads)], { encoding: 'utf8' });
if (torchRun.status !== 0) throw new Error(torchRun.stderr);
const torch = JSON.parse(torchRun.stdout.trim().split('\n').pop());

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const model = loadModel(join(dir, 'resnet18.onnx'));
let start = performance.now();
const graph = await gradientGraph(model, [resolveLayer(model, 'layer4')], { size: 224 });
const { session } = await createGradientSession(graph, { intraOpThreads: threads });
const buildSeconds = (performance.now() - start) / 1000;
const per = 3 * 224 * 224;
const x = new Float32Array(batch * per);
for (let i = 0; i < x.length; i++) x[i] = (4 * (Math.imul(i + 1, 0x9e3779b1) >>> 0)) / 4294967296 - 2;
const feeds = {
  [graph.input]: new ort.Tensor('float32', x, [batch, ...graph.inputShape]),
  [graph.seeds[0]]: new ort.Tensor('float32', channelMeanSeed(graph.tapShapes[0], Array(batch).fill(torch.channel)), [batch, ...graph.tapShapes[0]]),
};
const first = await session.run(feeds);
const times = [];
for (let r = 0; r < repeat; r++) {
  start = performance.now();
  await session.run(feeds);
  times.push((performance.now() - start) / 1000);
}
await session.release();

const ours = first[graph.gradient].data;
const reference = new Float32Array(Uint8Array.from(readFileSync(join(dir, 'grad.f32'))).buffer);
let diff = 0;
let norm = 0;
for (let i = 0; i < reference.length; i++) {
  diff += (ours[i] - reference[i]) ** 2;
  norm += reference[i] ** 2;
}
const cnnpipe = median(times);
console.log(`autodiff: ResNet18 @224, forward + backward to the input (layer4 channel mean), batch ${batch}, ${threads} threads, median of ${repeat} steps`);
console.log(`  cnnpipe (onnxruntime, gradient graph)  ${(batch / cnnpipe).toFixed(2).padStart(7)} images/s  (${cnnpipe.toFixed(3)} s/step; graph + session built in ${buildSeconds.toFixed(2)} s)`);
const torchAll = torch.seconds_per_step_with_weight_grads;
const torchFrozen = torch.seconds_per_step;
console.log(`  PyTorch loss.backward(), weights frozen ${(batch / torchFrozen).toFixed(2).padStart(6)} images/s  (${torchFrozen.toFixed(3)} s/step)`);
console.log(`  PyTorch loss.backward(), as a notebook  ${(batch / torchAll).toFixed(2).padStart(6)} images/s  (${torchAll.toFixed(3)} s/step; the weights' gradients too)`);
console.log(`  ratio cnnpipe / PyTorch                ${(torchFrozen / cnnpipe).toFixed(2)}x (weights frozen), ${(torchAll / cnnpipe).toFixed(2)}x (as a notebook)`);
console.log(`  gradients agree to ${(Math.sqrt(diff / norm)).toExponential(2)} relative (||delta|| / ||g||)`);

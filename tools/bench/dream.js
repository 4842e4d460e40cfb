#!/usr/bin/env node
// Benchmark of `dream`: Lucent's feature-visualisation recipe (FFT image 128 px with colour
// decorrelation, the standard transforms, upsampling to 224, Adam) for one layer3 channel of
// torchvision ResNet18 (random weights, built by Debian's torchvision at bench time), batch
// 8, 2 threads, against the same recipe written in PyTorch with autograd
// (tools/bench/dream_torch.py; the network cut after layer3 on both sides).
// Whole process vs whole process (start, model load, graph/session build, every step, the
// PNG and value measurement on our side), and the steady state: steps/s from the difference
// of two runs of different length (ours) and the median step time after the first (PyTorch).
//
//   node tools/bench/dream.js [--steps 12] [--batch 8]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const flag = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const steps = flag('--steps', 12);
const batch = flag('--batch', 8);
const threads = 2;
const python = '/usr/bin/python3';
if (spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status !== 0) {
  console.log('dream bench: skipped (no /usr/bin/python3 with torch and torchvision to build ResNet18)');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-dream-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const script = join(root, 'tools/bench/dream_torch.py');
const exported = spawnSync(python, [script, 'export', dir], { encoding: 'utf8' });
if (exported.status !== 0) throw new Error(exported.stderr);

function timed(command, args) {
  const start = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
  return { seconds, stdout: result.stdout };
}

const channel = 7;
const dream = (n) =>
  timed(process.execPath, [
    join(root, 'packages/dream/bin/dream.js'),
    '--model', join(dir, 'resnet18.onnx'), '--layer', 'layer3',
    ...Array.from({ length: batch }, () => ['--channel', String(channel)]).flat(),
    '--batch', String(batch), '--size', '128', '--preset', 'imagenet', '--resize', '224', '--input-size', '224',
    '--steps', String(n), '--threads', String(threads), '-o', join(dir, 'vis.arrows'),
  ]).seconds;

const short = 2;
const oursShort = dream(short);
const oursLong = dream(short + steps);
const oursSteady = (oursLong - oursShort) / steps;
const torch = timed(python, [script, 'run', dir, String(short + steps), String(batch), String(threads)]);
const torchSteady = JSON.parse(torch.stdout.trim().split('\n').pop()).seconds_per_step;

console.log(`dream: ResNet18 layer3 channel ${channel}, 128 px FFT image, Lucent's transforms, upsampled to 224, batch ${batch}, ${threads} threads, ${short + steps} steps`);
console.log(`  whole process   dream ${oursLong.toFixed(1).padStart(6)} s   PyTorch ${torch.seconds.toFixed(1).padStart(6)} s   ratio ${(torch.seconds / oursLong).toFixed(2)}x`);
console.log(`  steady state    dream ${(1 / oursSteady).toFixed(2).padStart(6)} steps/s   PyTorch ${(1 / torchSteady).toFixed(2).padStart(6)} steps/s   ratio ${(torchSteady / oursSteady).toFixed(2)}x`);

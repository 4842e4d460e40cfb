#!/usr/bin/env node
// Benchmark of extract's preprocessing (decode, Resize(256), CenterCrop(224), normalise) per
// image, three ways in one run: cnnpipe with the default PIL-exact kernel, with
// `--resize-kernel libvips`, and what a notebook runs (PIL + torchvision's transforms,
// Debian's python3, one process, timing its image loop only). Inputs: scikit-learn's two
// sample photos (640x427 JPEG) and the demo's 28x28 gray PNGs, imagenet preset.
//
//   node tools/bench/preprocess.js [--images N] [--repeat R]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const { decodeBatch, resolvePreprocess } = await import('@cnnpipe/core');
const flag = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const count = flag('--images', 128);
const repeat = flag('--repeat', 3);
const python = '/usr/bin/python3';
const hasTorchvision = spawnSync(python, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0;

const photoFiles = ['china', 'flower'].map((f) => `/usr/lib/python3/dist-packages/sklearn/datasets/images/${f}.jpg`).filter((p) => existsSync(p));
const fashion = join(root, 'examples/data/fashion-mnist/test');
const pngs = readdirSync(fashion).sort().flatMap((c) => readdirSync(join(fashion, c)).sort().map((f) => join(fashion, c, f)));
const cases = [
  ['640x427 JPEG photos', Array.from({ length: count }, (_, i) => photoFiles[i % photoFiles.length])],
  ['28x28 gray PNGs (as RGB)', pngs.slice(0, count)],
].filter(([, paths]) => paths.every(Boolean));

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];

async function cnnpipe(paths, kernel) {
  const pp = resolvePreprocess(3, { preset: 'imagenet', resizeKernel: kernel });
  const times = [];
  for (let r = 0; r < repeat; r++) {
    const start = performance.now();
    for (let i = 0; i < paths.length; i += 32) await decodeBatch(paths.slice(i, i + 32), pp);
    times.push((performance.now() - start) / paths.length);
  }
  return median(times);
}

function torchvision(paths) {
  const script = `
import sys, time
from PIL import Image
from torchvision import transforms as T
t = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
paths = sys.stdin.read().split("\\n")
best = []
for _ in range(${repeat}):
    s = time.perf_counter()
    for p in paths:
        t(Image.open(p).convert("RGB"))
    best.append((time.perf_counter() - s) * 1000 / len(paths))
print(sorted(best)[(len(best) - 1) // 2])`;
  const run = spawnSync(python, ['-c', script], { input: paths.join('\n'), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return Number(run.stdout.trim());
}

console.log(`preprocessing benchmark: imagenet preset, ms per image (median of ${repeat}), batches of 32, torchvision ${hasTorchvision ? 'available' : 'missing (column skipped)'}`);
console.log('images | n | cnnpipe pil (exact) | cnnpipe libvips | PIL + torchvision | pil/torchvision | libvips/torchvision');
for (const [name, paths] of cases) {
  const pil = await cnnpipe(paths, 'pil');
  const vips = await cnnpipe(paths, 'libvips');
  const tv = hasTorchvision ? torchvision(paths) : NaN;
  const ratio = (ms) => (hasTorchvision ? `${(tv / ms).toFixed(2)}x faster` : '-');
  console.log(`${name} | ${paths.length} | ${pil.toFixed(2)} | ${vips.toFixed(2)} | ${hasTorchvision ? tv.toFixed(2) : '-'} | ${ratio(pil)} | ${ratio(vips)}`);
}

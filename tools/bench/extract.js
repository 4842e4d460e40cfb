#!/usr/bin/env node
// Benchmark of `extract`: the same model, layers and images three ways in one run — the tool
// end to end, raw onnxruntime on pre-decoded tensors (the ceiling), and a PyTorch forward-hook
// notebook (Debian's torch, same threads). Prints images/s, CPU seconds and ratios.
//
// Figures for the tool: whole command (process start, model load, session, every image) and
// steady state (the extra time N images take over one batch, per image). Raw onnxruntime is
// its inference loop only (no start-up, session or decode): the ceiling. PyTorch twice: its
// whole process (interpreter, torch import, model, every image — what a user waits for) and
// its image loop only, as older runs of this bench reported it.
//
// Two input protocols: the demo's 28x28 PNGs upscaled to 224 (decode is nearly free: what this
// bench reported before), and 640x427 photos as JPEG and as PNG (decode and the PIL-exact
// resize cost ~3-5 ms each: what a user's ImageNet-style folder costs). The overlap ceiling
// is the best whole/raw any overlap of decoding with inference could reach, start-up aside:
// raw onnxruntime keeps both cores busy, so the decoding's CPU adds to the inference's on
// the same cores. Runs alternate tool / raw / PyTorch within each repeat, so load on the
// shared machine hits all alike; the ratio of medians is printed with each repeat's own ratio
// beside it, and CPU seconds, which load disturbs less than wall time.
//
// Big models: VGG16 (553 MB of weights): `extract --list-layers` against PyTorch building the
// model and printing its named modules, and a 32-image job both ways, wall, CPU and peak
// memory (max RSS from /usr/bin/time). The model is made once into the cache folder.
//
//   node tools/bench/extract.js [--images N] [--repeat R] [--skip-vgg]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const { createSession, ort } = await import('@cnnpipe/core');
const { planExtraction } = await import(join(root, 'packages/extract/dist/extract.js'));
const { loadModel } = await import(join(root, 'packages/extract/dist/onnx-model.js'));
const { extractionGraph } = await import(join(root, 'packages/extract/dist/rewrite.js'));
const { loadImage, resolvePreprocess } = await import('@cnnpipe/core');
const sharp = (await import('sharp')).default;

const flag = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const count = flag('--images', 7000);
const repeat = flag('--repeat', 1);
const skipVgg = process.argv.includes('--skip-vgg');
const batch = 32;
const threads = 2;
const python = '/usr/bin/python3';
const hasTorch = existsSync(python) && spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
const hasTime = existsSync('/usr/bin/time');
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-'));
// Made once, kept between runs (never in the repository): photos, VGG16.
const cache = join(tmpdir(), 'cnnpipe-bench-cache');
mkdirSync(cache, { recursive: true });
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function fashion(n) {
  const base = join(root, 'examples/data/fashion-mnist');
  const all = [];
  for (const split of ['test', 'train']) {
    for (const cls of readdirSync(join(base, split)).sort()) for (const f of readdirSync(join(base, split, cls)).sort()) all.push(join(base, split, cls, f));
  }
  return all.slice(0, n);
}

/** `n` photo-sized images (640x427 windows of scikit-learn's two sample photos, shifted and mirrored; noise where scikit-learn is missing). */
async function photos(format, n) {
  const folder = join(cache, `photos-${format}`);
  mkdirSync(folder, { recursive: true });
  const have = readdirSync(folder).filter((f) => f.endsWith(`.${format}`)).length;
  if (have < n) {
    const found = spawnSync(python, ['-c', 'import os, sklearn.datasets as d; print(os.path.join(os.path.dirname(d.__file__), "images"))'], { encoding: 'utf8' });
    const imagesDir = found.status === 0 ? found.stdout.trim() : '';
    const sources = ['china.jpg', 'flower.jpg'].map((f) => join(imagesDir, f)).filter((p) => imagesDir && existsSync(p));
    for (let i = have; i < n; i++) {
      let image;
      if (sources.length > 0) {
        // 10% larger, then a shifted 640x427 window: every photo decodes to different bytes.
        image = sharp(sources[i % sources.length]).resize(704, 470).extract({ left: (i * 7) % 64, top: (i * 5) % 43, width: 640, height: 427 });
        if (i % 4 >= 2) image = image.flop();
      } else {
        const raw = Buffer.alloc(640 * 427 * 3);
        for (let p = 0; p < raw.length; p++) raw[p] = ((p * 2654435761 + i * 97) >>> 24) & 0xff;
        image = sharp(raw, { raw: { width: 640, height: 427, channels: 3 } }).blur(2);
      }
      await (format === 'jpg' ? image.jpeg({ quality: 90 }) : image.png()).toFile(join(folder, `${String(i).padStart(5, '0')}.${format}`));
    }
  }
  return readdirSync(folder).filter((f) => f.endsWith(`.${format}`)).sort().slice(0, n).map((f) => join(folder, f));
}

/** Wall, CPU (user + system, children included) and peak memory of one process. */
function measure(command, args) {
  const stats = join(dir, 'time.txt');
  const start = performance.now();
  const run = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', stats, command, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 })
    : spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  const wall = (performance.now() - start) / 1000;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
  if (!hasTime) return { wall, cpu: NaN, rss: NaN, stdout: run.stdout };
  const [user, system, kb] = readFileSync(stats, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
  return { wall, cpu: user + system, rss: kb / 1024, stdout: run.stdout };
}

async function rawOnnxruntime(modelPath, layers, pp, paths) {
  const model = loadModel(modelPath, { weights: 'referenced' });
  const plan = await planExtraction(model, layers, { pool: 'mean', argmax: false, logits: false, size: pp.size });
  const { session } = await createSession(extractionGraph(plan.model, plan.taps, plan), { intraOpThreads: threads, externalDataFolder: model.weightsFolder });
  const per = pp.channels * pp.size * pp.size;
  const pixels = new Float32Array(paths.length * per);
  // The decoding's own CPU (sharp's threads included: process-wide), for the overlap ceiling.
  const decodeStart = process.cpuUsage();
  await Promise.all(paths.map((p, i) => loadImage(p, pp, pixels, i * per)));
  const decoded = process.cpuUsage(decodeStart);
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < paths.length; i += batch) {
    const n = Math.min(batch, paths.length - i);
    await session.run({ [plan.input.name]: new ort.Tensor('float32', pixels.subarray(i * per, (i + n) * per), [n, pp.channels, pp.size, pp.size]) });
  }
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  // Its idle thread pool must not share the cores with the runs that follow.
  await session.release();
  return { wall: seconds, cpu: (used.user + used.system) / 1e6, decodeCpu: (decoded.user + decoded.system) / 1e6 };
}

/**
 * The best whole/raw any overlap of decoding with inference could reach on `threads` cores,
 * start-up aside: the images' inference CPU plus their decoding CPU spread over the cores
 * (raw onnxruntime already keeps both busy), or raw's own time if that is longer.
 */
function overlapCeiling(rawWall, rawCpu, decodeCpu) {
  return rawWall / Math.max(rawWall, (rawCpu + decodeCpu) / threads);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Per field, the median over runs. */
function medians(runs) {
  return Object.fromEntries(Object.keys(runs[0]).filter((k) => typeof runs[0][k] === 'number').map((k) => [k, median(runs.map((r) => r[k]))]));
}

function writeList(name, paths) {
  const list = join(dir, name);
  writeFileSync(list, paths.join('\n'));
  return list;
}

const extractBin = join(root, 'packages/extract/bin/extract.js');
const tool = (modelPath, layers, list, extra) =>
  measure(process.execPath, [extractBin, '--model', modelPath, ...layers.flatMap((l) => ['--layer', l]), ...extra, `@${list}`, '-o', join(dir, 'out.arrows')]);

const torchScript = join(root, 'tools/bench/extract_torch.py');
function torch(family, layers, list, size, resize) {
  const run = measure(python, [torchScript, '--family', family, '--list', list, '--layers', layers.join(','), '--size', String(size), '--resize', String(resize), '--threads', String(threads)]);
  return { ...run, loop: JSON.parse(run.stdout.trim().split('\n').pop()).seconds };
}

const resnet18 = join(cache, 'resnet18.onnx');
const cases = [
  { name: 'zoo resnet, 28x28 gray PNG', family: 'resnet', model: join(root, 'examples/zoo/resnet.onnx'), layers: ['layer2', 'layer4'], channels: 1, preset: 'gray', paths: () => fashion(count) },
  { name: 'resnet18 @224, 28x28 PNG upscaled', family: 'resnet18', model: resnet18, layers: ['layer2', 'layer4'], channels: 3, preset: 'imagenet', paths: () => fashion(Math.min(count, 512)) },
  { name: 'resnet18 @224, 640x427 JPEG', family: 'resnet18', model: resnet18, layers: ['layer2', 'layer4'], channels: 3, preset: 'imagenet', paths: () => photos('jpg', Math.min(count, 256)) },
  { name: 'resnet18 @224, 640x427 PNG', family: 'resnet18', model: resnet18, layers: ['layer2', 'layer4'], channels: 3, preset: 'imagenet', paths: () => photos('png', Math.min(count, 256)) },
];

const n0 = (rate) => rate.toFixed(1);
const pct = (x) => `${(x * 100).toFixed(0)}%`;
console.log(`extract benchmark: ${threads} threads, batch ${batch}, median of ${repeat} run(s), torch ${hasTorch ? 'available' : 'missing (PyTorch columns skipped)'}`);
console.log('case | images | extract whole img/s | extract steady img/s | raw onnxruntime img/s | whole/raw | steady/raw | overlap ceiling | PyTorch whole-process img/s | PyTorch loop img/s | whole vs PyTorch whole | whole vs PyTorch loop | CPU s extract / raw / PyTorch');
for (const c of cases) {
  if (c.family === 'resnet18') {
    if (!hasTorch && !existsSync(c.model)) {
      console.log(`${c.name}: skipped (no ${c.model} and no python3 with torch to make it)`);
      continue;
    }
    if (!existsSync(c.model)) spawnSync(python, [torchScript, '--family', 'resnet18', '--list', '/dev/null', '--layers', 'layer2', '--size', '224', '--resize', '256', '--export', c.model], { stdio: 'inherit' });
  }
  const paths = await c.paths();
  const list = writeList(`${c.family}.txt`, paths);
  const oneBatch = writeList(`${c.family}-1.txt`, paths.slice(0, batch));
  const pp = resolvePreprocess(c.channels, { preset: c.preset });
  const extra = ['--preset', c.preset, '--batch', String(batch)];
  const runs = [];
  for (let r = 0; r < repeat; r++) {
    const whole = tool(c.model, c.layers, list, extra);
    const one = tool(c.model, c.layers, oneBatch, extra);
    const raw = await rawOnnxruntime(c.model, c.layers, pp, paths);
    const py = hasTorch ? torch(c.family, c.layers, list, pp.size, pp.resize) : { wall: NaN, cpu: NaN, loop: NaN };
    runs.push({ whole: whole.wall, wholeCpu: whole.cpu, one: one.wall, raw: raw.wall, rawCpu: raw.cpu, decodeCpu: raw.decodeCpu, torch: py.wall, torchCpu: py.cpu, torchLoop: py.loop, ratio: raw.wall / whole.wall });
  }
  const m = medians(runs);
  const n = paths.length;
  const whole = n / m.whole;
  const steady = (n - batch) / (m.whole - m.one);
  const raw = n / m.raw;
  const cells = [
    c.name, n, n0(whole), n0(steady), n0(raw), pct(whole / raw), pct(steady / raw), pct(overlapCeiling(m.raw, m.rawCpu, m.decodeCpu)),
    hasTorch ? n0(n / m.torch) : '-', hasTorch ? n0(n / m.torchLoop) : '-',
    hasTorch ? `${(m.torch / m.whole).toFixed(2)}x` : '-', hasTorch ? `${(m.torchLoop / m.whole).toFixed(2)}x` : '-',
    `${m.wholeCpu.toFixed(1)} / ${m.rawCpu.toFixed(1)} / ${hasTorch ? m.torchCpu.toFixed(1) : '-'}`,
  ];
  console.log(cells.join(' | '));
  const each = runs.map((r) => pct(r.ratio)).join(', ');
  console.log(`  (extract: ${m.whole.toFixed(2)} s for ${n} images, ${m.one.toFixed(2)} s for one batch of ${batch}: start-up, model, session; whole/raw of medians, per repeat ${each}; CPU extract/raw ${pct(m.rawCpu / m.wholeCpu)})`);
  console.log(
    `  (raw onnxruntime keeps ${(m.rawCpu / m.raw).toFixed(2)} of ${threads} cores busy at ${((m.rawCpu / n) * 1000).toFixed(1)} ms CPU per image; decoding costs ${((m.decodeCpu / n) * 1000).toFixed(1)} ms CPU per image: ` +
      `overlap ceiling = raw time / ((inference + decode CPU) / ${threads} cores))`,
  );
}

// VGG16: a 553 MB model.
const vgg = join(cache, 'vgg16.onnx');
if (skipVgg) console.log('VGG16: skipped (--skip-vgg)');
else if (!existsSync(vgg) && !hasTorch) console.log(`VGG16: skipped (no ${vgg} and no python3 with torch/torchvision to make it)`);
else {
  if (!existsSync(vgg)) {
    console.log(`VGG16: exporting torchvision's vgg16 (random weights) to ${vgg} once`);
    spawnSync(python, [torchScript, '--family', 'vgg16', '--list', '/dev/null', '--layers', 'features.29', '--size', '224', '--resize', '256', '--export', vgg], { stdio: 'inherit' });
  }
  const layers = ['features.29', 'classifier.4'];
  const list = writeList('vgg-32.txt', (await photos('jpg', 32)).slice(0, 32));
  const runs = [];
  for (let r = 0; r < repeat; r++) {
    const listed = measure(process.execPath, [extractBin, '--model', vgg, '--list-layers']);
    const modules = hasTorch ? measure(python, [torchScript, '--family', 'vgg16', '--list', '/dev/null', '--layers', '', '--size', '224', '--resize', '256', '--list-modules']) : { wall: NaN, cpu: NaN, rss: NaN };
    const job = tool(vgg, layers, list, ['--preset', 'imagenet', '--batch', '32']);
    const py = hasTorch ? torch('vgg16', layers, list, 224, 256) : { wall: NaN, cpu: NaN, rss: NaN, loop: NaN };
    runs.push({ list: listed.wall, listCpu: listed.cpu, listRss: listed.rss, pyList: modules.wall, pyListRss: modules.rss, job: job.wall, jobCpu: job.cpu, jobRss: job.rss, py: py.wall, pyCpu: py.cpu, pyRss: py.rss, pyLoop: py.loop });
  }
  const m = medians(runs);
  const mb = (x) => `${x.toFixed(0)} MB`;
  console.log('VGG16 (553 MB) | extract | PyTorch | extract/PyTorch');
  console.log(`--list-layers vs build + print named modules, wall | ${m.list.toFixed(2)} s (CPU ${m.listCpu.toFixed(2)} s) | ${m.pyList.toFixed(2)} s | ${(m.list / m.pyList).toFixed(2)}x`);
  console.log(`--list-layers peak memory | ${mb(m.listRss)} | ${mb(m.pyListRss)} | ${(m.listRss / m.pyListRss).toFixed(2)}x`);
  console.log(`32 JPEGs @224 (${layers.join(', ')}), whole process | ${m.job.toFixed(2)} s (CPU ${m.jobCpu.toFixed(1)} s) | ${m.py.toFixed(2)} s (CPU ${m.pyCpu.toFixed(1)} s; loop ${m.pyLoop.toFixed(2)} s) | ${(m.job / m.py).toFixed(2)}x`);
  console.log(`32 JPEGs @224 peak memory | ${mb(m.jobRss)} | ${mb(m.pyRss)} | ${(m.jobRss / m.pyRss).toFixed(2)}x`);
}

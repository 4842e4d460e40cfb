#!/usr/bin/env node
// Benchmark of `describe` (CLIP-Dissect soft-wpmi) against the numpy transcription of
// CLIP-Dissect's similarity.py (packages/describe/src/test-support/clip_dissect.py) in
// float32, as CLIP-Dissect runs it: N probe images x K neurons x C random concepts of D
// dimensions (default 10k x 512 x 20k x 512). Whole command vs whole script, one run each:
// node or python start, reading the inputs (Arrow files / raw float32), the computation,
// writing the descriptions; describe in float64 (its default, memory bounded by the blocks),
// float32, and float32 with --cache-mb large enough to keep the first pass's terms (one
// image x concept product instead of two, at images x concepts x 4 bytes of memory). CPU time (user +
// system, GNU time) is printed beside wall time because on a shared machine the wall clock
// of a multithreaded onnxruntime run stretches with other load more than numpy's mostly
// single-threaded loop. Peak memory is each process's maximum resident set size.
// Agreement: the share of neurons with the same description, and the largest score
// difference (the script runs in float32, as CLIP-Dissect does).
//   node tools/bench/describe.js [--images N] [--neurons K] [--concepts C] [--dim D] [--similarity S] [--keep]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { ArrowWriter, META, fixedSizeListData, int32Data, makeBatch, utf8Data } from '@cnnpipe/core';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const n = Number(arg('--images', 10_000));
const k = Number(arg('--neurons', 512));
const c = Number(arg('--concepts', 20_000));
const d = Number(arg('--dim', 512));
const similarity = arg('--similarity', 'soft-wpmi');
const python = '/usr/bin/python3';
const gnuTime = '/usr/bin/time';
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-describe-'));
if (!process.argv.includes('--keep')) process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

let seed = 2026;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const gaussian = () => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
const fill = (size, f) => {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = f();
  return out;
};
const images = fill(n * d, gaussian);
const concepts = fill(c * d, gaussian);
const acts = fill(n * k, () => Math.max(0, gaussian()));
const names = Array.from({ length: n }, (_, i) => `img${i}.png`);
const words = Array.from({ length: c }, (_, i) => `word${i}`);

async function writeArrow(file, kind, rows, columns) {
  let writer;
  for (let start = 0; start < rows; start += 4096) {
    const end = Math.min(rows, start + 4096);
    const batch = makeBatch(columns(start, end), new Map([[META.kind, kind]]));
    writer ??= ArrowWriter.open(file, batch.schema);
    await writer.write(batch);
  }
  await writer.close();
}
const base = (s, e) => ({ image: utf8Data(names.slice(s, e)), label: int32Data(new Int32Array(e - s), () => true), class: utf8Data(new Array(e - s).fill(null)) });
await writeArrow(join(dir, 'acts.arrows'), 'activations', n, (s, e) => ({ ...base(s, e), layer4: fixedSizeListData(acts.subarray(s * k, e * k), k) }));
await writeArrow(join(dir, 'clip.arrows'), 'activations', n, (s, e) => ({ ...base(s, e), logits: fixedSizeListData(images.subarray(s * d, e * d), d) }));
await writeArrow(join(dir, 'words.arrows'), 'embeddings', c, (s, e) => ({ concept: utf8Data(words.slice(s, e)), embedding: fixedSizeListData(concepts.subarray(s * d, e * d), d) }));
writeFileSync(join(dir, 'E.f32'), images);
writeFileSync(join(dir, 'T.f32'), concepts);
writeFileSync(join(dir, 'layer4.f32'), acts);
const defaults = { 'soft-wpmi': [100, 10, 1], wpmi: [28, 2, 0.6], cos3: [0, 1, 0] }[similarity];
writeFileSync(
  join(dir, 'meta.json'),
  JSON.stringify({ n, d, c, layers: [['layer4', k]], method: similarity, top_k: defaults[0], a: defaults[1], lam: defaults[2], min_prob: 1e-7, p_start: 0.998, p_end: 0.97, min_norm: 1e-3 }),
);

/** Runs a command under GNU time: wall seconds, CPU seconds (user + system) and peak RSS (MiB). */
function measure(command, args) {
  const timeFile = join(dir, 'time.txt');
  const start = performance.now();
  const useTime = existsSync(gnuTime);
  const run = useTime
    ? spawnSync(gnuTime, ['-f', '%U %S %M', '-o', timeFile, command, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    : spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr}`);
  const [user, sys, rss] = useTime ? readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number) : [NaN, NaN, NaN];
  return { seconds, cpu: user + sys, peak: rss / 1024 };
}

const line = (name, m) => console.log(`  ${name.padEnd(46)} ${m.seconds.toFixed(2).padStart(7)} s wall ${m.cpu.toFixed(2).padStart(7)} s CPU   peak ${m.peak.toFixed(0)} MiB`);
console.log(`describe benchmark: ${n} images x ${k} neurons x ${c} concepts x ${d} dims, --similarity ${similarity}; whole command vs whole script, one run each`);
const describeArgs = (flags, out) => [join(root, 'packages/describe/bin/describe.js'), '--activations', join(dir, 'acts.arrows'), '--image-embeddings', join(dir, 'clip.arrows'), '--concepts', join(dir, 'words.arrows'), '--similarity', similarity, ...flags, '-o', join(dir, out)];
// The cache that holds every first-pass term: images x concepts x 4 bytes, in MiB.
const cacheMb = String(Math.ceil((n * c * 4) / 2 ** 20) + 1);
const ref = measure(python, [join(root, 'packages/describe/src/test-support/clip_dissect.py'), dir, '--dtype', 'float32']);
line('numpy transcription of CLIP-Dissect (float32)', ref);
const want = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')).layers[0];
const runs = [
  ['default (float64)', []],
  ['--precision float32', ['--precision', 'float32']],
  [`--precision float32 --cache-mb ${cacheMb}`, ['--precision', 'float32', '--cache-mb', cacheMb]],
];
for (const [i, [name, flags]] of runs.entries()) {
  const ours = measure(process.execPath, describeArgs(flags, `run${i}.arrows`));
  line(`describe ${name}`, ours);
  console.log(`    ratio numpy/describe: ${(ref.seconds / ours.seconds).toFixed(2)}x wall, ${(ref.cpu / ours.cpu).toFixed(2)}x CPU, ${(ref.peak / ours.peak).toFixed(2)}x peak memory`);
  const table = tableFromIPC(readFileSync(join(dir, `run${i}.arrows`)));
  const got = table.getChild('concept').toArray();
  const gotScore = table.getChild('score').toArray();
  let same = 0;
  let maxDiff = 0;
  for (let j = 0; j < k; j++) {
    if (got[j] === words[want.index[j][0]]) same++;
    maxDiff = Math.max(maxDiff, Math.abs(gotScore[j] - want.score[j][0]));
  }
  console.log(`    vs the float32 script: ${same}/${k} same descriptions, largest best-score difference ${maxDiff.toExponential(2)}`);
  if (i > 0) {
    // float32 against describe's own float64 run.
    const exact = tableFromIPC(readFileSync(join(dir, 'run0.arrows')));
    const exactConcept = exact.getChild('concept').toArray();
    const exactScore = exact.getChild('score').toArray();
    let agree = 0;
    let diff = 0;
    for (let j = 0; j < k; j++) {
      if (got[j] === exactConcept[j]) agree++;
      diff = Math.max(diff, Math.abs(gotScore[j] - exactScore[j]));
    }
    console.log(`    vs describe's float64: ${agree}/${k} same descriptions, largest best-score difference ${diff.toExponential(2)}`);
  }
}

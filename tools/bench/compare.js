#!/usr/bin/env node
// Benchmark of `compare` (linear CKA of every layer of one zoo model against every layer of
// another) against the numpy script a user writes: load each layer's activations (.npy, as a
// forward hook would have saved them), centre them in float64, and for every layer pair
// ‖X'Y‖²_F / (‖X'X‖_F ‖Y'Y‖_F) (Kornblith et al.'s feature-space formula). Whole process vs
// whole process: node start, Arrow read, streamed Gram, output  vs  python start, numpy
// import, np.load, the formula. Both over the 7,000 demo images (train + test); extraction is
// done once beforehand and not timed. Peak memory (max RSS) of both, and of compare on half
// the images (flat: the statistics do not grow with the images). Median of --repeat runs.
//   node tools/bench/compare.js [--a vgg] [--b resnet] [--repeat 3] [--keep]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const models = [arg('--a', 'vgg'), arg('--b', 'resnet')];
const repeat = Number(arg('--repeat', '3'));
// Every top-level module of the two zoo models, in network order.
const LAYERS = {
  vgg: ['block1', 'pool1', 'block2', 'pool2', 'block3', 'pool3', 'block4', 'pool', 'fc'],
  resnet: ['conv1', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'pool', 'fc'],
  'resnet-coarse': ['conv1', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4', 'pool', 'fc'],
};
const images = ['train', 'test'].map((s) => join(root, 'examples/data/fashion-mnist', s));
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-compare-'));
if (!process.argv.includes('--keep')) process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const bin = (tool) => join(root, 'packages', tool, 'bin', `${tool}.js`);

function run(command, args) {
  const started = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
  const [kb, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { seconds, cpu: user + sys, peakMb: kb / 1024, stdout: r.stdout };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A float32 n x d matrix as a .npy file (format 1.0). */
function writeNpy(file, values, n, d) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${n}, ${d}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head.writeUInt8(1, 6);
  head.writeUInt8(0, 7);
  head.writeUInt16LE(header.length, 8);
  writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(values.buffer, values.byteOffset, values.byteLength)]));
}

console.error('compare benchmark: extracting activations (not timed) ...');
for (const [tag, shard] of [['all', []], ['half', ['--shard', '0/2']], ['five', ['--shard', '0/1400']]]) {
  for (const m of models) {
    const layers = LAYERS[m].flatMap((l) => ['--layer', l]);
    run(process.execPath, [bin('extract'), '--model', join(root, 'examples/zoo', `${m}.onnx`), ...layers, ...shard, ...images, '-o', join(dir, `${m}-${tag}.arrows`)]);
  }
}
// The same numbers for numpy, one .npy per layer.
let n = 0;
for (const m of models) {
  const table = tableFromIPC(readFileSync(join(dir, `${m}-all.arrows`)));
  n = table.numRows;
  for (const l of LAYERS[m]) {
    const col = table.getChild(l);
    const d = col.type.listSize;
    const values = new Float32Array(n * d);
    let at = 0;
    for (const data of col.data) {
      values.set(data.children[0].values.subarray(0, data.length * d), at);
      at += data.length * d;
    }
    writeNpy(join(dir, `${m}-${l}.npy`), values, n, d);
  }
}

const script = `
import sys, json, numpy as np
d, a, b = sys.argv[1], sys.argv[2].split(','), sys.argv[3].split(',')
def load(model, layer):
    x = np.load(f'{d}/{model}-{layer}.npy').astype(np.float64)
    return x - x.mean(0, keepdims=True)
xs = [load('${models[0]}', l) for l in a]
ys = [load('${models[1]}', l) for l in b]
nx = [np.linalg.norm(x.T @ x) for x in xs]
ny = [np.linalg.norm(y.T @ y) for y in ys]
out = [np.linalg.norm(x.T @ y) ** 2 / (nx[i] * ny[j]) for i, x in enumerate(xs) for j, y in enumerate(ys)]
print(json.dumps(out))
`;
writeFileSync(join(dir, 'cka.py'), script);

const tool = [];
const numpy = [];
const half = [];
const five = [];
let ours;
let theirs;
for (let r = 0; r < repeat; r++) {
  tool.push(run(process.execPath, [bin('compare'), join(dir, `${models[0]}-all.arrows`), join(dir, `${models[1]}-all.arrows`), '-o', join(dir, 'cka.arrows')]));
  half.push(run(process.execPath, [bin('compare'), join(dir, `${models[0]}-half.arrows`), join(dir, `${models[1]}-half.arrows`), '-o', join(dir, 'cka-half.arrows')]));
  five.push(run(process.execPath, [bin('compare'), join(dir, `${models[0]}-five.arrows`), join(dir, `${models[1]}-five.arrows`), '-o', join(dir, 'cka-five.arrows')]));
  const py = run('/usr/bin/python3', [join(dir, 'cka.py'), dir, LAYERS[models[0]].join(','), LAYERS[models[1]].join(',')]);
  numpy.push(py);
  theirs = JSON.parse(py.stdout);
}
ours = Array.from(tableFromIPC(readFileSync(join(dir, 'cka.arrows'))).getChild('value').toArray());
const diff = Math.max(...ours.map((v, i) => Math.abs(v - theirs[i])));
const fig = (runs) => `${median(runs.map((x) => x.seconds)).toFixed(2)} s (CPU ${median(runs.map((x) => x.cpu)).toFixed(2)} s), peak ${median(runs.map((x) => x.peakMb)).toFixed(0)} MB`;
const t = median(tool.map((x) => x.seconds));
const p = median(numpy.map((x) => x.seconds));
const pairs = LAYERS[models[0]].length * LAYERS[models[1]].length;
console.log(`compare benchmark: linear CKA, ${models[0]} (${LAYERS[models[0]].length} layers) x ${models[1]} (${LAYERS[models[1]].length} layers) = ${pairs} pairs, ${n} images, median of ${repeat}`);
console.log(`compare A B (whole command, Arrow files):      ${fig(tool)}`);
console.log(`  the same on half the images (${Math.ceil(n / 2)}):        ${fig(half)}`);
console.log(`  the same on 5 images (start-up):            ${fig(five)}`);
console.log(`numpy script (whole process, .npy per layer):  ${fig(numpy)}`);
console.log(`ratio numpy/compare (wall clock): ${(p / t).toFixed(2)}x (CPU time: ${(median(numpy.map((x) => x.cpu)) / median(tool.map((x) => x.cpu))).toFixed(2)}x); largest |CKA difference|: ${diff.toExponential(1)}`);

#!/usr/bin/env node
// Benchmark of `lstsq fit` against numpy.linalg.lstsq (SVD, OpenBLAS, same cores) on the same
// synthetic data: y = x M + c + noise. Reports seconds, ratio, peak memory of the tool, and
// the largest relative coefficient difference between the two maps.
//   node tools/bench/lstsq.js [--rows N] [--dim D]     (default 20000 x 1024 -> 1024)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArrowWriter, META, fixedSizeListData, gemm, int32Data, makeBatch, matrix, utf8Data } from '@cnnpipe/core';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const rows = arg('--rows', 20000);
const dim = arg('--dim', 1024);
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-lstsq-'));
let seed = 7;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);

const mixing = Float32Array.from({ length: dim * dim }, () => rand() / Math.sqrt(dim));
const x = Float32Array.from({ length: rows * dim }, rand);
// y = x M through onnxruntime's Gemm (a JS loop would take minutes), then bias and noise.
const y = (await gemm(matrix(x, rows, dim), matrix(mixing, dim, dim))).data;
for (let i = 0; i < y.length; i++) y[i] += 0.3 + 0.01 * rand();
writeFileSync(join(dir, 'x.f32'), x);
writeFileSync(join(dir, 'y.f32'), y);
async function write(name, values) {
  const chunk = 2000;
  let writer;
  for (let s = 0; s < rows; s += chunk) {
    const n = Math.min(chunk, rows - s);
    const batch = makeBatch(
      {
        image: utf8Data(Array.from({ length: n }, (_, i) => `img${s + i}`)),
        label: int32Data(new Int32Array(n)),
        class: utf8Data(Array(n).fill('x')),
        features: fixedSizeListData(values.subarray(s * dim, (s + n) * dim), dim),
      },
      new Map([[META.kind, 'activations']]),
    );
    writer ??= ArrowWriter.open(join(dir, name), batch.schema);
    await writer.write(batch);
  }
  await writer.close();
}
await write('x.arrows', x);
await write('y.arrows', y);

const start = performance.now();
const tool = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, join(root, 'packages/lstsq/bin/lstsq.js'), 'fit', '--source', join(dir, 'x.arrows:features'), '--target', join(dir, 'y.arrows:features'), '-o', join(dir, 'map.arrows')], { encoding: 'utf8' });
const seconds = (performance.now() - start) / 1000;
if (tool.status !== 0) throw new Error(tool.stderr);
const peakKb = Number(tool.stderr.trim().split('\n').pop());

const script = `
import sys, time, numpy as np
d, n, dim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x = np.fromfile(d + '/x.f32', dtype=np.float32).reshape(n, dim).astype(np.float64)
y = np.fromfile(d + '/y.f32', dtype=np.float32).reshape(n, dim).astype(np.float64)
t = time.perf_counter()
a = np.hstack([x, np.ones((n, 1))])
coef = np.linalg.lstsq(a, y, rcond=None)[0]
print(time.perf_counter() - t)
np.save(d + '/coef.npy', coef)
`;
const py = spawnSync('/usr/bin/python3', ['-c', script, dir, String(rows), String(dim)], { encoding: 'utf8' });
const npSeconds = py.status === 0 ? Number(py.stdout.trim()) : NaN;

console.log(`lstsq benchmark: ${rows} rows, ${dim} -> ${dim}`);
console.log(`lstsq fit (whole command, streamed from files): ${seconds.toFixed(2)} s, peak ${(peakKb / 1024).toFixed(0)} MB`);
console.log(`numpy.linalg.lstsq (in memory, solve only):     ${npSeconds.toFixed(2)} s`);
console.log(`ratio numpy/lstsq: ${(npSeconds / seconds).toFixed(2)}x`);

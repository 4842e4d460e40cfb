#!/usr/bin/env node
// Benchmark of `lstsq fit` against numpy.linalg.lstsq (SVD, OpenBLAS, same cores) on the same
// synthetic data: y = x M + c + noise, x ReLU-like float32 features. Whole process against
// whole process (numpy's includes loading the float32 arrays from disk; its solve alone is
// printed too), peak memory of both, and the agreement of the two maps: the largest relative
// difference of the coefficients and of the predictions on the training rows.
// The machine is shared: runs of the two alternate (tool, numpy, tool, numpy, ...) and the
// best of each is reported, wall and CPU (user + system) separately.
// The tool runs with its default Gram path (--gram auto, today float64 Gemm; the line says which
// ran), and once more with each other path (--gram int8: exact int8 digit products on AMX, 7 and
// 6 digits; --gram int8:4, 4 digits, faster and less exact) for their ratios and agreement.
//   node tools/bench/lstsq.js [--rows N --dim D [--target-dim E]] [--repeat R] [--gram auto|int8|float64] [--no-compare]
//   (default: 20000 x 1024 -> 1536 twice each, then 50000 x 2048 -> 2048 once each)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArrowWriter, META, fixedSizeListData, fixedSizeListValues, gemm, int32Data, makeBatch, matrix, primitiveValues, utf8Data } from '@cnnpipe/core';
import { tableFromIPC } from 'apache-arrow';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback);
const repeatOf = (rows) => arg('--repeat', rows <= 20000 ? 2 : 1);
const TARGET = 3;
const gramFlag = process.argv.includes('--gram') ? process.argv[process.argv.indexOf('--gram') + 1] : 'auto';
const otherGrams = process.argv.includes('--no-compare') ? [] : ['float64', 'int8', 'int8:4'].filter((g) => g !== (gramFlag === 'auto' ? 'float64' : gramFlag));
const cases = process.argv.includes('--rows')
  ? [[arg('--rows', 20000), arg('--dim', 1024), arg('--target-dim', arg('--dim', 1024))]]
  : [
      [20000, 1024, 1536],
      [50000, 2048, 2048],
    ];

async function writeActivations(path, values, rows, dim) {
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
    writer ??= ArrowWriter.open(path, batch.schema);
    await writer.write(batch);
  }
  await writer.close();
}

/** Runs a command under /usr/bin/time: wall seconds, CPU seconds (user + system), peak resident MB. */
function timed(command, args) {
  const start = performance.now();
  const res = spawnSync('/usr/bin/time', ['-f', '%M %U %S', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - start) / 1000;
  if (res.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${res.stderr}`);
  const lines = res.stderr.trim().split('\n');
  const [kb, user, system] = lines.pop().split(' ').map(Number);
  return { seconds, cpu: user + system, peakMb: kb / 1024, stdout: res.stdout, stderr: lines.join('\n') };
}

const numpy = `
import sys, time, numpy as np
d, n, da, db = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
x = np.fromfile(d + '/x.f32', dtype=np.float32).reshape(n, da).astype(np.float64)
y = np.fromfile(d + '/y.f32', dtype=np.float32).reshape(n, db).astype(np.float64)
t = time.perf_counter()
a = np.hstack([x, np.ones((n, 1))])
coef = np.linalg.lstsq(a, y, rcond=None)[0]
print(time.perf_counter() - t)
coef.tofile(d + '/numpy.f64')
`;

const agreement = `
import sys, numpy as np
d, n, da, db = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
x = np.fromfile(d + '/x.f32', dtype=np.float32).reshape(n, da).astype(np.float64)
ref = np.fromfile(d + '/numpy.f64').reshape(da + 1, db)
ours = np.fromfile(d + '/ours.f64').reshape(da + 1, db)
p_ref = x @ ref[:da] + ref[da]
p_ours = x @ ours[:da] + ours[da]
print(np.abs(ours - ref).max() / np.abs(ref).max(), np.abs(p_ours - p_ref).max() / np.abs(p_ref).max())
`;

console.log('lstsq benchmark: lstsq fit (whole command, streamed from Arrow files) against numpy.linalg.lstsq on [X 1]');
for (const [rows, da, db] of cases) {
  const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-lstsq-'));
  try {
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
    const mixing = Float32Array.from({ length: da * db }, () => rand() / Math.sqrt(da));
    const x = Float32Array.from({ length: rows * da }, () => Math.max(0, rand() + 0.2));
    // y = x M through onnxruntime's Gemm (a JS loop would take minutes), then bias and noise.
    const y = (await gemm(matrix(x, rows, da), matrix(mixing, da, db))).data;
    for (let i = 0; i < y.length; i++) y[i] += 0.3 + 0.01 * rand();
    writeFileSync(join(dir, 'x.f32'), x);
    writeFileSync(join(dir, 'y.f32'), y);
    await writeActivations(join(dir, 'x.arrows'), x, rows, da);
    await writeActivations(join(dir, 'y.arrows'), y, rows, db);

    const fitArgs = (gram, out) => [join(root, 'packages/lstsq/bin/lstsq.js'), 'fit', '--gram', gram, '--source', join(dir, 'x.arrows:features'), '--target', join(dir, 'y.arrows:features'), '-o', join(dir, out)];
    const tools = [];
    const pys = [];
    for (let r = 0; r < repeatOf(rows); r++) {
      tools.push(timed(process.execPath, fitArgs(gramFlag, 'map.arrows')));
      pys.push(timed('/usr/bin/python3', ['-c', numpy, dir, String(rows), String(da), String(db)]));
    }
    const others = otherGrams.map((gram, i) => ({ gram, file: `map-other${i}.arrows`, run: timed(process.execPath, fitArgs(gram, `map-other${i}.arrows`)) }));
    const blocksOf = (run) => (/blocks: ([^\n]*)/.exec(run.stderr) ?? [, 'unknown'])[1];
    const best = (runs) => ({
      seconds: Math.min(...runs.map((t) => t.seconds)),
      cpu: Math.min(...runs.map((t) => t.cpu)),
      peakMb: Math.max(...runs.map((t) => t.peakMb)),
    });
    const tool = best(tools);
    const py = best(pys);
    const solveSeconds = Math.min(...pys.map((p) => Number(p.stdout.trim())));
    const runs = tools.length > 1 ? `best of ${tools.length} alternated runs each` : 'one run each';

    // A map in numpy's (DA+1) x DB layout, and its agreement with numpy's.
    const agreementOf = (file) => {
      const map = tableFromIPC(readFileSync(join(dir, file))).batches[0];
      const weights = fixedSizeListValues(map.getChild('weights')).values;
      const bias = primitiveValues(map.getChild('bias'));
      const coef = new Float64Array((da + 1) * db);
      for (let j = 0; j < db; j++) {
        for (let k = 0; k < da; k++) coef[k * db + j] = weights[j * da + k];
        coef[da * db + j] = bias[j];
      }
      writeFileSync(join(dir, 'ours.f64'), coef);
      const agree = spawnSync('/usr/bin/python3', ['-c', agreement, dir, String(rows), String(da), String(db)], { encoding: 'utf8' });
      return agree.status === 0 ? agree.stdout.trim().split(/\s+/).map(Number) : [NaN, NaN];
    };
    const [coefDiff, predDiff] = agreementOf('map.arrows');

    console.log(`\n${rows} rows, ${da} -> ${db} (${runs})`);
    console.log(`  lstsq fit (whole command, --gram ${gramFlag}): ${tool.seconds.toFixed(2)} s (${tool.cpu.toFixed(1)} CPU s), peak ${tool.peakMb.toFixed(0)} MB; blocks: ${blocksOf(tools[0])}`);
    console.log(`  numpy (whole process: load + lstsq): ${py.seconds.toFixed(2)} s (${py.cpu.toFixed(1)} CPU s), peak ${py.peakMb.toFixed(0)} MB; its lstsq alone ${solveSeconds.toFixed(2)} s`);
    console.log(
      `  ratio numpy/lstsq: ${(py.seconds / tool.seconds).toFixed(2)}x whole process (${(py.cpu / tool.cpu).toFixed(2)}x in CPU time), ` +
        `${(solveSeconds / tool.seconds).toFixed(2)}x against numpy's solve alone`,
    );
    console.log(`  agreement with numpy (--gram ${gramFlag}): coefficients ${coefDiff.toExponential(1)}, predictions ${predDiff.toExponential(1)} (max relative difference)`);
    for (const { gram, file, run: other } of others) {
      const [co, po] = agreementOf(file);
      console.log(
        `  --gram ${gram} (one run): ${other.seconds.toFixed(2)} s (${other.cpu.toFixed(1)} CPU s), peak ${other.peakMb.toFixed(0)} MB, blocks: ${blocksOf(other)}; ` +
          `${(other.seconds / tool.seconds).toFixed(2)}x the time of --gram ${gramFlag}, ${(py.seconds / other.seconds).toFixed(2)}x numpy; ` +
          `agreement with numpy: coefficients ${co.toExponential(1)}, predictions ${po.toExponential(1)}`,
      );
    }
    const verdict = (ratio) => `${ratio.toFixed(2)}x ${ratio >= TARGET ? 'met' : 'NOT met'}`;
    console.log(`  target ${TARGET}x numpy: wall ${verdict(py.seconds / tool.seconds)}, CPU ${verdict(py.cpu / tool.cpu)}; peak memory ${(py.peakMb / tool.peakMb).toFixed(1)}x less than numpy's`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

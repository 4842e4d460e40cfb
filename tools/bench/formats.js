#!/usr/bin/env node
// Writing and reading an N x 512 activations table (default 100,000 images) as an Arrow IPC
// stream, an Arrow IPC file and Parquet (each also with --compress), whole commands:
//   write: `concat acts.arrows -o OUT.{arrows,arrow,parquet}` (read the stream, write the format)
//   read:  `show -n 1 OUT` (reads and counts every row of a file)
// wall time, output size and peak memory (max RSS, /usr/bin/time), and the ratio to the stream.
// Half the activations are 0 (ReLU-like), the rest uniform: what --compress can save.
//   node tools/bench/formats.js [--images N]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArrowWriter, META, fixedSizeListData, int32Data, makeBatch, utf8Data } from '@cnnpipe/core';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const argValue = (name) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : NaN);
const images = argValue('--images') || 100_000;
const channels = 512;
const block = 4096;
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-formats-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let seed = 12345;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

const source = join(dir, 'acts.arrows');
const meta = new Map([[META.kind, 'activations'], [META.classes, JSON.stringify(['a', 'b'])]]);
let writer;
for (let start = 0; start < images; start += block) {
  const n = Math.min(block, images - start);
  const values = new Float32Array(n * channels);
  for (let i = 0; i < values.length; i++) values[i] = rand() < 0.5 ? 0 : rand() * 4;
  const batch = makeBatch(
    {
      image: utf8Data(Array.from({ length: n }, (_, i) => `img${start + i}.png`)),
      label: int32Data(Int32Array.from({ length: n }, (_, i) => (start + i) % 2)),
      class: utf8Data(Array.from({ length: n }, (_, i) => ['a', 'b'][(start + i) % 2])),
      layer4: fixedSizeListData(values, channels),
    },
    meta,
  );
  writer ??= ArrowWriter.open(source, batch.schema);
  await writer.write(batch);
}
await writer.close();

const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
function measure(tool, args) {
  const bin = join(root, 'packages', tool, 'bin', `${tool}.js`);
  const command = timeBin ? [timeBin, '-f', '%M', process.execPath, bin, ...args] : [process.execPath, bin, ...args];
  const t0 = performance.now();
  const result = spawnSync(command[0], command.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${result.stderr}`);
  const rssMb = timeBin ? Number(result.stderr.trim().split('\n').pop()) / 1024 : NaN;
  return { seconds, rssMb };
}

console.log(`formats: ${images.toLocaleString('en-US')} x ${channels} float32 activations (${(statSync(source).size / 1e6).toFixed(0)} MB stream), whole commands`);
console.log('format            write s  peak MB   size MB   read s  peak MB   write/stream  read/stream');
const rows = [];
for (const [label, ext, extra] of [
  ['stream', 'arrows', []],
  ['file', 'arrow', []],
  ['parquet', 'parquet', []],
  ['stream lz4', 'lz4.arrows', ['--compress']],
  ['file lz4', 'lz4.arrow', ['--compress']],
  ['parquet zstd', 'zstd.parquet', ['--compress']],
]) {
  const out = join(dir, `out.${ext}`);
  const write = measure('concat', [...extra, source, '-o', out]);
  const read = measure('show', ['-n', '1', out]);
  rows.push({ label, write, read, size: statSync(out).size / 1e6 });
  rmSync(out);
}
const base = rows[0];
for (const r of rows) {
  console.log(
    `${r.label.padEnd(16)}  ${r.write.seconds.toFixed(2).padStart(7)}  ${r.write.rssMb.toFixed(0).padStart(7)}  ${r.size.toFixed(1).padStart(8)}  ${r.read.seconds.toFixed(2).padStart(7)}  ${r.read.rssMb.toFixed(0).padStart(7)}  ${(r.write.seconds / base.write.seconds).toFixed(2).padStart(12)}x  ${(r.read.seconds / base.read.seconds).toFixed(2).padStart(10)}x`,
  );
}

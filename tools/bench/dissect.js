#!/usr/bin/env node
// Benchmark of `dissect`: the whole Network Dissection of torchvision's ResNet18 (random
// weights, built here) at layer4 at 224 over a synthetic Broden-format probe set
// (tools/probe/make_probe.py: masks 112x112, as Broden's 224 set), against NetDissect-Lite's
// method in PyTorch + numpy (tools/bench/dissect_torch.py: hook, exact quantile, upsample,
// per-unit tally). Whole process against whole process (interpreter or node start, model
// load, every image decoded, both passes), one run each; images/s, the ratio, and how far
// the two agree on the labels.
//
//   node tools/bench/dissect.js [--images N]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const { tableFromIPC } = await import('apache-arrow');
const flag = (name, fallback) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const count = flag('--images', 300);
const python = '/usr/bin/python3';
if (spawnSync(python, ['-c', 'import torch, torchvision, PIL'], { stdio: 'ignore' }).status !== 0) {
  console.log('dissect bench: skipped (needs /usr/bin/python3 with torch, torchvision and PIL)');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-dissect-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function must(result, what) {
  if (result.status !== 0) {
    console.error(`${what} failed:\n${result.stderr}`);
    process.exit(1);
  }
  return result;
}
// Wall time, and the process's CPU time through GNU time when present (on a shared machine
// the wall time also counts the other jobs' share of the cores).
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
function timed(cmd, args) {
  const start = performance.now();
  const [run, runArgs] = gnuTime ? [gnuTime, ['-f', 'cnnpipe-cpu %U %S', cmd, ...args]] : [cmd, args];
  const result = must(spawnSync(run, runArgs, { encoding: 'buffer', maxBuffer: 1 << 28 }), `${cmd} ${args.slice(0, 2).join(' ')}`);
  const stderr = result.stderr.toString();
  const cpu = /cnnpipe-cpu ([\d.]+) ([\d.]+)/.exec(stderr);
  return { seconds: (performance.now() - start) / 1000, cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined, stdout: result.stdout, stderr };
}

const probe = join(dir, 'probe');
must(spawnSync(python, [join(root, 'tools/probe/make_probe.py'), '--out', probe, '--count', String(count), '--seg', '112', '--scale', '2'], { encoding: 'utf8' }), 'make_probe.py');
const model = join(dir, 'resnet18.onnx');
must(spawnSync(python, [join(root, 'tools/bench/dissect_torch.py'), 'export', model], { encoding: 'utf8' }), 'export');

const ours = timed(process.execPath, [join(root, 'packages/dissect/bin/dissect.js'), '--model', model, '--layer', 'layer4', '--probe', probe, '--batch', '32']);
const theirs = timed(python, [join(root, 'tools/bench/dissect_torch.py'), 'run', join(dir, 'resnet18.pt'), probe, 'layer4', '0.005']);

const table = tableFromIPC(ours.stdout);
const concepts = table.getChild('concept').toArray();
const scores = table.getChild('score').toArray();
const ref = JSON.parse(theirs.stdout.toString()).units;
let same = 0;
let worst = 0;
ref.forEach((u, k) => {
  if (u.label === concepts[k]) same++;
  worst = Math.max(worst, Math.abs(u.iou - scores[k]));
});
const rate = (s) => (count / s).toFixed(1);
console.log(`dissect: ResNet18 layer4 @224, ${count} probe images (masks 112x112), 512 units, CPU`);
const cpu = (r) => (r.cpu === undefined ? '' : `  (CPU ${r.cpu.toFixed(1)} s)`);
console.log(`  dissect (whole command)                 ${ours.seconds.toFixed(2)} s  ${rate(ours.seconds)} images/s${cpu(ours)}`);
console.log(`  NetDissect-Lite method, PyTorch+numpy   ${theirs.seconds.toFixed(2)} s  ${rate(theirs.seconds)} images/s${cpu(theirs)}`);
if (ours.cpu && theirs.cpu) console.log(`  CPU-time ratio ${(theirs.cpu / ours.cpu).toFixed(2)}x`);
console.log(`  ratio ${(theirs.seconds / ours.seconds).toFixed(2)}x; same best label for ${same}/${ref.length} units, max |IoU difference| ${worst.toExponential(2)} (onnxruntime vs torch maps)`);

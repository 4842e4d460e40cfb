import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { fashionMnistDir, repoRoot, zooDir } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const testImages = join(fashionMnistDir, 'test');

describe('scale-out: shards merge into exactly the unsharded result', () => {
  it('extract --shard 0/3..2/3 | concat | topk equals extract | topk', async () => {
    const model = join(zooDir, 'resnet.onnx');
    const whole = await runBin('extract', ['--model', model, '--layer', 'layer3', '--argmax', testImages]);
    const shards = await Promise.all(
      ['0/3', '1/3', '2/3'].map(async (s, i) => {
        const path = join(dir, `shard${i}.arrows`);
        const r = await runBin('extract', ['--model', model, '--layer', 'layer3', '--argmax', '--shard', s, '-o', path, testImages]);
        expect(r.code).toBe(0);
        return path;
      }),
    );
    const merged = await runBin('concat', shards);
    // The concatenated shards hold exactly the unsharded rows (in shard order).
    const byImage = (bytes: Buffer) =>
      new Map(fromIPC(bytes).toArray().map((r) => [r.image as string, Array.from(r.layer3 as Float32Array)]));
    const wholeRows = byImage(whole.stdout);
    const mergedRows = byImage(merged.stdout);
    expect(mergedRows.size).toBe(2000);
    for (const [image, values] of wholeRows) expect(mergedRows.get(image), image).toEqual(values);
    const topWhole = await runBin('topk', ['-k', '10'], whole.stdout);
    const topMerged = await runBin('topk', ['-k', '10'], merged.stdout);
    expect(topMerged.code).toBe(0);
    const rows = (bytes: Buffer) => fromIPC(bytes).toArray().map((r) => r.toJSON());
    const a = rows(topWhole.stdout);
    expect(a.length).toBe(64 * 10);
    expect(rows(topMerged.stdout)).toEqual(a);
  });
});

describe('the multi-faceted-neuron study end to end (reduced: one layer, top 20)', () => {
  it('writes results.md with per-layer counts that add up, figures and ICA montages', () => {
    const out = join(dir, 'mf');
    const make = spawnSync('make', ['-s', '-C', join(repoRoot, 'examples', 'multifaceted-neurons'), `OUT=${out}`, 'LAYERS=block4', 'K=20'], {
      encoding: 'utf8',
    });
    expect(make.stderr.replace(/.*warning.*\n/g, '')).toBe('');
    expect(make.status).toBe(0);
    const results = readFileSync(join(out, 'results.md'), 'utf8');
    const row = /^\| block4 \| (\d+) \| (\d+) \| (\d+) \|/m.exec(results);
    expect(row).not.toBeNull();
    const [neurons, sf, mf] = row!.slice(1).map(Number);
    expect(neurons).toBe(96);
    expect(sf! + mf!).toBe(96);
    const files = readdirSync(out);
    for (const figure of ['gini-density.png', 'facets-by-layer.png', 'top-images.png', 'neurons.csv']) expect(files).toContain(figure);
    expect(readdirSync(join(out, 'ica')).filter((f) => f.startsWith('block4-')).length).toBe(96);
    // The atlas: a page per neuron, linked from results.md.
    expect(readdirSync(join(out, 'atlas', 'block4')).filter((f) => /^\d+\.html$/.test(f)).length).toBe(96);
    expect(results).toContain('[atlas/index.html](atlas/index.html)');
  });
});

describe('the affine-equivalence study end to end (reduced: two models)', () => {
  it('the logit map reproduces each source model, lstsq stays close, naive is near chance', () => {
    const out = join(dir, 'affine');
    const make = spawnSync('make', ['-s', '-j2', '-C', join(repoRoot, 'examples', 'affine-equivalence'), `OUT=${out}`, 'MODELS=vgg resnet'], { encoding: 'utf8' });
    expect(make.status, make.stderr).toBe(0);
    const table = (name: string) =>
      new Map(fromIPC(readFileSync(join(out, `${name}.arrows`))).toArray().map((r) => [`${String(r.source).replace(/\.onnx$/, '')}>${String(r.target).replace(/\.onnx$/, '')}`, r.top1 as number]));
    const own = table('accuracy-own');
    const logit = table('accuracy-logit');
    const lstsq = table('accuracy-lstsq');
    const naive = table('accuracy-naive');
    expect(logit.size).toBe(4);
    for (const a of ['vgg', 'resnet']) {
      const mine = own.get(`${a}>${a}`)!;
      expect(mine).toBeGreaterThan(0.9);
      for (const b of ['vgg', 'resnet']) {
        expect(logit.get(`${a}>${b}`), `${a}>${b}`).toBe(mine);
        expect(Math.abs(lstsq.get(`${a}>${b}`)! - mine), `${a}>${b}`).toBeLessThan(0.03);
        if (a !== b) expect(naive.get(`${a}>${b}`)!).toBeLessThan(0.5);
      }
      expect(lstsq.get(`${a}>${a}`)).toBeCloseTo(mine, 3);
    }
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toMatch(/Median change off the diagonal: /);
  });
});

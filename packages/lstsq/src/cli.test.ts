import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixedSizeListValues, primitiveValues } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMap, logitMap } from './apply.js';
import { readFinalLinear } from '@cnnpipe/core';
import { activations, asNumpyCoef, maxRelDiff, numpyLstsq, rng, tempDir } from './test-support/fixtures.js';

const N = 600;
const DA = 12;
const DB = 7;

interface Problem {
  images: string[];
  x: Float32Array;
  y: Float32Array;
}

function problem(seed: number, n = N, da = DA, db = DB): Problem {
  const r = rng(seed);
  const x = new Float32Array(n * da);
  for (let i = 0; i < x.length; i++) x[i] = r.normal() * (1 + (i % da) / 4) + 3 * ((i % da) % 3);
  const a = Array.from({ length: da * db }, () => r.normal());
  const b = Array.from({ length: db }, () => r.normal() * 5);
  const y = new Float32Array(n * db);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < db; j++) {
      let s = b[j]!;
      for (let k = 0; k < da; k++) s += x[i * da + k]! * a[k * db + j]!;
      y[i * db + j] = s + 0.5 * r.normal();
    }
  }
  const images = Array.from({ length: n }, (_, i) => `img/${String(i).padStart(5, '0')}.png`);
  return { images, x, y };
}

function mapOf(table: Table): { weights: Float64Array; bias: Float64Array; da: number; db: number } {
  const batch = table.batches[0]!;
  const { values, size } = fixedSizeListValues(batch.getChild('weights')!);
  return { weights: Float64Array.from(values), bias: Float64Array.from(primitiveValues(batch.getChild('bias')!)), da: size, db: batch.numRows };
}

describe('lstsq fit', () => {
  let dir: string;
  let p: Problem;
  let fitted: Table;
  beforeAll(async () => {
    dir = tempDir();
    p = problem(1);
    writeFileSync(join(dir, 'a.arrows'), activations(p.images, p.x, DA, { model: 'vgg.onnx', batchRows: 97 }));
    writeFileSync(join(dir, 'b.arrows'), activations(p.images, p.y, DB, { model: 'resnet.onnx', batchRows: 64, column: 'feat' }));
    const res = await runBin('lstsq', ['fit', '--source', join(dir, 'a.arrows'), '--target', join(dir, 'b.arrows:feat'), '-o', join(dir, 'map.arrows')]);
    expect(res.stderr).toMatch(/600 rows, 12 -> 7/);
    expect(res.code).toBe(0);
    fitted = fromIPC(readFileSync(join(dir, 'map.arrows')));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('agrees with numpy.linalg.lstsq on the augmented system (coefficients and R²)', () => {
    const ref = numpyLstsq(Float64Array.from(p.x), Float64Array.from(p.y), N, DA, DB);
    const map = mapOf(fitted);
    expect(map.da).toBe(DA);
    expect(map.db).toBe(DB);
    // numpy's coef is (DA+1) x DB; ours is DB rows of DA weights plus a bias.
    const ours = new Float64Array((DA + 1) * DB);
    for (let j = 0; j < DB; j++) {
      for (let k = 0; k < DA; k++) ours[k * DB + j] = map.weights[j * DA + k]!;
      ours[DA * DB + j] = map.bias[j]!;
    }
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - ref.coef[i]!) / Math.max(Math.abs(ref.coef[i]!), 1e-2));
    expect(worst).toBeLessThan(1e-6);
    const meta = fitted.schema.metadata;
    expect(meta.get('cnnpipe.kind')).toBe('affine-map');
    expect(meta.get('cnnpipe.source')).toBe('vgg');
    expect(meta.get('cnnpipe.target')).toBe('resnet');
    expect(meta.get('cnnpipe.rows')).toBe('600');
    expect(Math.abs(Number(meta.get('cnnpipe.r2')) - ref.r2)).toBeLessThan(1e-9);
  });

  it('--partial per shard then merge gives the same map as one fit (1e-9)', async () => {
    const shards = [0, 150, 420, N];
    const grams: string[] = [];
    for (let s = 0; s < 3; s++) {
      const [lo, hi] = [shards[s]!, shards[s + 1]!];
      const a = join(dir, `a${s}.arrows`);
      const b = join(dir, `b${s}.arrows`);
      writeFileSync(a, activations(p.images.slice(lo, hi), p.x.slice(lo * DA, hi * DA), DA, { model: 'vgg.onnx' }));
      writeFileSync(b, activations(p.images.slice(lo, hi), p.y.slice(lo * DB, hi * DB), DB, { model: 'resnet.onnx', column: 'feat' }));
      const g = join(dir, `g${s}.arrows`);
      const res = await runBin('lstsq', ['fit', '--partial', '--source', a, '--target', b, '-o', g]);
      expect(res.stderr).toBe('');
      expect(fromIPC(readFileSync(g)).schema.metadata.get('cnnpipe.kind')).toBe('gram');
      grams.push(g);
    }
    const res = await runBin('lstsq', ['merge', ...grams]);
    expect(res.code).toBe(0);
    const merged = mapOf(fromIPC(res.stdout));
    const one = mapOf(fitted);
    expect(maxRelDiff(merged.weights, one.weights)).toBeLessThan(1e-9);
    expect(maxRelDiff(merged.bias, one.bias)).toBeLessThan(1e-9);
    expect(fromIPC(res.stdout).schema.metadata.get('cnnpipe.rows')).toBe('600');
  });

  it('apply adds the mapped features, X W\' + b', async () => {
    const res = await runBin('lstsq', ['apply', '--map', join(dir, 'map.arrows'), join(dir, 'a.arrows')]);
    expect(res.stderr).toBe('');
    const out = fromIPC(res.stdout);
    expect(out.numRows).toBe(N);
    expect(out.schema.fields.map((f) => f.name)).toEqual(['image', 'label', 'class', 'features', 'feat']);
    expect(out.schema.metadata.get('cnnpipe.source')).toBe('vgg');
    expect(out.schema.metadata.get('cnnpipe.target')).toBe('resnet');
    const map = mapOf(fitted);
    const got = fixedSizeListValues(out.getChild('feat')!).values;
    for (const i of [0, 17, 599]) {
      for (let j = 0; j < DB; j++) {
        let s = map.bias[j]!;
        for (let k = 0; k < DA; k++) s += p.x[i * DA + k]! * map.weights[j * DA + k]!;
        expect(got[i * DB + j]).toBeCloseTo(s, 3);
      }
    }
  });

  it('a duplicated feature: numpy\'s minimum-norm solution with one note; --ridge still solves it', async () => {
    const x = p.x.slice();
    for (let i = 0; i < N; i++) x[i * DA + 5] = x[i * DA + 4]!; // duplicated feature
    writeFileSync(join(dir, 'dup.arrows'), activations(p.images, x, DA, { model: 'vgg.onnx' }));
    const res = await runBin('lstsq', ['fit', '--source', join(dir, 'dup.arrows'), '--target', join(dir, 'b.arrows:feat')]);
    expect(res.code).toBe(0);
    const notes = res.stderr.split('\n').filter((l) => /note:/.test(l));
    expect(notes).toEqual(['lstsq: note: 1 of 12 source dimensions are linearly dependent on the others or constant (5); the map is the minimum-norm least-squares solution, as numpy.linalg.lstsq']);
    const map = mapOf(fromIPC(res.stdout));
    const ref = numpyLstsq(Float64Array.from(x), Float64Array.from(p.y), N, DA, DB);
    expect(ref.rank).toBe(DA);
    const ours = asNumpyCoef(map.weights, map.bias, DA, DB);
    expect(maxRelDiff(ours, ref.coef)).toBeLessThan(1e-9);
    // The duplicated pair shares its weight equally, as the minimum norm asks.
    for (let j = 0; j < DB; j++) expect(map.weights[j * DA + 5]).toBeCloseTo(map.weights[j * DA + 4]!, 9);
    const ok = await runBin('lstsq', ['fit', '--ridge', '1e-6', '--source', join(dir, 'dup.arrows'), '--target', join(dir, 'b.arrows')]);
    expect(ok.code).toBe(0);
    expect(Number(fromIPC(ok.stdout).schema.metadata.get('cnnpipe.ridge'))).toBe(1e-6);
  });

  it('different image sets: error, or --intersect with a warning', async () => {
    const order = p.images.map((_, i) => i).reverse();
    const imgs = order.map((i) => p.images[i]!).slice(0, 500);
    const y = new Float32Array(500 * DB);
    order.slice(0, 500).forEach((i, r) => y.set(p.y.subarray(i * DB, (i + 1) * DB), r * DB));
    writeFileSync(join(dir, 'shuffled.arrows'), activations(imgs, y, DB, { model: 'resnet.onnx', column: 'feat' }));
    const bad = await runBin('lstsq', ['fit', '--source', join(dir, 'a.arrows'), '--target', join(dir, 'shuffled.arrows')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/differ at row 0 .*--intersect/);
    const ok = await runBin('lstsq', ['fit', '--intersect', '--source', join(dir, 'a.arrows'), '--target', join(dir, 'shuffled.arrows')]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/warning: --intersect: 500 images in both tables/);
    expect(fromIPC(ok.stdout).schema.metadata.get('cnnpipe.rows')).toBe('500');
  });

  it('--gram: float64 (the default) or int8 digit products say which ran; another value is a usage error (exit 2)', async () => {
    const args = ['fit', '--source', join(dir, 'a.arrows'), '--target', join(dir, 'b.arrows')];
    const plain = await runBin('lstsq', args);
    expect(plain.stderr).toMatch(/blocks: 1 by float64 Gemm/);
    const int8 = await runBin('lstsq', [...args, '--gram', 'int8']);
    expect(int8.code, int8.stderr).toBe(0);
    expect(int8.stderr).toMatch(/blocks: 1 by int8 digit products \(7 source, 6 target digits\)/);
    const four = await runBin('lstsq', [...args, '--gram', 'int8:4']);
    expect(four.code, four.stderr).toBe(0);
    expect(four.stderr).toMatch(/blocks: 1 by int8 digit products \(4 source, 4 target digits\)/);
    for (const value of ['int4', 'int8:9', 'int8:4,']) {
      const bad = await runBin('lstsq', [...args, '--gram', value]);
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toContain(`--gram must be one of auto, int8, float64 (int8:D or int8:D,E for D source and E target digits, 2-8), got '${value}'`);
    }
  });

  it('wrong kind: exit 1 naming expected and got', async () => {
    const res = await runBin('lstsq', ['fit', '--source', join(dir, 'map.arrows'), '--target', join(dir, 'b.arrows')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/wrong table kind \(expected 'activations', got 'affine-map'\)/);
    const res2 = await runBin('lstsq', ['merge', join(dir, 'map.arrows')]);
    expect(res2.code).toBe(1);
    expect(res2.stderr).toMatch(/expected 'gram', got 'affine-map'/);
    const res3 = await runBin('lstsq', ['apply', '--map', join(dir, 'a.arrows'), join(dir, 'a.arrows')]);
    expect(res3.code).toBe(1);
    expect(res3.stderr).toMatch(/expected 'affine-map', got 'activations'/);
  });
});

describe('lstsq logits and naive', () => {
  it('the logit map reproduces model A\'s logits through model B\'s classifier', async () => {
    const zoo = join(repoRoot, 'examples/zoo');
    const res = await runBin('lstsq', ['logits', '--source-model', join(zoo, 'vgg.onnx'), '--target-model', join(zoo, 'resnet.onnx')]);
    expect(res.code).toBe(0);
    const t = fromIPC(res.stdout);
    const m = mapOf(t);
    expect([m.da, m.db]).toEqual([96, 128]);
    const a = readFinalLinear(join(zoo, 'vgg.onnx'));
    const b = readFinalLinear(join(zoo, 'resnet.onnx'));
    const r = rng(3);
    const n = 50;
    const x = new Float64Array(n * 96).map(() => Math.abs(r.normal()));
    const map = { ...m, r2: new Float64Array(0), r2Total: NaN, rows: 0 };
    const xb = await applyMap(map, x, n);
    const viaB = await applyMap({ ...map, da: b.d, db: b.k, weights: b.weights, bias: b.bias }, xb, n);
    const direct = await applyMap({ ...map, da: a.d, db: a.k, weights: a.weights, bias: a.bias }, x, n);
    expect(maxRelDiff(viaB, direct)).toBeLessThan(1e-9);
    expect((await logitMap(a, b)).db).toBe(128);
  });

  it('naive: identity with truncation or padding; --help has an example', async () => {
    const res = await runBin('lstsq', ['naive', '--source-dim', '3', '--target-dim', '5']);
    const m = mapOf(fromIPC(res.stdout));
    expect([m.da, m.db]).toEqual([3, 5]);
    expect(Array.from(m.weights)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    const help = await runBin('lstsq', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/lstsq naive --source-dim 4 --target-dim 3/);
    const none = await runBin('lstsq', []);
    expect(none.code).toBe(2);
  });
});

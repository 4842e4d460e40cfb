import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedSizeListValues, primitiveValues } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activations, asNumpyCoef, maxRelDiff, numpyLstsq, predict } from './test-support/fixtures.js';

/** Real features: the zoo's models over the demo images, against numpy.linalg.lstsq. */
const zoo = join(repoRoot, 'examples/zoo');
const images = join(repoRoot, 'examples/data/fashion-mnist/test');

interface Features {
  images: string[];
  x: Float32Array;
  width: number;
}

function features(table: Table, column: string): Features {
  const parts: Float32Array[] = [];
  let width = 0;
  for (const batch of table.batches) {
    const { values, size } = fixedSizeListValues(batch.getChild(column)!);
    parts.push(Float32Array.from(values));
    width = size;
  }
  const x = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    x.set(p, o);
    o += p.length;
  }
  return { images: table.getChild('image')!.toArray() as string[], x, width };
}

function mapCoef(table: Table): Float64Array {
  const batch = table.batches[0]!;
  const { values, size } = fixedSizeListValues(batch.getChild('weights')!);
  return asNumpyCoef(values, primitiveValues(batch.getChild('bias')!), size, batch.numRows);
}

describe('lstsq on the zoo\'s features against numpy', () => {
  let dir: string;
  let vgg: Features;
  let resnet: Features;
  let dense: Features;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lstsq-zoo-'));
    const run = async (model: string, layers: string[], out: string) => {
      const args = ['--model', join(zoo, model), ...layers.flatMap((l) => ['--layer', l]), '-o', join(dir, out), images];
      const res = await runBin('extract', args);
      expect(res.code, res.stderr).toBe(0);
      return fromIPC(readFileSync(join(dir, out)));
    };
    const [a, b, c] = await Promise.all([
      run('vgg.onnx', ['block4'], 'vgg.arrows'),
      run('resnet.onnx', ['layer4'], 'resnet.arrows'),
      run('densenet.onnx', ['dense1'], 'densenet.arrows'),
    ]);
    vgg = features(a, 'block4');
    resnet = features(b, 'layer4');
    dense = features(c, 'dense1');
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function fitAgainstNumpy(source: Features, file: string, extra: string[] = []) {
    writeFileSync(join(dir, file), activations(source.images, source.x, source.width, { batchRows: 300 }));
    const res = await runBin('lstsq', ['fit', '--source', join(dir, file), '--target', join(dir, 'resnet.arrows:layer4'), ...extra]);
    expect(res.code, res.stderr).toBe(0);
    const n = source.images.length;
    const [da, db] = [source.width, resnet.width];
    const ours = mapCoef(fromIPC(res.stdout));
    const ref = numpyLstsq(Float64Array.from(source.x), Float64Array.from(resnet.x), n, da, db);
    return {
      stderr: res.stderr,
      rank: ref.rank,
      coef: maxRelDiff(ours, ref.coef),
      predictions: maxRelDiff(predict(source.x, ours, n, da, db), predict(source.x, ref.coef, n, da, db)),
    };
  }

  it('DenseNet dense1 (80 units, cond ~2.5e3) -> ResNet layer4: predictions to 1e-9', async () => {
    const a = await fitAgainstNumpy(dense, 'dense.arrows');
    expect(a.rank).toBe(dense.width + 1);
    expect(a.stderr).not.toMatch(/note:/);
    expect(a.predictions).toBeLessThan(1e-9);
  });

  it('DenseNet dense1 -> ResNet layer4 through the int8 digit products (--gram int8): predictions to 1e-7', async () => {
    const a = await fitAgainstNumpy(dense, 'dense-int8.arrows', ['--gram', 'int8']);
    expect(a.stderr).toMatch(/blocks: 1 by int8 digit products/);
    expect(a.predictions).toBeLessThan(1e-7);
  });

  it('VGG block4 with a dead, a duplicated and a doubled unit: the minimum-norm map, predictions to 1e-6', async () => {
    const w = vgg.width;
    const x = vgg.x.slice();
    for (let i = 0; i < vgg.images.length; i++) {
      x[i * w + 0] = 0;
      x[i * w + 10] = x[i * w + 20]!;
      x[i * w + 30] = 2 * x[i * w + 40]!;
    }
    const a = await fitAgainstNumpy({ ...vgg, x }, 'vgg-deficient.arrows');
    expect(a.rank).toBe(w + 1 - 3);
    expect(a.stderr).toMatch(/note: 3 of 96 source dimensions are linearly dependent on the others or constant \(0, 20, 40\)/);
    expect(a.predictions).toBeLessThan(1e-6);
    expect(a.coef).toBeLessThan(1e-6);
  });
});

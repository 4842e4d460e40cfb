import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { META, float32Data, int32Data, makeBatch, utf8Data } from '@cnnpipe/core';
import { NON_FINITE, dropRows, plainRows, poison, runBin, tempFolder, toIPC } from '@cnnpipe/core/testing';
import { Table } from 'apache-arrow';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const N = 8;
const rows = 2 * N;
const topk = new Table([
  makeBatch(
    {
      layer: utf8Data(new Array<string>(rows).fill('conv')),
      neuron: int32Data(Int32Array.from({ length: rows }, (_, i) => Math.floor(i / N))),
      rank: int32Data(Int32Array.from({ length: rows }, (_, i) => (i % N) + 1)),
      image: utf8Data(Array.from({ length: rows }, (_, i) => `img/${i % N}.png`)),
      label: int32Data(new Int32Array(rows)),
      class: utf8Data(new Array<string>(rows).fill('x')),
      value: float32Data(Float32Array.from({ length: rows }, (_, i) => N - (i % N))),
      argmax: int32Data(Int32Array.from({ length: rows }, (_, i) => (i * 5) % 16)),
    },
    new Map([
      [META.kind, 'topk'],
      [META.layers, JSON.stringify([{ name: 'conv', tensor: 't', shape: [2, 4, 4], rf: { size: 4, stride: 2, offset: 0.5 } }])],
      [META.preprocess, JSON.stringify({ resize: 8, size: 8, channels: 1, mean: [0.5], std: [0.25] })],
    ]),
  ),
]);
const folder = tempFolder();
afterAll(() => folder.remove());
beforeAll(async () => {
  mkdirSync(folder.path('img'));
  for (let i = 0; i < N; i++) {
    const raw = Buffer.from(Array.from({ length: 64 }, (_, p) => Math.round(127 + 120 * Math.sin(p * (0.3 + i * 0.17) + i))));
    await sharp(raw, { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(join(folder.dir, 'img', `${i}.png`));
  }
});
const args = ['--components', '2', '--images', '.', '--max-iter', '300'];

describe('ica: NaN and ±Inf in the topk values', () => {
  for (const bad of NON_FINITE) {
    it(`${bad} stops with one line, exit 1, no output file`, async () => {
      const out = folder.path('components.arrows');
      const result = await runBin('ica', [...args, '-o', out], toIPC(poison(topk, 'value', [[10, 0, bad]])), folder.dir);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe("ica: error: stdin: column 'value' has 1 NaN/Inf value (first at row 11, image img/2.png); --skip-nonfinite drops such rows\n");
      expect(existsSync(out)).toBe(false);
    });
  }

  it('--skip-nonfinite equals the clean table minus those rows', async () => {
    const skipped = await runBin('ica', [...args, '--skip-nonfinite'], toIPC(poison(topk, 'value', [[3, 0, NaN], [12, 0, Infinity]])), folder.dir);
    const expected = await runBin('ica', args, toIPC(dropRows(topk, [3, 12])), folder.dir);
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toBe("ica: warning: stdin: dropped 2 rows with NaN/Inf values ('value': 2 values, first at row 4 (img/3.png))\n");
    expect(plainRows(skipped.stdout)).toEqual(plainRows(expected.stdout));
    expect(plainRows(skipped.stdout).length).toBeGreaterThan(0);
  });
});

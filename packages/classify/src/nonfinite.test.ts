import { existsSync, writeFileSync } from 'node:fs';
import { META, fixedSizeListData, float64Data, int32Data, makeBatch, mulberry32, utf8Data } from '@cnnpipe/core';
import { NON_FINITE, dropRows, fromIPC, poison, runBin, tempFolder, toIPC } from '@cnnpipe/core/testing';
import { Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';

const n = 12;
const d = 4;
const k = 3;
const rand = mulberry32(5);
const features = new Table([
  makeBatch(
    {
      image: utf8Data(Array.from({ length: n }, (_, i) => `val/${i}.png`)),
      label: int32Data(Int32Array.from({ length: n }, (_, i) => i % k)),
      class: utf8Data(Array.from({ length: n }, (_, i) => `c${i % k}`)),
      features: fixedSizeListData(Float32Array.from({ length: n * d }, () => rand() - 0.5), d),
    },
    new Map([[META.kind, 'activations']]),
  ),
]);
const weights = new Table([
  makeBatch(
    {
      dim: int32Data(Int32Array.from({ length: k }, (_, i) => i)),
      weights: fixedSizeListData(Float64Array.from({ length: k * d }, () => rand() - 0.5), d),
      bias: float64Data(Float64Array.from({ length: k }, () => rand() - 0.5)),
    },
    new Map([[META.kind, 'affine-map']]),
  ),
]);
const folder = tempFolder({ 'w.arrows': toIPC(weights) });
afterAll(() => folder.remove());
const rows = (bytes: Uint8Array) => fromIPC(bytes).toArray().map((r) => ({ ...r }));

describe('classify: NaN and ±Inf', () => {
  for (const bad of NON_FINITE) {
    it(`${bad} in the features stops with one line, exit 1, no output file`, async () => {
      const file = folder.path(`f-${bad}.arrows`);
      writeFileSync(file, toIPC(poison(features, 'features', [[6, 1, bad], [9, 3, bad]])));
      for (const extra of [[], ['--summary']]) {
        const out = folder.path(`out-${bad}.arrows`);
        const result = await runBin('classify', ['--weights', folder.path('w.arrows'), ...extra, file, '-o', out]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(
          `classify: error: ${file}: column 'features' has 2 NaN/Inf values (first at row 7, image val/6.png); --skip-nonfinite drops such rows\n`,
        );
        expect(existsSync(out)).toBe(false);
      }
    });
  }

  it('--skip-nonfinite equals the clean table minus those rows (predictions and summary)', async () => {
    const poisoned = toIPC(poison(features, 'features', [[0, 0, NaN], [5, 2, Infinity], [11, 3, -Infinity]]));
    const cleaner = toIPC(dropRows(features, [0, 5, 11]));
    for (const extra of [[], ['--summary']]) {
      const skipped = await runBin('classify', ['--weights', folder.path('w.arrows'), '--skip-nonfinite', ...extra], poisoned);
      const expected = await runBin('classify', ['--weights', folder.path('w.arrows'), ...extra], cleaner);
      expect(skipped.code).toBe(0);
      expect(skipped.stderr).toMatch(/^classify: warning: stdin: dropped 3 images with NaN\/Inf values \('features': 3 values, first at row 1 \(val\/0\.png\)\)\n$/);
      expect(rows(skipped.stdout)).toEqual(rows(expected.stdout));
    }
    expect(fromIPC((await runBin('classify', ['--weights', folder.path('w.arrows'), '--skip-nonfinite'], poisoned)).stdout).numRows).toBe(n - 3);
  });

  for (const column of ['weights', 'bias']) {
    it(`NaN in the classifier's ${column} always stops (not a row to drop)`, async () => {
      const file = folder.path(`w-${column}.arrows`);
      writeFileSync(file, toIPC(poison(weights, column, [[1, 0, NaN]])));
      const result = await runBin('classify', ['--weights', file, '--skip-nonfinite'], toIPC(features));
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`classify: error: ${file}: column '${column}' has 1 NaN/Inf value (first at row 2)\n`);
    });
  }
});

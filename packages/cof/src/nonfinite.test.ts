import { existsSync } from 'node:fs';
import { META, float32Data, int32Data, makeBatch, utf8Data } from '@cnnpipe/core';
import { NON_FINITE, dropRows, plainRows, poison, runBin, tempFolder, toIPC } from '@cnnpipe/core/testing';
import { Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';

const rows = 12;
const topk = new Table([
  makeBatch(
    {
      layer: utf8Data(new Array<string>(rows).fill('conv')),
      neuron: int32Data(Int32Array.from({ length: rows }, (_, i) => Math.floor(i / 4))),
      rank: int32Data(Int32Array.from({ length: rows }, (_, i) => (i % 4) + 1)),
      image: utf8Data(Array.from({ length: rows }, (_, i) => `img/${i}.png`)),
      label: int32Data(Int32Array.from({ length: rows }, (_, i) => (i * 7) % 3)),
      class: utf8Data(Array.from({ length: rows }, (_, i) => ['a', 'b', 'c'][(i * 7) % 3]!)),
      value: float32Data(Float32Array.from({ length: rows }, (_, i) => 10 - (i % 4))),
    },
    new Map([[META.kind, 'topk'], [META.classes, JSON.stringify(['a', 'b', 'c'])]]),
  ),
]);
const folder = tempFolder();
afterAll(() => folder.remove());

describe('cof: NaN and ±Inf in the topk values', () => {
  for (const bad of NON_FINITE) {
    it(`${bad} stops with one line, exit 1, no output file`, async () => {
      const out = folder.path('cof.arrows');
      const result = await runBin('cof', ['-o', out], toIPC(poison(topk, 'value', [[5, 0, bad]])));
      expect(result.code).toBe(1);
      expect(result.stderr).toBe("cof: error: stdin: column 'value' has 1 NaN/Inf value (first at row 6, image img/5.png); --skip-nonfinite drops such rows\n");
      expect(existsSync(out)).toBe(false);
    });
  }

  it('--skip-nonfinite equals the clean table minus those rows (counts and --concepts)', async () => {
    for (const extra of [[], ['--concepts']]) {
      const skipped = await runBin('cof', [...extra, '--skip-nonfinite'], toIPC(poison(topk, 'value', [[0, 0, -Infinity], [9, 0, NaN]])));
      const expected = await runBin('cof', extra, toIPC(dropRows(topk, [0, 9])));
      expect(skipped.code).toBe(0);
      expect(skipped.stderr).toBe("cof: warning: stdin: dropped 2 rows with NaN/Inf values ('value': 2 values, first at row 1 (img/0.png))\n");
      expect(plainRows(skipped.stdout)).toEqual(plainRows(expected.stdout));
    }
  });
});

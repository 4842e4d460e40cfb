import { existsSync, writeFileSync } from 'node:fs';
import { NON_FINITE, dropRows, fromIPC, poison, runBin, tempFolder, toIPC } from '@cnnpipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { activationsIPC } from './test-support/activations.js';

const images = ['a.png', 'b.png', 'c.png', 'd.png', 'e.png', 'f.png'];
const labels = [0, 1, 0, 1, 0, 1];
const conv = Float32Array.from({ length: 12 }, (_, i) => ((i * 7) % 11) - 3);
const fc = Float32Array.of(0.5, 0.25, 0.75, 0.125, 2, -1);
const clean = fromIPC(activationsIPC(images, labels, ['cat', 'dog'], [
  { name: 'conv', values: conv, channels: 2 },
  { name: 'fc', values: fc, channels: 1 },
]));
const folder = tempFolder();
afterAll(() => folder.remove());

describe('topk: NaN and ±Inf', () => {
  for (const column of ['conv', 'fc']) {
    for (const bad of NON_FINITE) {
      it(`${bad} in '${column}' stops with one line, exit 1, no output file`, async () => {
        const file = folder.path(`acts-${column}-${bad}.arrows`);
        const out = folder.path(`out-${column}-${bad}.arrows`);
        writeFileSync(file, toIPC(poison(clean, column, [[2, 0, bad], [4, 0, bad]])));
        const result = await runBin('topk', ['-k', '2', file, '-o', out]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(
          `topk: error: ${file}: column '${column}' has 2 NaN/Inf values (first at row 3, image c.png); --skip-nonfinite drops such rows\n`,
        );
        expect(existsSync(out)).toBe(false);
      });
    }
  }

  it('--skip-nonfinite gives the result of the clean table minus those rows, with one warning', async () => {
    const poisoned = poison(poison(clean, 'conv', [[1, 1, Infinity]]), 'fc', [[4, 0, NaN], [5, 0, -Infinity]]);
    const result = await runBin('topk', ['-k', '2', '--skip-nonfinite'], toIPC(poisoned));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      "topk: warning: stdin: dropped 3 images with NaN/Inf values ('conv': 1 value, first at row 2 (b.png); 'fc': 2 values, first at row 5 (e.png))\n",
    );
    const expected = await runBin('topk', ['-k', '2'], toIPC(dropRows(clean, [1, 4, 5])));
    expect(expected.code).toBe(0);
    expect(fromIPC(result.stdout).toArray().map((r) => ({ ...r }))).toEqual(fromIPC(expected.stdout).toArray().map((r) => ({ ...r })));
    expect(fromIPC(result.stdout).numRows).toBe(6);
  });

  it('merging topk tables: a NaN/Inf value stops; --skip-nonfinite drops the row', async () => {
    const topk = await runBin('topk', ['-k', '3'], toIPC(clean));
    const table = fromIPC(topk.stdout);
    for (const bad of NON_FINITE) {
      const stopped = await runBin('topk', ['-k', '2'], toIPC(poison(table, 'value', [[0, 0, bad]])));
      expect(stopped.code).toBe(1);
      expect(stopped.stderr).toMatch(/^topk: error: stdin: column 'value' has 1 NaN\/Inf value \(first at row 1, image [a-f]\.png\); --skip-nonfinite drops such rows\n$/);
    }
    const poisoned = poison(table, 'value', [[0, 0, NaN]]);
    const skipped = await runBin('topk', ['-k', '2', '--skip-nonfinite'], toIPC(poisoned));
    const expected = await runBin('topk', ['-k', '2'], toIPC(dropRows(table, [0])));
    expect(skipped.code).toBe(0);
    expect(Buffer.compare(skipped.stdout, expected.stdout)).toBe(0);
  });
});

import { existsSync } from 'node:fs';
import { META, float32Data, float64Data, makeBatch, utf8Data } from '@cnnpipe/core';
import { NON_FINITE, dropRows, poison, runBin, tempFolder, toIPC } from '@cnnpipe/core/testing';
import { Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';

const table = new Table([
  makeBatch(
    {
      layer: utf8Data(['l1', 'l2', 'l3', 'l4', 'l5']),
      value: float64Data(Float64Array.of(0.5, 0.25, 0.75, 0.125, 0.625)),
      other: float32Data(Float32Array.of(1, 2, 3, 4, 5)),
    },
    new Map([[META.kind, 'neuron-stats']]),
  ),
]);
const folder = tempFolder();
afterAll(() => folder.remove());
const bar = ['bar', '--x', 'layer', '--y', 'value', '--width', '300', '--height', '200'];

describe('plot: NaN and ±Inf', () => {
  for (const column of ['value', 'other']) {
    for (const bad of NON_FINITE) {
      it(`${bad} in '${column}' stops with one line, exit 1, no output file`, async () => {
        const out = folder.path('plot.svg');
        const result = await runBin('plot', [...bar, '-o', out], toIPC(poison(table, column, [[2, 0, bad]])));
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(`plot: error: stdin: column '${column}' has 1 NaN/Inf value (first at row 3); --skip-nonfinite drops such rows\n`);
        expect(existsSync(out)).toBe(false);
      });
    }
  }

  it('--skip-nonfinite draws the clean table minus those rows', async () => {
    const poisoned = poison(poison(table, 'value', [[1, 0, Infinity]]), 'other', [[3, 0, NaN]]);
    const skipped = await runBin('plot', [...bar, '--skip-nonfinite'], toIPC(poisoned));
    const expected = await runBin('plot', bar, toIPC(dropRows(table, [1, 3])));
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toBe("plot: warning: stdin: dropped 2 rows with NaN/Inf values ('value': 1 value, first at row 2; 'other': 1 value, first at row 4)\n");
    expect(skipped.stdout.toString()).toBe(expected.stdout.toString());
    expect(skipped.stdout.toString()).toContain('l3');
    expect(skipped.stdout.toString()).not.toContain('>l2<');
  });
});

import { existsSync, writeFileSync } from 'node:fs';
import { META, float64Data, int32Data, makeBatch, utf8Data } from '@cnnpipe/core';
import { NON_FINITE, dropRows, plainRows, poison, runBin, tempFolder, toIPC } from '@cnnpipe/core/testing';
import { Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';

function concepts(rows: [string, number, string, number | null][]): Table {
  return new Table([
    makeBatch(
      {
        layer: utf8Data(rows.map((r) => r[0])),
        unit: int32Data(Int32Array.from(rows, (r) => r[1])),
        concept: utf8Data(rows.map((r) => r[2])),
        score: float64Data(Float64Array.from(rows, (r) => r[3] ?? 0), (i) => rows[i]![3] === null),
      },
      new Map([[META.kind, 'concepts']]),
    ),
  ]);
}

const a = concepts([
  ['layer2', 0, 'dotted', 0.1],
  ['layer2', 1, 'striped', 0.2],
  ['layer3', 0, 'dog', null],
  ['layer3', 1, 'sky', 0.6],
  ['layer3', 2, 'car', 0.3],
]);
const b = concepts([
  ['layer3', 0, 'dog', 0.5],
  ['layer3', 1, 'car', 0.7],
  ['layer4', 0, 'striped', 0.2],
]);
const folder = tempFolder({ 'b.arrows': toIPC(b) });
afterAll(() => folder.remove());

describe('venn: NaN and ±Inf scores', () => {
  for (const bad of NON_FINITE) {
    for (const report of ['summary', 'scores']) {
      it(`${bad} in 'score' stops with one line (--report ${report}), exit 1, no output file; a null score does not`, async () => {
        const file = folder.path(`a-${bad}.arrows`);
        writeFileSync(file, toIPC(poison(a, 'score', [[3, 0, bad]])));
        const out = folder.path('out.arrows');
        const result = await runBin('venn', ['--report', report, file, folder.path('b.arrows'), '-o', out]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(`venn: error: ${file}: column 'score' has 1 NaN/Inf value (first at row 4); --skip-nonfinite drops such rows\n`);
        expect(existsSync(out)).toBe(false);
      });
    }
  }

  it('--skip-nonfinite equals the clean table minus those rows, for every report', async () => {
    const file = folder.path('a-bad.arrows');
    writeFileSync(file, toIPC(poison(a, 'score', [[1, 0, Infinity], [4, 0, NaN]])));
    const clean = folder.path('a-clean.arrows');
    writeFileSync(clean, toIPC(dropRows(a, [1, 4])));
    for (const report of ['summary', 'per-layer', 'concepts', 'top', 'scores']) {
      const skipped = await runBin('venn', ['--report', report, '--skip-nonfinite', '--names', 'a,b', file, folder.path('b.arrows')]);
      const expected = await runBin('venn', ['--report', report, '--names', 'a,b', clean, folder.path('b.arrows')]);
      expect(skipped.code).toBe(0);
      expect(skipped.stderr).toContain(`venn: warning: ${file}: dropped 2 rows with NaN/Inf values ('score': 2 values, first at row 2)\n`);
      expect(plainRows(skipped.stdout)).toEqual(plainRows(expected.stdout));
    }
  });
});

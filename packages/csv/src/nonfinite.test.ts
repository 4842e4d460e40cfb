import { existsSync, writeFileSync } from 'node:fs';
import { runBin, tempFolder } from '@cnnpipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';

const folder = tempFolder();
afterAll(() => folder.remove());

describe('csv --to-arrow --kind concepts: NaN and ±Inf scores', () => {
  for (const bad of ['NaN', 'Infinity', '-Infinity', 'nan', 'inf']) {
    it(`a score of ${bad} stops with one line, exit 1, no output file`, async () => {
      const csv = folder.path(`d-${bad}.csv`);
      writeFileSync(csv, ['layer,unit,description,similarity', 'layer2,0,dotted,0.1', `layer2,1,striped,${bad}`].join('\n'));
      const out = folder.path('concepts.arrows');
      const result = await runBin('csv', ['--to-arrow', '--kind', 'concepts', csv, '-o', out]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`csv: error: ${csv}: row 3: column 'similarity' is '${bad}' (expected a finite number)\n`);
      expect(existsSync(out)).toBe(false);
    });
  }
});

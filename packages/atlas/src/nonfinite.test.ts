import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NonFiniteGuard } from '@cnnpipe/core';
import { NON_FINITE, dropRows, fromIPC, poison, runBin, toIPC } from '@cnnpipe/core/testing';
import { DataType } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAtlasData } from './data.js';
import { atlasArgs, studyTables, type StudyTables } from './test-support/tables.js';

let tables: StudyTables;
beforeAll(async () => {
  tables = await studyTables(5, ['block2']);
}, 180_000);
afterAll(() => {
  if (tables) rmSync(tables.dir, { recursive: true, force: true });
});

/** Each table's float columns, and a row where the column holds a value (not null). */
const cases = [
  ['topk', 'value'],
  ['stats', 'gini'],
  ['stats', 'flatness'],
  ['stats', 'mf'],
  ['stats', 'mf_norm'],
  ['stats', 'p_value'],
  ['components', 'pixels'],
  ['similarity', 'values'],
  ['concepts', 'score'],
] as const;

function validRow(path: string, column: string): number {
  const vector = fromIPC(readFileSync(path)).getChild(column)!;
  for (let r = 1; r < vector.length; r++) if (vector.isValid(r)) return r;
  throw new Error(`no valid row in ${column}`);
}

describe('atlas: NaN and ±Inf in any input table', () => {
  it('the study tables have these float columns', () => {
    for (const [table, column] of cases) {
      const type = fromIPC(readFileSync(tables[table])).schema.fields.find((f) => f.name === column)!.type;
      expect(DataType.isFloat(type) || DataType.isFloat(type.children[0]!.type), `${table}.${column}`).toBe(true);
    }
  });

  for (const [table, column] of cases) {
    it(`${table}.${column}: NaN, Inf or -Inf stops with one line, exit 1, no site`, async () => {
      const row = validRow(tables[table], column);
      for (const bad of NON_FINITE) {
        const file = join(tables.dir, `bad-${table}.arrows`);
        writeFileSync(file, toIPC(poison(fromIPC(readFileSync(tables[table])), column, [[row, 0, bad]])));
        const site = join(tables.dir, 'bad-site');
        const result = await runBin('atlas', [...atlasArgs({ ...tables, [table]: file }, site)]);
        expect(result.code).toBe(1);
        const image = table === 'topk' ? `, image ${String(fromIPC(readFileSync(tables.topk)).getChild('image')!.get(row))}` : '';
        expect(result.stderr).toBe(`atlas: error: ${file}: column '${column}' has 1 NaN/Inf value (first at row ${row + 1}${image}); --skip-nonfinite drops such rows\n`);
        expect(existsSync(site)).toBe(false);
      }
    });
  }

  it('--skip-nonfinite reads the clean tables minus those rows', async () => {
    const skip = (name: string) => new NonFiniteGuard(name, true);
    for (const [table, column] of cases) {
      const row = validRow(tables[table], column);
      const clean = fromIPC(readFileSync(tables[table]));
      const bad = join(tables.dir, `skip-${table}.arrows`);
      const dropped = join(tables.dir, `dropped-${table}.arrows`);
      writeFileSync(bad, toIPC(poison(clean, column, [[row, 0, NaN]])));
      writeFileSync(dropped, toIPC(dropRows(clean, [row])));
      const got = await readAtlasData({ ...tables, [table]: bad }, skip);
      const expected = await readAtlasData({ ...tables, [table]: dropped });
      expect(JSON.stringify(got), `${table}.${column}`).toBe(JSON.stringify(expected));
    }
    const site = join(tables.dir, 'skip-site');
    const result = await runBin('atlas', [...atlasArgs({ ...tables, stats: join(tables.dir, 'skip-stats.arrows') }, site), '--skip-nonfinite']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^atlas: warning: .*skip-stats\.arrows: dropped 1 rows with NaN\/Inf values \('p_value': 1 value, first at row \d+\)\n$/);
    expect(existsSync(join(site, 'index.html'))).toBe(true);
  }, 60_000);
});

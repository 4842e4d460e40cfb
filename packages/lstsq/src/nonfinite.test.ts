import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { NON_FINITE, dropRows, fromIPC, plainRows, poison, runBin, tempFolder, toIPC } from '@cnnpipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { activations, rng } from './test-support/fixtures.js';

const n = 40;
const da = 3;
const db = 2;
const r = rng(3);
const images = Array.from({ length: n }, (_, i) => `img/${i}.png`);
const x = Float32Array.from({ length: n * da }, () => r.normal());
const y = Float32Array.from({ length: n * db }, (_, i) => x[Math.floor(i / db) * da]! * 2 + r.normal() * 0.1);
const source = fromIPC(activations(images, x, da, { batchRows: 16 }));
const target = fromIPC(activations(images, y, db, { batchRows: 16 }));
const folder = tempFolder({ 'a.arrows': toIPC(source), 'b.arrows': toIPC(target) });
afterAll(() => folder.remove());
const rows = plainRows;

describe('lstsq: NaN and ±Inf', () => {
  for (const side of ['source', 'target'] as const) {
    for (const bad of NON_FINITE) {
      it(`fit: ${bad} in the ${side} features stops with one line (not 'singular'), exit 1, no output file`, async () => {
        const file = folder.path(`${side}-${bad}.arrows`);
        writeFileSync(file, toIPC(poison(side === 'source' ? source : target, 'features', [[20, 1, bad], [33, 0, bad]])));
        const out = folder.path('map.arrows');
        const [a, b] = side === 'source' ? [file, folder.path('b.arrows')] : [folder.path('a.arrows'), file];
        const result = await runBin('lstsq', ['fit', '--ridge', '1e-3', '--source', a, '--target', b, '-o', out]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(
          `lstsq: error: ${file}: column 'features' has 2 NaN/Inf values (first at row 21, image img/20.png); --skip-nonfinite drops such rows\n`,
        );
        expect(existsSync(out)).toBe(false);
      });
    }
  }

  for (const intersect of [[], ['--intersect']]) {
    it(`fit ${intersect.join(' ')} --skip-nonfinite equals the fit on the clean tables minus those rows`, async () => {
      const a = folder.path('a-bad.arrows');
      const b = folder.path('b-bad.arrows');
      writeFileSync(a, toIPC(poison(source, 'features', [[3, 0, NaN], [17, 2, Infinity]])));
      writeFileSync(b, toIPC(poison(target, 'features', [[17, 1, -Infinity], [30, 0, NaN]])));
      const skipped = await runBin('lstsq', ['fit', ...intersect, '--skip-nonfinite', '--source', a, '--target', b]);
      expect(skipped.code).toBe(0);
      expect(skipped.stderr).toContain(`lstsq: warning: ${a}: dropped 2 images with NaN/Inf values`);
      expect(skipped.stderr).toContain(`lstsq: warning: ${b}: dropped 2 images with NaN/Inf values`);
      const a2 = folder.path('a-clean.arrows');
      const b2 = folder.path('b-clean.arrows');
      writeFileSync(a2, toIPC(dropRows(source, [3, 17, 30])));
      writeFileSync(b2, toIPC(dropRows(target, [3, 17, 30])));
      const expected = await runBin('lstsq', ['fit', ...intersect, '--source', a2, '--target', b2]);
      expect(expected.code).toBe(0);
      const got = rows(skipped.stdout);
      const want = rows(expected.stdout);
      expect(got.map((row) => row.weights)).toEqual(want.map((row) => row.weights));
      expect(got.map((row) => row.bias)).toEqual(want.map((row) => row.bias));
      expect(fromIPC(skipped.stdout).schema.metadata.get('cnnpipe.rows')).toBe(String(n - 3));
    });
  }

  it('apply: NaN stops; --skip-nonfinite equals the clean table minus those rows; a NaN map always stops', async () => {
    const map = folder.path('fit.arrows');
    const fitted = await runBin('lstsq', ['fit', '--source', folder.path('a.arrows'), '--target', folder.path('b.arrows'), '-o', map]);
    expect(fitted.code).toBe(0);
    const poisoned = toIPC(poison(source, 'features', [[5, 2, NaN], [25, 0, Infinity]]));
    const stopped = await runBin('lstsq', ['apply', '--map', map], poisoned);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toBe(
      "lstsq: error: stdin: column 'features' has 2 NaN/Inf values (first at row 6, image img/5.png); --skip-nonfinite drops such rows\n",
    );
    const skipped = await runBin('lstsq', ['apply', '--map', map, '--skip-nonfinite'], poisoned);
    const expected = await runBin('lstsq', ['apply', '--map', map], toIPC(dropRows(source, [5, 25])));
    expect(skipped.code).toBe(0);
    expect(rows(skipped.stdout)).toEqual(rows(expected.stdout));
    const badMap = folder.path('bad-map.arrows');
    writeFileSync(badMap, toIPC(poison(fromIPC(readFileSync(map)), 'weights', [[1, 0, NaN]])));
    const refused = await runBin('lstsq', ['apply', '--map', badMap, '--skip-nonfinite'], toIPC(source));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`lstsq: error: ${badMap}: column 'weights' has 1 NaN/Inf value (first at row 2)\n`);
  });

  it('merge: a gram table holding NaN stops', async () => {
    const gram = folder.path('gram.arrows');
    expect((await runBin('lstsq', ['fit', '--partial', '--source', folder.path('a.arrows'), '--target', folder.path('b.arrows'), '-o', gram])).code).toBe(0);
    const bad = folder.path('gram-bad.arrows');
    writeFileSync(bad, toIPC(poison(fromIPC(readFileSync(gram)), 'xtx', [[0, 4, NaN]])));
    const result = await runBin('lstsq', ['merge', gram, bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`lstsq: error: ${bad}: column 'xtx' has 1 NaN/Inf value (first at row 1)\n`);
  });
});

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atlasArgs, studyTables, type StudyTables } from './test-support/tables.js';

let tables: StudyTables;
let site: string;
let units: Record<string, unknown>[];

beforeAll(async () => {
  tables = await studyTables(8, ['block2']);
  const dissection = join(tables.dir, 'dissection.arrows');
  const d = await runBin('dissect', ['--model', join(repoRoot, 'examples/zoo/vgg.onnx'), '--layer', 'block2', '--probe', join(repoRoot, 'examples/data/fashion-probe'), '--quantile', '0.02', '--montage', join(tables.dir, 'montage'), '--top', '4', '-o', dissection]);
  if (d.code !== 0) throw new Error(d.stderr);
  units = fromIPC(readFileSync(dissection)).toArray().map((r) => r.toJSON() as Record<string, unknown>);
  site = join(tables.dir, 'site');
  const built = await runBin('atlas', [...atlasArgs({ ...tables, concepts: dissection }, site)]);
  if (built.code !== 0) throw new Error(built.stderr);
}, 180_000);
afterAll(() => rmSync(tables.dir, { recursive: true, force: true }));

describe('atlas with a dissection (dissect) as its concepts', () => {
  it('copies every unit\'s montage', () => {
    expect(units.every((u) => existsSync(join(site, 'dissection', 'block2', `${u.unit}.png`)))).toBe(true);
  });

  it("shows each unit's label, category and IoU on its card and its page", () => {
    const labelled = units.filter((u) => u.concept !== null);
    expect(labelled.length).toBeGreaterThan(0);
    const cards = readFileSync(join(site, 'block2', 'index.html'), 'utf8');
    for (const u of labelled.slice(0, 5)) {
      const card = cards.slice(cards.indexOf(`data-neuron="${u.unit}"`)).split('</a>')[0]!;
      expect(card).toContain(`${u.concept} (${u.category}, IoU) · ${(u.score as number).toFixed(2)}`);
      const page = readFileSync(join(site, 'block2', `${u.unit}.html`), 'utf8');
      for (const c of ['object', 'part', 'scene', 'texture', 'color']) {
        const label = (u[`${c}_label`] as string | null) ?? '—';
        expect(page).toContain(`${c}: ${label} (IoU ${Number((u[`${c}_iou`] as number).toFixed(3))})`);
      }
      // NetDissect's view: the unit's top probe images with the thresholded activation lit, copied into the site.
      expect(page).toContain(`<img class="montage" src="../dissection/block2/${u.unit}.png"`);
      expect(readFileSync(join(site, 'dissection', 'block2', `${u.unit}.png`))).toEqual(readFileSync(u.montage as string));
    }
  });
});

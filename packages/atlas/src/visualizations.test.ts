import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atlasArgs, studyTables, type StudyTables } from './test-support/tables.js';

let tables: StudyTables;
let site: string;
let vis: string;
let built: Awaited<ReturnType<typeof runBin>>;

beforeAll(async () => {
  tables = await studyTables(10, ['block3']);
  vis = join(tables.dir, 'vis.arrows');
  const dream = await runBin('dream', ['--model', join(repoRoot, 'examples/zoo/vgg.onnx'), '--layer', 'block3', '--channel', '0', '--channel', '2', '--size', '32', '--steps', '3', '-o', vis]);
  if (dream.code !== 0) throw new Error(dream.stderr);
  site = join(tables.dir, 'site');
  built = await runBin('atlas', [...atlasArgs(tables, site), '--visualizations', vis]);
}, 180_000);
afterAll(() => rmSync(tables.dir, { recursive: true, force: true }));

describe('atlas --visualizations (dream)', () => {
  it("shows a neuron's feature visualisation on its page, with the pixels of the table", async () => {
    expect(built.code, built.stderr).toBe(0);
    const page = readFileSync(join(site, 'block3', '2.html'), 'utf8');
    expect(page).toMatch(/<h2>Feature visualisation<\/h2><p><img class="vis" src="\.\.\/vis\/block3\/2\.png"/);
    expect(readFileSync(join(site, 'block3', '1.html'), 'utf8')).not.toMatch(/Feature visualisation/);
    const table = fromIPC(readFileSync(vis));
    const pixels = table.getChild('pixels')!.get(1)!.toArray() as Float32Array;
    const png = await sharp(join(site, 'vis', 'block3', '2.png')).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect([png.info.width, png.info.height]).toEqual([32, 32]);
    for (let p = 0; p < pixels.length; p++) expect(png.data[p]).toBe(Math.round(pixels[p]! * 255));
  });

  it('offers the visualisation as the card image on the layer page', () => {
    const page = readFileSync(join(site, 'block3', 'index.html'), 'utf8');
    expect(page).toMatch(/<select id="card"><option value="top">top image patch<\/option><option value="vis">feature visualisation<\/option>/);
    expect(page).toMatch(/<img class="vis-card" src="\.\.\/vis\/block3\/0\.png"/);
  });
});

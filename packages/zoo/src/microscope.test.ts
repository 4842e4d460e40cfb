import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { fashionMnistDir, repoRoot, zooDir } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-microscope-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small CSV (no quoted commas in these tables) as rows of strings. */
function csvRows(path: string): Record<string, string>[] {
  const [head, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const names = head!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i]!, v])));
}

let atlasPages: { model: string; page: string }[] = [];
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const LAYERS: Record<string, string[]> = { vgg: ['block1', 'block4'], resnet: ['layer1', 'layer4'], densenet: ['dense1', 'dense3'] };

describe('the microscope study end to end (reduced: first and last layer, 4 dream steps, 10 images per class)', () => {
  it('writes every figure, contact sheet and atlas, and results.md holds only numbers its tables give', () => {
    // 10 test images per class, copied into a folder of the same layout.
    const images = join(dir, 'images');
    for (const cls of readdirSync(join(fashionMnistDir, 'test'))) {
      mkdirSync(join(images, cls), { recursive: true });
      for (const f of readdirSync(join(fashionMnistDir, 'test', cls)).sort().slice(0, 10)) copyFileSync(join(fashionMnistDir, 'test', cls, f), join(images, cls, f));
    }
    const out = join(dir, 'out');
    const vars = Object.entries(LAYERS).map(([m, ls]) => `${m}_LAYERS=${ls.join(' ')}`);
    const make = spawnSync('bash', [join(repoRoot, 'examples/microscope/run.sh'), `OUT=${out}`, `IMAGES=${images}`, 'K=10', 'DREAM_STEPS=4', 'DREAM_SIZE=28', ...vars], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(make.status, make.stderr).toBe(0);
    expect(make.stdout).toBe(`microscope: results in ${out}/results.md\n`);
    const results = readFileSync(join(out, 'results.md'), 'utf8');

    // Every figure results.md shows or links exists and is a PNG; a contact sheet per layer.
    const figures = [...results.matchAll(/\]\(([^)]+\.png)\)/g)].map((m) => m[1]!);
    for (const [m, ls] of Object.entries(LAYERS)) {
      for (const l of ls) expect(figures).toContain(`${m}/sheet-${l}.png`);
      for (const f of ['detectors.png', 'top-detectors.png']) expect(figures).toContain(`${m}/${f}`);
    }
    for (const f of ['detectors.png', 'deepdream.png']) expect(figures).toContain(f);
    for (const f of figures) {
      expect(existsSync(join(out, f)), f).toBe(true);
      expect(readFileSync(join(out, f)).subarray(1, 4).toString(), f).toBe('PNG');
      expect(statSync(join(out, f)).size, f).toBeGreaterThan(1000);
    }

    // Every number in results.md is a table's cell, or a count, sum or mean of one, recomputed here.
    const zoo = JSON.parse(readFileSync(join(zooDir, 'zoo.json'), 'utf8')) as { models: { name: string; parameters: number }[] };
    const detectors = csvRows(join(out, 'detectors.csv'));
    const allowed = new Set<string>();
    const allow = (v: number, digits = 3) => (allowed.add(String(v)), allowed.add(v.toFixed(digits)));
    for (let i = 0; i <= Object.keys(LAYERS).length; i++) allow(i);
    for (const r of detectors) allow(Number(r.unique)), allow(Number(r.detectors));
    for (const [m, ls] of Object.entries(LAYERS)) {
      allow(zoo.models.find((z) => z.name === m)!.parameters);
      const units = csvRows(join(out, m, 'dissect.csv'));
      const det = units.filter((r) => r.detector === 'true');
      for (const u of units) allow(Number(u.unit)), allow(Number(u.score));
      allow(units.length), allow(det.length);
      allow(det.reduce((a, r) => a + Number(r.score), 0) / det.length);
      allow(detectors.filter((r) => r.model === m).reduce((a, r) => a + Number(r.unique), 0));
      for (const l of ls) {
        const inLayer = units.filter((r) => r.layer === l);
        allow(inLayer.length);
        const d = inLayer.filter((r) => r.detector === 'true');
        allow(d.length);
        for (const group of [['color', 'texture'], ['object', 'part']]) allow(d.filter((r) => group.includes(r.category!)).length);
      }
    }
    const prose = results.replace(/\]\([^)]*\)/g, ']').replace(/`[^`]*`/g, '');
    const numbers = [...prose.matchAll(/(?<![A-Za-z0-9_.-])\d+(?:\.\d+)?(?![A-Za-z0-9_])/g)].map((m) => m[0]);
    expect(numbers.length).toBeGreaterThan(50);
    expect(numbers.filter((n) => !allowed.has(n))).toEqual([]);

    // The per-layer table of each model is the detectors table, cell for cell.
    for (const [m, ls] of Object.entries(LAYERS)) {
      const section = results.split(`### ${m}\n`)[1]!.split('\n###')[0]!;
      const header = section.split('\n').find((l) => l.startsWith('| layer | units'))!.split('|').map((s) => s.trim()).filter(Boolean);
      for (const l of ls) {
        const cells = section.split('\n').find((row) => row.startsWith(`| ${l} |`))!.split('|').map((s) => s.trim()).filter(Boolean);
        for (const category of header.slice(3)) {
          const row = detectors.find((r) => r.model === m && r.layer === l && r.category === category)!;
          expect(cells[header.indexOf(category)], `${m} ${l} ${category}`).toBe(`${row.unique} (${row.detectors})`);
        }
      }
    }
    expect(results).toMatch(/The seed's claims on this zoo/);

    // One atlas per model: every unit page has its feature visualisation and its dissection montage.
    for (const [m, ls] of Object.entries(LAYERS)) {
      const atlas = join(out, m, 'atlas');
      expect(existsSync(join(atlas, 'index.html'))).toBe(true);
      const units = csvRows(join(out, m, 'dissect.csv'));
      const top = units.filter((r) => r.detector === 'true').sort((a, b) => Number(b.score) - Number(a.score))[0]!;
      const slugDir = readdirSync(atlas).find((d) => d === top.layer || d.startsWith(top.layer!))!;
      atlasPages.push({ model: m, page: join(atlas, slugDir, `${top.unit}.html`) });
      const page = readFileSync(join(atlas, slugDir, `${top.unit}.html`), 'utf8');
      expect(page).toContain('Feature visualisation');
      expect(page).toContain(top.concept);
      for (const src of [...page.matchAll(/src="\.\.\/((?:vis|dissection)\/[^"]+)"/g)].map((x) => x[1]!)) expect(existsSync(join(atlas, src)), src).toBe(true);
      expect(page).toMatch(/src="\.\.\/vis\//);
      expect(page).toMatch(/src="\.\.\/dissection\//);
      expect(readdirSync(join(atlas, 'vis')).length).toBe(ls.length);
    }
  });

  // The atlas pages in a real browser (Debian's chromium, as the atlas's own browser test): the
  // strongest detector's page of each model shows its feature visualisation and dissection montage.
  it.skipIf(!existsSync(CHROMIUM))('each model\'s atlas opens in chromium: index, then a unit page with both new sections loaded', async () => {
    expect(atlasPages.length).toBe(Object.keys(LAYERS).length);
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      for (const { model, page: file } of atlasPages) {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        page.on('console', (msg) => (msg.type() === 'error' ? errors.push(msg.text()) : undefined));
        await page.goto(pathToFileURL(join(file, '../../index.html')).href);
        expect(await page.locator('table.layers tbody tr').count(), model).toBe(LAYERS[model]!.length);
        await page.goto(pathToFileURL(file).href);
        const loaded = (selector: string) =>
          page.locator(selector).evaluateAll(async (els) => {
            // Runs in the page: DOM types are not in this package's lib.
            const imgs = els as unknown as { complete: boolean; naturalWidth: number; onload: unknown; onerror: unknown }[];
            await Promise.all(imgs.map((img) => (img.complete ? null : new Promise((r) => ((img.onload = r), (img.onerror = r))))));
            return imgs.map((img) => img.naturalWidth);
          });
        const vis = await loaded('img.vis');
        expect(vis.length, model).toBe(1);
        expect(vis[0], model).toBeGreaterThan(0);
        const montage = await loaded('img[src*="dissection/"]');
        expect(montage.length, model).toBeGreaterThan(0);
        for (const w of montage) expect(w, model).toBeGreaterThan(0);
        expect(errors, model).toEqual([]);
        await page.close();
      }
    } finally {
      await browser.close();
    }
  }, 120_000);
});

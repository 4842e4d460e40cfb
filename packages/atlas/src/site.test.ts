import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { denormalise, loadImage } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { readAtlasData } from './data.js';
import { buildSiteModel } from './site-model.js';
import { writeSite } from './site.js';
import { brokenImages, launchChromium, serveFolder, watchProblems } from './test-support/browser.js';
import { atlasArgs, studyTables, type StudyTables } from './test-support/tables.js';

const K = 40;
let tables: StudyTables;
let site: string;
let built: Awaited<ReturnType<typeof runBin>>;

beforeAll(async () => {
  tables = await studyTables(K, ['block2', 'block3']);
  site = join(tables.dir, 'site');
  built = await runBin('atlas', [...atlasArgs(tables, site), '--progress']);
}, 180_000);
afterAll(() => {
  if (tables) rmSync(tables.dir, { recursive: true, force: true });
});

function rowsOf(path: string): Record<string, unknown>[] {
  return fromIPC(readFileSync(path)).toArray().map((r) => r.toJSON() as Record<string, unknown>);
}

describe('atlas builds a site from a study\'s tables', () => {
  it('writes an index, a page per layer and per neuron, and a few sprite sheets', () => {
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).toMatch(/wrote .*2 layers, 96 neurons/);
    expect(existsSync(join(site, 'index.html'))).toBe(true);
    expect(readdirSync(join(site, 'block2')).filter((f) => /^\d+\.html$/.test(f))).toHaveLength(32);
    expect(readdirSync(join(site, 'block3')).filter((f) => /^\d+\.html$/.test(f))).toHaveLength(64);
    // 96 neurons x 40 images are drawn from a few sheets, not thousands of files.
    const sheets = readdirSync(join(site, 'img'));
    expect(sheets.filter((f) => f.startsWith('images-'))).toEqual(['images-0.png']);
    expect(sheets.filter((f) => f.startsWith('components-')).sort()).toEqual(['components-block2-0.png', 'components-block3-0.png']);
    expect(readdirSync(tables.dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('draws each thumbnail with exactly the pixels the network saw', async () => {
    const data = await readAtlasData(tables);
    const model = buildSiteModel(data, { top: K });
    expect(model.images.mode).toBe('shared');
    const { layout, paths } = model.images.sets[0]!;
    const sheet = await sharp(join(site, 'img', 'images-0.png')).raw().toBuffer({ resolveWithObject: true });
    expect(sheet.info.width).toBe(layout.width);
    const pp = data.preprocess;
    for (const i of [0, 1, Math.floor(paths.length / 2), paths.length - 1]) {
      const input = new Float32Array(pp.size * pp.size);
      await loadImage(paths[i]!, pp, input, 0);
      const expected = denormalise(input, 1, pp);
      const { x, y } = layout.slot(i);
      for (let r = 0; r < pp.size; r++) {
        for (let c = 0; c < pp.size; c++) {
          expect(sheet.data[((y + r) * layout.width + x + c) * sheet.info.channels]).toBe(expected[r * pp.size + c]);
        }
      }
    }
  });

  it('summarises each layer as sparsity and similarity --summary do', async () => {
    const stats = rowsOf(tables.stats);
    const summary = await runBin('similarity', ['--summary', tables.cof]);
    const pearson = new Map(fromIPC(summary.stdout).toArray().map((r) => [r.layer as string, r.mean_pearson as number]));
    const index = readFileSync(join(site, 'index.html'), 'utf8');
    for (const layer of ['block2', 'block3']) {
      const sf = stats.filter((r) => r.layer === layer && r.facet === 'SF').length;
      const mf = stats.filter((r) => r.layer === layer && r.facet === 'MF').length;
      const row = index.slice(index.indexOf(`href="${layer}/index.html"`)).split('</tr>')[0]!;
      const cells = [...row.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
      // shape, receptive field, neurons, SF, MF, mean Pearson
      expect(cells.slice(2, 6)).toEqual([String(sf + mf), String(sf), String(mf), String(Number(pearson.get(layer)!.toFixed(3)))]);
    }
  });

  it('keeps the old site and leaves nothing behind when a table is wrong', async () => {
    const out = join(tables.dir, 'kept');
    mkdirSync(out);
    writeFileSync(join(out, 'marker'), 'old site');
    const r = await runBin('atlas', atlasArgs({ ...tables, cof: tables.stats }, out));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/atlas: error: --cof .*stats\.arrows.*cof/);
    expect(readdirSync(out)).toEqual(['marker']);
    expect(readdirSync(tables.dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('finds images by relative path with --images; none found is an error', async () => {
    const data = join(repoRoot, 'examples/data');
    const dir = mkdtempSync(join(tmpdir(), 'atlas-relative-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const acts = await runBin('extract', ['--model', join(repoRoot, 'examples/zoo/vgg.onnx'), '--layer', 'block2', '--argmax', 'fashion-mnist/test', '-o', join(dir, 'acts.arrows')], undefined, data);
    expect(acts.code, acts.stderr).toBe(0);
    for (const [tool, args, out] of [
      ['topk', ['-k', '3', 'acts.arrows'], 'topk.arrows'],
      ['cof', ['topk.arrows'], 'cof.arrows'],
      ['sparsity', ['cof.arrows'], 'stats.arrows'],
    ] as const) {
      const r = await runBin(tool, [...args, '-o', out], undefined, dir);
      expect(r.code, r.stderr).toBe(0);
    }
    const flags = ['--topk', 'topk.arrows', '--cof', 'cof.arrows', '--stats', 'stats.arrows'];
    const found = await runBin('atlas', [...flags, '--images', data, '-o', 'site'], undefined, dir);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stderr).toBe('');
    // None of the images found: a site of gray squares is refused (exit 1, nothing written).
    const lost = await runBin('atlas', [...flags, '-o', 'site2'], undefined, dir);
    expect(lost.code).toBe(1);
    expect(lost.stderr).toMatch(/warning: fashion-mnist\/test\/[a-z-]+\/\d+\.png: cannot read image \(no such file\).*drawn gray/);
    expect(lost.stderr).toMatch(/error: none of the \d+ top images could be read \(the first: fashion-mnist\/test\/.*\); give --images ROOT/);
    expect(existsSync(join(dir, 'site2'))).toBe(false);
  });

  it('explains a missing table flag and a bad --top as usage errors', async () => {
    const missing = await runBin('atlas', ['--cof', tables.cof, '--stats', tables.stats, '-o', join(tables.dir, 'x')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/topk/);
    const top = await runBin('atlas', [...atlasArgs(tables, join(tables.dir, 'x')), '--top', '0']);
    expect(top.code).toBe(2);
    expect(top.stderr).toMatch(/--top must be a positive integer/);
    expect(existsSync(join(tables.dir, 'x'))).toBe(false);
  });
});

describe('the site in a real browser (Debian chromium, playwright-core)', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveFolder>>;
  const shots = process.env.ATLAS_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'atlas-shots-'));

  beforeAll(async () => {
    browser = await launchChromium();
    server = await serveFolder(site);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    // Screenshots kept only where ATLAS_SCREENSHOTS asks for them.
    if (!process.env.ATLAS_SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
  });

  it('browses index → layer → neuron with every image loaded, sorting and filtering, and no errors', async () => {
    const stats = rowsOf(tables.stats).filter((r) => r.layer === 'block3');
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchProblems(page);

    await page.goto(server.url);
    expect(await page.locator('table.layers tbody tr').count()).toBe(2);
    expect(await brokenImages(page)).toEqual([]);
    await page.screenshot({ path: join(shots, 'atlas-index.png'), fullPage: true });

    await page.click('a.layer:text("block3")');
    await page.waitForURL(/block3\/index\.html/);
    const cards = page.locator('#cards .card');
    expect(await cards.count()).toBe(64);
    expect(await brokenImages(page)).toEqual([]);

    await page.selectOption('#sort', 'gini');
    const gini = await page.locator('#cards .card:not([hidden])').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.gini)));
    expect(gini).toHaveLength(64);
    expect(gini).toEqual([...gini].sort((a, b) => b - a));
    expect(gini[0]).toBeCloseTo(Math.max(...stats.map((r) => r.gini as number)), 12);

    await page.selectOption('#facet', 'SF');
    const sf = stats.filter((r) => r.facet === 'SF').length;
    expect(await page.locator('#cards .card:not([hidden])').count()).toBe(sf);
    expect(await page.locator('#shown').textContent()).toBe(`${sf} of 64 neurons`);
    await page.screenshot({ path: join(shots, 'atlas-layer.png'), fullPage: false });

    const first = page.locator('#cards .card:not([hidden])').first();
    const neuron = Number(await first.getAttribute('data-neuron'));
    await first.click();
    await page.waitForURL(new RegExp(`block3/${neuron}\\.html`));
    expect(await page.locator('.tops figure').count()).toBe(K);
    expect(await page.locator('.tops .rf').count()).toBe(K);
    expect(await page.locator('.components img').count()).toBe(4);
    const cof = rowsOf(tables.cof).find((r) => r.layer === 'block3' && r.neuron === neuron)!;
    const nonzero = (cof.counts as ArrayLike<number>) ? Array.from(cof.counts as ArrayLike<number>).filter((c) => c > 0).length : 0;
    expect(await page.locator('svg.hist rect').count()).toBe(nonzero);
    expect(await brokenImages(page)).toEqual([]);
    await page.screenshot({ path: join(shots, 'atlas-neuron.png'), fullPage: false });

    const similar = page.locator('.similar a').first();
    const target = await similar.getAttribute('href');
    await similar.click();
    await page.waitForURL(new RegExp(`block3/${target!.replace('.', '\\.')}$`));

    // Back to the layer: the sort and filter come back from the URL.
    await page.goBack();
    await page.goBack();
    await page.waitForURL(/block3\/index\.html/);
    expect(await page.locator('#sort').inputValue()).toBe('gini');
    expect(await page.locator('#cards .card:not([hidden])').count()).toBe(sf);

    expect(problems).toEqual([]);
    await page.close();
  });

  it('uses a wide screen, keeps every histogram count inside its panel, and boxes a field larger than the image as the image it covers', async () => {
    // block3's field (30 px) is larger than the 28 px image: the box is the field clipped to
    // the image, never just its centre dot; dashed sides mark where it goes on past the edge.
    const rf = (JSON.parse(fromIPC(readFileSync(tables.topk)).schema.metadata.get('cnnpipe.layers')!) as { name: string; rf: { size: number } }[]).find((l) => l.name === 'block3')!.rf.size;
    expect(rf).toBeGreaterThan(28);
    const cof = rowsOf(tables.cof).filter((r) => r.layer === 'block3');
    // The neuron whose largest count has the most digits, then the largest count.
    const widest = cof.map((r) => ({ neuron: r.neuron as number, max: Math.max(...Array.from(r.counts as ArrayLike<number>)) })).sort((a, b) => b.max - a.max)[0]!;
    for (const width of [1000, 1920]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const problems = watchProblems(page);
      await page.goto(`${server.url}block3/${widest.neuron}.html`);
      const main = await page.locator('main').evaluate((e) => e.getBoundingClientRect().width);
      expect(main, `main at ${width}px`).toBeGreaterThan(width - 60);
      const hist = await page.locator('svg.hist').evaluate((svg) => {
        const panel = svg.closest('section')!.getBoundingClientRect();
        return { panelRight: panel.right, texts: Array.from(svg.querySelectorAll('text')).map((t) => ({ text: t.textContent, right: t.getBoundingClientRect().right })) };
      });
      expect(hist.texts.map((t) => t.text)).toContain(String(widest.max));
      for (const t of hist.texts) expect(t.right, `'${t.text}' at ${width}px`).toBeLessThanOrEqual(hist.panelRight);
      const boxes = await page.locator('.tops .sp').evaluateAll((sps) =>
        sps.map((sp) => {
          const outer = sp.getBoundingClientRect();
          const box = sp.querySelector('.rf')!.getBoundingClientRect();
          const dot = sp.querySelector('.rfc')!.getBoundingClientRect();
          return { inside: box.left >= outer.left - 0.5 && box.right <= outer.right + 0.5 && box.top >= outer.top - 0.5 && box.bottom <= outer.bottom + 0.5, w: box.width, h: box.height, dot: dot.width, dashed: getComputedStyle(sp.querySelector('.rf')!).borderStyle.includes('dashed') };
        }),
      );
      expect(boxes).toHaveLength(K);
      for (const b of boxes) {
        expect(b.inside).toBe(true);
        // A 30 px field around a peak inside the image keeps at least its half (15 of 28 px)
        // inside it: more than half the thumbnail each way, never a bare dot.
        expect(Math.min(b.w, b.h)).toBeGreaterThan(112 / 2);
        expect(b.dot).toBe(6);
      }
      expect(boxes.some((b) => b.dashed)).toBe(true);
      expect(await page.locator('.field-note').textContent()).toMatch(/receptive field \(30 px\) is larger than the 28 px image/);
      if (width === 1920) await page.screenshot({ path: join(shots, 'atlas-neuron-wide.png'), fullPage: false });
      expect(problems).toEqual([]);
      await page.close();
    }
  });

  it('with a sheet per neuron (large studies), draws exact pixels and each page loads only its sheets', async () => {
    const data = await readAtlasData(tables);
    const model = buildSiteModel(data, { top: K, maxSharedSheets: 0 });
    expect(model.images.mode).toBe('per-neuron');
    const dir = mkdtempSync(join(tmpdir(), 'atlas-per-neuron-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const quiet = { progress: () => ({ tick() {}, finish() {} }) as never, warn: (m: string) => expect.fail(m) };
    await writeSite(model, dir, {}, quiet);
    expect(readdirSync(join(dir, 'img', 'block3')).filter((f) => /^\d+\.png$/.test(f))).toHaveLength(64);
    const n = data.layers[1]!.neurons[7]!;
    const last = n.top[K - 1]!;
    const ref = model.images.top('block3', n.neuron, K - 1);
    const sheet = await sharp(join(dir, ref.file)).raw().toBuffer({ resolveWithObject: true });
    const pp = data.preprocess;
    const input = new Float32Array(pp.size * pp.size);
    await loadImage(last.image, pp, input, 0);
    const expected = denormalise(input, 1, pp);
    const got = Array.from({ length: pp.size * pp.size }, (_, p) => sheet.data[((ref.slot.y + Math.floor(p / pp.size)) * sheet.info.width + ref.slot.x + (p % pp.size)) * sheet.info.channels]);
    expect(got).toEqual(Array.from(expected));

    const page = await browser.newPage();
    const problems = watchProblems(page);
    const requested = new Set<string>();
    page.on('request', (r) => requested.add(r.url().replace(/^.*\/img\//, 'img/')));
    await page.goto(pathToFileURL(join(dir, 'block3', `${n.neuron}.html`)).href);
    expect(await brokenImages(page)).toEqual([]);
    expect([...requested].filter((u) => u.startsWith('img/')).sort()).toEqual(['img/block3/' + n.neuron + '.png', 'img/block3/cards-0.png', 'img/components-block3-0.png']);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('opens from file:// too', async () => {
    const page = await browser.newPage();
    const problems = watchProblems(page);
    await page.goto(pathToFileURL(join(site, 'block2', '0.html')).href);
    expect(await page.locator('.tops figure').count()).toBe(K);
    expect(await brokenImages(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});

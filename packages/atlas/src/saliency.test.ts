import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runBin } from '@cnnpipe/core/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteModel } from './site-model.js';
import { readAtlasData } from './data.js';

const dir = mkdtempSync(join(tmpdir(), 'atlas-saliency-'));
const model = join(repoRoot, 'examples/zoo/vgg.onnx');
const t = (name: string) => join(dir, name);
let built: Awaited<ReturnType<typeof runBin>>;

async function step(tool: string, args: string[]): Promise<void> {
  const r = await runBin(tool, args);
  if (r.code !== 0) throw new Error(`${tool} ${args.join(' ')}: ${r.stderr}`);
}

beforeAll(async () => {
  // A small study: 100 test images, block3's top 3, saliency maps of each neuron's first 2.
  await step('extract', ['--model', model, '--layer', 'block3', '--argmax', '--shard', '0/20', join(repoRoot, 'examples/data/fashion-mnist/test'), '-o', t('acts.arrows')]);
  await step('topk', ['-k', '3', t('acts.arrows'), '-o', t('topk.arrows')]);
  await step('cof', [t('topk.arrows'), '-o', t('cof.arrows')]);
  await step('sparsity', [t('cof.arrows'), '-o', t('stats.arrows')]);
  await step('saliency', ['--model', model, '--layer', 'block3', '--topk', t('topk.arrows'), '--ranks', '2', '--png', t('png'), '-o', t('saliency.arrows')]);
  built = await runBin('atlas', ['--topk', t('topk.arrows'), '--cof', t('cof.arrows'), '--stats', t('stats.arrows'), '--saliency', t('saliency.arrows'), '-o', t('site')]);
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atlas --saliency', () => {
  it("shows a neuron's top images as its saliency maps where the table has them, the receptive-field box elsewhere", () => {
    expect(built.code, built.stderr).toBe(0);
    const page = readFileSync(t('site/block3/5.html'), 'utf8');
    expect(page).toMatch(/<h2>Top 3 images, as saliency maps/);
    const figures = page.split('<figure>').slice(1);
    expect(figures).toHaveLength(3);
    expect(figures[0]).toMatch(/src="\.\.\/img\/saliency-block3-0\.png"/);
    expect(figures[1]).toMatch(/src="\.\.\/img\/saliency-block3-0\.png"/);
    expect(figures[0]).not.toMatch(/class="rf[ "]/);
    expect(figures[2]).toMatch(/src="\.\.\/img\/images-0\.png"/);
    expect(figures[2]).toMatch(/class="rf[ "]/);
  });

  it('draws each map with the pixels saliency --png draws for it', async () => {
    const data = await readAtlasData({ topk: t('topk.arrows'), cof: t('cof.arrows'), stats: t('stats.arrows'), saliency: t('saliency.arrows') });
    const site = buildSiteModel(data, { top: 100 });
    const sprites = site.saliency.get('block3')!;
    const layer = data.layers.find((l) => l.name === 'block3')!;
    expect(sprites.tiles).toHaveLength(layer.neurons.length * 2);
    const sheet = await sharp(t('site/img/saliency-block3-0.png')).raw().toBuffer({ resolveWithObject: true });
    const pngs = readdirSync(t('png'));
    for (const neuron of [0, 7]) {
      const top = layer.neurons[neuron]!.top[1]!;
      const slot = sprites.layout.slot(sprites.slots.get(`${neuron}:1`)!);
      const base = top.image.split('/').pop()!.replace('.png', '');
      const file = pngs.find((f) => f.endsWith(`-${base}-block3-${neuron}.png`))!;
      const expected = await sharp(t(`png/${file}`)).raw().toBuffer({ resolveWithObject: true });
      const side = expected.info.width;
      expect(sprites.layout.tile).toBe(side);
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side * 3; x++) {
          expect(sheet.data[((slot.y + y) * sheet.info.width + slot.x) * 3 + x]).toBe(expected.data[y * side * 3 + x]);
        }
      }
    }
  });
});

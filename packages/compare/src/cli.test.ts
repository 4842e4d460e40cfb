import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixedSizeListValues, int32Data, makeBatch, fixedSizeListData, primitiveValues, stringValues, utf8Data } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import { Table, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasScipy, reference, tempDir, type Layer } from './test-support/reference.js';

const ZOO = join(repoRoot, 'examples/zoo');
const IMAGES = join(repoRoot, 'examples/data/fashion-mnist/test');
const VGG_LAYERS = ['block1', 'block2', 'pool', 'fc'];
const RESNET_LAYERS = ['layer1', 'layer3', 'pool'];

interface Acts {
  images: string[];
  layers: Map<string, Layer>;
  table: Table;
}

function read(file: string): Acts {
  const table = fromIPC(readFileSync(file));
  const layers = new Map<string, Layer>();
  for (const f of table.schema.fields) {
    if (f.name === 'image' || f.name === 'label' || f.name === 'class') continue;
    const { values, size } = fixedSizeListValues(table.getChild(f.name)!);
    layers.set(f.name, { values: Float64Array.from(values), width: size });
  }
  return { images: stringValues(table.getChild('image')!) as string[], layers, table };
}

/** An activations table of the given rows of `acts` (in that order). */
function subset(acts: Acts, rows: number[]): Uint8Array {
  const columns: Record<string, ReturnType<typeof utf8Data> | ReturnType<typeof int32Data> | ReturnType<typeof fixedSizeListData>> = {
    image: utf8Data(rows.map((r) => acts.images[r]!)),
    label: int32Data(Int32Array.from(rows, () => 0)),
    class: utf8Data(rows.map(() => 'x')),
  };
  for (const [name, l] of acts.layers) {
    const v = new Float32Array(rows.length * l.width);
    rows.forEach((r, i) => v.set((l.values as Float64Array).subarray(r * l.width, (r + 1) * l.width), i * l.width));
    columns[name] = fixedSizeListData(v, l.width);
  }
  return tableToIPC(new Table([makeBatch(columns, new Map(acts.table.schema.metadata))]), 'stream');
}

function values(file: string): { a: string[]; b: string[]; value: number[]; method: string[]; n: number[] } {
  const t = fromIPC(readFileSync(file));
  expect(t.schema.metadata.get('cnnpipe.kind')).toBe('layer-similarity');
  return {
    a: stringValues(t.getChild('a_layer')!) as string[],
    b: stringValues(t.getChild('b_layer')!) as string[],
    value: Array.from(primitiveValues(t.getChild('value')!)),
    method: stringValues(t.getChild('method')!) as string[],
    n: Array.from(primitiveValues(t.getChild('n')!)),
  };
}

const maxDiff = (x: number[], y: number[]) => Math.max(...x.map((v, i) => Math.abs(v - y[i]!)));

let dir: string;
let vgg: Acts;
let resnet: Acts;
const f = (name: string) => join(dir, name);

async function ok(args: string[]): Promise<string> {
  const res = await runBin('compare', args);
  expect(res.stderr).not.toMatch(/error/);
  expect(res.code).toBe(0);
  return res.stderr;
}

async function extract(model: string, layers: string[], out: string, extra: string[] = []): Promise<void> {
  const res = await runBin('extract', ['--model', join(ZOO, `${model}.onnx`), ...layers.flatMap((l) => ['--layer', l]), ...extra, `@${f('list.txt')}`, '-o', out]);
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
}

beforeAll(async () => {
  dir = tempDir();
  // 6 demo images of each class: 60 images.
  const lines = readdirSync(IMAGES).flatMap((c) => readdirSync(join(IMAGES, c)).slice(0, 6).map((p) => `${join(IMAGES, c, p)},${c}`));
  writeFileSync(f('list.txt'), lines.join('\n') + '\n');
  await extract('vgg', VGG_LAYERS, f('vgg.arrows'));
  await extract('resnet', RESNET_LAYERS, f('resnet.arrows'));
  for (const s of ['0/2', '1/2']) {
    const tag = s.replace('/', 'of');
    await extract('vgg', VGG_LAYERS, f(`vgg-${tag}.arrows`), ['--shard', s]);
    await extract('resnet', RESNET_LAYERS, f(`resnet-${tag}.arrows`), ['--shard', s]);
  }
  vgg = read(f('vgg.arrows'));
  resnet = read(f('resnet.arrows'));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compare on zoo activations', () => {
  it.skipIf(!hasScipy)('CKA of every VGG layer against every ResNet layer equals the numpy centred-Gram formula to 1e-10', async () => {
    const a = VGG_LAYERS.map((l) => vgg.layers.get(l)!);
    const b = RESNET_LAYERS.map((l) => resnet.layers.get(l)!);
    for (const debiased of [false, true]) {
      const out = f(`cka-${debiased}.arrows`);
      await ok([f('vgg.arrows'), f('resnet.arrows'), ...(debiased ? ['--debiased'] : []), '-o', out]);
      const t = values(out);
      expect(t.a).toEqual(VGG_LAYERS.flatMap((l) => RESNET_LAYERS.map(() => l)));
      expect(t.b).toEqual(VGG_LAYERS.flatMap(() => RESNET_LAYERS));
      expect(new Set(t.method)).toEqual(new Set([debiased ? 'cka-debiased' : 'cka']));
      expect(new Set(t.n)).toEqual(new Set([60]));
      expect(maxDiff(t.value, reference('cka', 60, a, b, { debiased }))).toBeLessThan(1e-10);
    }
  });

  it.skipIf(!hasScipy)('RSA on zoo activations equals scipy (Pearson and Spearman)', async () => {
    const a = ['block2', 'fc'].map((l) => vgg.layers.get(l)!);
    const b = ['layer3'].map((l) => resnet.layers.get(l)!);
    for (const correlation of ['pearson', 'spearman']) {
      const out = f(`rsa-${correlation}.arrows`);
      const stderr = await ok([f('vgg.arrows'), f('resnet.arrows'), '--method', 'rsa', '--correlation', correlation, '--layer-a', 'block2', '--layer-a', 'fc', '--layer-b', 'layer3', '-o', out]);
      expect(stderr).toMatch(/RSA over 60 images: 2 RDMs of 1770 pairs and n x n working matrices, about/);
      const t = values(out);
      expect(t.method).toEqual([`rsa-${correlation}`, `rsa-${correlation}`]);
      expect(maxDiff(t.value, reference('rsa', 60, a, b, { correlation }))).toBeLessThan(1e-10);
    }
  });

  it('a network against itself: 1 on the diagonal, in the asked layer order', async () => {
    await ok([f('vgg.arrows'), f('vgg.arrows'), '--layer-a', 'fc', '--layer-a', 'block1', '--layer-b', 'fc', '--layer-b', 'block1', '-o', f('self.arrows')]);
    const t = values(f('self.arrows'));
    expect(t.a).toEqual(['fc', 'fc', 'block1', 'block1']);
    expect(Math.abs(t.value[0]! - 1)).toBeLessThan(1e-12);
    expect(Math.abs(t.value[3]! - 1)).toBeLessThan(1e-12);
    expect(t.value[1]!).toBeLessThan(0.99);
  });

  it('shards: --partial per shard, then merge, equals one run on all images', async () => {
    for (const tag of ['0of2', '1of2']) await ok(['--partial', f(`vgg-${tag}.arrows`), f(`resnet-${tag}.arrows`), '-o', f(`part-${tag}.arrows`)]);
    const part = fromIPC(readFileSync(f('part-0of2.arrows')));
    expect(part.schema.metadata.get('cnnpipe.kind')).toBe('gram');
    for (const debiased of [false, true]) {
      const flag = debiased ? ['--debiased'] : [];
      await ok(['merge', f('part-0of2.arrows'), f('part-1of2.arrows'), ...flag, '-o', f('merged.arrows')]);
      await ok([f('vgg.arrows'), f('resnet.arrows'), ...flag, '-o', f('single.arrows')]);
      const merged = values(f('merged.arrows'));
      const single = values(f('single.arrows'));
      expect(merged.a).toEqual(single.a);
      expect(merged.n).toEqual(single.n);
      expect(maxDiff(merged.value, single.value)).toBeLessThan(1e-13);
    }
  });
});

describe('compare: bad input', () => {
  async function fails(args: string[], code: number, message: RegExp | string, stdin?: Uint8Array): Promise<void> {
    const res = await runBin('compare', args, stdin);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
    expect(res.code).toBe(code);
    expect(res.stdout.length).toBe(0);
  }
  const all = () => Array.from({ length: 60 }, (_, i) => i);

  it('names the first image in one table and not the other', async () => {
    const rows = all().filter((i) => i !== 17);
    writeFileSync(f('resnet-drop.arrows'), subset(resnet, rows));
    await fails([f('vgg.arrows'), f('resnet-drop.arrows')], 1, `image '${vgg.images[17]}' is in ${f('vgg.arrows')} but not in ${f('resnet-drop.arrows')}`);
    await fails([f('resnet-drop.arrows'), f('vgg.arrows')], 1, `image '${vgg.images[17]}' is in ${f('vgg.arrows')} but not in ${f('resnet-drop.arrows')}`);
    writeFileSync(f('resnet-short.arrows'), subset(resnet, all().slice(0, 50)));
    await fails([f('vgg.arrows'), f('resnet-short.arrows'), '--method', 'rsa'], 1, `image '${vgg.images[50]}' is in`);
    writeFileSync(f('resnet-rev.arrows'), subset(resnet, all().reverse()));
    await fails([f('vgg.arrows'), f('resnet-rev.arrows')], 1, /hold the same images in a different order \(row 0: /);
  });

  it("NaN/Inf in a compared layer: core's one line, or --skip-nonfinite leaves that image out of both sides", async () => {
    const spoiled: Acts = { ...vgg, layers: new Map([...vgg.layers].map(([k, l]) => [k, { values: Float64Array.from(l.values), width: l.width }])) };
    (spoiled.layers.get('block2')!.values as Float64Array)[5 * 32 + 3] = Number.NaN;
    writeFileSync(f('vgg-nan.arrows'), subset(spoiled, all()));
    await fails([f('vgg-nan.arrows'), f('resnet.arrows')], 1, new RegExp(`vgg-nan.arrows: column 'block2' has 1 NaN/Inf value \\(first at row 6, image ${vgg.images[5]}\\)`));
    const res = await runBin('compare', [f('vgg-nan.arrows'), f('resnet.arrows'), '--skip-nonfinite', '-o', f('skip.arrows')]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/dropped 1 images with NaN\/Inf values/);
    const rest = all().filter((i) => i !== 5);
    writeFileSync(f('vgg-rest.arrows'), subset(vgg, rest));
    writeFileSync(f('resnet-rest.arrows'), subset(resnet, rest));
    await ok([f('vgg-rest.arrows'), f('resnet-rest.arrows'), '-o', f('rest.arrows')]);
    const skipped = values(f('skip.arrows'));
    expect(new Set(skipped.n)).toEqual(new Set([59]));
    expect(maxDiff(skipped.value, values(f('rest.arrows')).value)).toBeLessThan(1e-13);
  });

  it('wrong kinds, unknown layers, and flags of the other method', async () => {
    await fails([f('cka-false.arrows'), f('vgg.arrows')], 1, "wrong table kind (expected 'activations', got 'layer-similarity')");
    await fails([f('vgg.arrows'), f('resnet.arrows'), '--layer-b', 'layer9'], 1, `${f('resnet.arrows')}: no column 'layer9' (given by --layer-b; layer columns are: layer1, layer3, pool)`);
    await fails([f('vgg.arrows'), f('resnet.arrows'), '--method', 'rsa', '--partial'], 2, '--partial is for --method cka');
    await fails([f('vgg.arrows')], 2, 'expected two activations tables A B, got 1');
    writeFileSync(f('vgg-3.arrows'), subset(vgg, [0, 1, 2]));
    writeFileSync(f('resnet-3.arrows'), subset(resnet, [0, 1, 2]));
    await fails([f('vgg-3.arrows'), f('resnet-3.arrows'), '--debiased'], 1, `${f('vgg-3.arrows')} and ${f('resnet-3.arrows')}: 3 image(s) (expected at least 4 for debiased CKA)`);
    await fails(['-', '-'], 2, "stdin ('-') can be read only once");
  });

  it('RSA refuses more images than --max-images, with the memory it would need', async () => {
    await fails([f('vgg.arrows'), f('resnet.arrows'), '--method', 'rsa', '--max-images', '40'], 1, /more than --max-images 40 images .*use --method cka/);
  });

  it('merge: only compare statistics of the same layers', async () => {
    const g = await runBin('lstsq', ['fit', '--partial', '--source', `${f('vgg.arrows')}:pool`, '--target', `${f('resnet.arrows')}:pool`, '-o', f('lstsq-gram.arrows')]);
    expect(g.code).toBe(0);
    await fails(['merge', f('lstsq-gram.arrows')], 1, "a gram table without compare's layer layout");
    await ok(['--partial', f('vgg-0of2.arrows'), f('resnet-0of2.arrows'), '--layer-b', 'pool', '-o', f('part-pool.arrows')]);
    await ok(['--partial', f('vgg-1of2.arrows'), f('resnet-1of2.arrows'), '-o', f('part-all.arrows')]);
    await fails(['merge', f('part-pool.arrows'), f('part-all.arrows')], 1, `${f('part-all.arrows')}: compares vgg[block1:16,`);
    await fails(['merge', f('vgg.arrows')], 1, "wrong table kind (expected 'gram', got 'activations')");
  });
});

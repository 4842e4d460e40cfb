import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElemType, encodeModel, expectKind, fixedSizeListValues, valueInfo } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import type { Table } from 'apache-arrow';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-saliency-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const zoo = join(repoRoot, 'examples', 'zoo');
const fixtures = join(repoRoot, 'packages', 'autodiff', 'fixtures');
const bags = join(repoRoot, 'examples', 'data', 'fashion-mnist', 'test', 'bag');
const tvImages = join(repoRoot, 'packages', 'extract', 'fixtures', 'tv-images');
const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch, torchvision, onnx'], { stdio: 'ignore' }).status === 0;

async function saliency(args: string[]): Promise<Table> {
  const result = await runBin('saliency', args);
  if (result.code !== 0) throw new Error(result.stderr);
  return fromIPC(result.stdout);
}

/** Row r's map as a Float32Array. */
function mapOf(table: Table, r: number): Float32Array {
  return Float32Array.from(table.getChild('pixels')!.get(r)!.toArray() as Float32Array);
}

function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    diff += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

const firstBags = readdirSync(bags).sort().slice(0, 3).map((f) => join(bags, f));

interface Case {
  model: string;
  layer: string;
  channel: number;
  images: string[];
  flags: string[];
  preprocess: { resize: number; size: number; mean: number[]; std: number[]; channels: number };
}

const gray = { resize: 28, size: 28, mean: [0.286], std: [0.353], channels: 1 };
const imagenet112 = { resize: 112, size: 112, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channels: 3 };
const tvFiles = readdirSync(tvImages).sort().slice(0, 2).map((f) => join(tvImages, f));
const cases: Case[] = [
  { model: join(zoo, 'resnet.onnx'), layer: 'layer3', channel: 5, images: firstBags, flags: [], preprocess: gray },
  { model: join(zoo, 'densenet.onnx'), layer: 'trans2', channel: 3, images: firstBags, flags: [], preprocess: gray },
  { model: join(zoo, 'inception.onnx'), layer: 'inception2', channel: 7, images: firstBags, flags: [], preprocess: gray },
  { model: join(fixtures, 'tv-googlenet.onnx'), layer: 'inception4a', channel: 2, images: tvFiles, flags: ['--size', '112', '--resize', '112'], preprocess: imagenet112 },
  { model: join(fixtures, 'tv-mobilenetv2.onnx'), layer: 'features.6', channel: 1, images: tvFiles, flags: ['--size', '112', '--resize', '112'], preprocess: imagenet112 },
];

describe('saliency --method gradient', () => {
  it.skipIf(!hasTorch)("equals torch.autograd's input gradient of the channel mean (1e-4 relative)", async () => {
    const spec = join(dir, 'cases.json');
    writeFileSync(spec, JSON.stringify(cases.map((c) => ({ model: c.model, layer: c.layer, channel: c.channel, images: c.images, ...c.preprocess }))));
    const reference = spawnSync(python, [join(repoRoot, 'tools', 'autodiff', 'saliency_reference.py'), spec, dir], { encoding: 'utf8' });
    expect(reference.status, reference.stderr).toBe(0);
    for (const [k, c] of cases.entries()) {
      const table = await saliency(['--model', c.model, '--layer', c.layer, '--channel', String(c.channel), ...c.flags, ...c.images]);
      expect(table.numRows).toBe(c.images.length);
      const expected = new Float32Array(Uint8Array.from(readFileSync(join(dir, `${k}.f32`))).buffer);
      const per = expected.length / c.images.length;
      for (let r = 0; r < table.numRows; r++) {
        expect(table.getChild('image')!.get(r)).toBe(c.images[r]);
        expect(table.getChild('neuron')!.get(r)).toBe(c.channel);
        expect(relativeError(mapOf(table, r), expected.subarray(r * per, (r + 1) * per))).toBeLessThan(1e-4);
      }
    }
  });

  it('writes the saliency kind with the input tensor shape and the metadata', async () => {
    const table = await saliency(['--model', join(zoo, 'vgg.onnx'), '--layer', 'block3', '--channel', '1', '--channel', '4', ...firstBags]);
    expect(expectKind(table.schema, 'saliency')).toBe('saliency');
    expect(table.numRows).toBe(6);
    expect(Array.from({ length: 6 }, (_, r) => table.getChild('neuron')!.get(r))).toEqual([1, 4, 1, 4, 1, 4]);
    expect([table.getChild('height')!.get(0), table.getChild('width')!.get(0), table.getChild('channels')!.get(0)]).toEqual([28, 28, 1]);
    expect(mapOf(table, 0).length).toBe(784);
    expect(JSON.parse(table.schema.metadata.get('cnnpipe.layers')!)[0]).toMatchObject({ name: 'block3', shape: [64, 7, 7] });
    expect(JSON.parse(table.schema.metadata.get('cnnpipe.preprocess')!)).toMatchObject({ size: 28, mean: [0.286] });
    expect(table.schema.metadata.get('cnnpipe.model')).toBe('vgg.onnx');
  });
});

describe('methods', () => {
  const base = ['--model', join(zoo, 'resnet.onnx'), '--layer', 'layer2', '--channel', '3', firstBags[0]!];

  it('gradient-x-input is the gradient times the preprocessed input', async () => {
    const gradient = mapOf(await saliency([...base, '--method', 'gradient']), 0);
    const product = mapOf(await saliency([...base, '--method', 'gradient-x-input']), 0);
    const { data } = await sharp(firstBags[0]!).greyscale().raw().toBuffer({ resolveWithObject: true });
    const x = Float32Array.from(data, (v) => (v / 255 - 0.286) / 0.353);
    const expected = gradient.map((g, i) => g * x[i]!);
    expect(relativeError(product, expected)).toBeLessThan(1e-5);
  });

  it('smoothgrad without noise is the gradient; with noise it differs and depends on the seed', async () => {
    const gradient = mapOf(await saliency([...base, '--method', 'gradient']), 0);
    const noiseless = mapOf(await saliency([...base, '--method', 'smoothgrad', '--samples', '3', '--noise', '0']), 0);
    expect(relativeError(noiseless, gradient)).toBeLessThan(1e-5);
    const noisy = mapOf(await saliency([...base, '--method', 'smoothgrad', '--samples', '4', '--noise', '0.2']), 0);
    const again = mapOf(await saliency([...base, '--method', 'smoothgrad', '--samples', '4', '--noise', '0.2']), 0);
    const reseeded = mapOf(await saliency([...base, '--method', 'smoothgrad', '--samples', '4', '--noise', '0.2', '--seed', '9']), 0);
    expect(relativeError(noisy, gradient)).toBeGreaterThan(0.05);
    expect(Array.from(again)).toEqual(Array.from(noisy));
    expect(relativeError(reseeded, noisy)).toBeGreaterThan(0.01);
  });

  it("--top T explains each image's T strongest channels, as extract's channel means rank them", async () => {
    const table = await saliency(['--model', join(zoo, 'resnet.onnx'), '--layer', 'layer3', '--top', '3', '--batch', '2', ...firstBags]);
    const extracted = await runBin('extract', ['--model', join(zoo, 'resnet.onnx'), '--layer', 'layer3', ...firstBags]);
    const activations = fromIPC(extracted.stdout);
    const { values, size } = fixedSizeListValues(activations.getChild('layer3')!);
    for (let i = 0; i < firstBags.length; i++) {
      const means = Array.from(values.subarray(i * size, (i + 1) * size));
      const strongest = means.map((v, c) => [v, c] as const).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([, c]) => c);
      expect([0, 1, 2].map((k) => table.getChild('neuron')!.get(3 * i + k))).toEqual(strongest);
    }
  });

  it('--png writes one heat map per row, at the crop size', async () => {
    const png = join(dir, 'maps');
    const table = await saliency([...base.slice(0, -1), '--png', png, ...firstBags.slice(0, 2)]);
    const files = readdirSync(png).sort();
    expect(files).toHaveLength(table.numRows);
    expect(files[0]).toMatch(/^00000-.*-layer2-3\.png$/);
    const meta = await sharp(join(png, files[0]!)).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([28, 28, 3]);
  });
});

describe('--topk', () => {
  it("explains each neuron of the layer on its top images: the topk table's pairs, each map as --channel gives it", async () => {
    const model = join(zoo, 'vgg.onnx');
    const extracted = await runBin('extract', ['--model', model, '--layer', 'block4', '--layer', 'block3', ...firstBags]);
    const topk = await runBin('topk', ['-k', '2'], extracted.stdout);
    const topkFile = join(dir, 'topk.arrows');
    writeFileSync(topkFile, topk.stdout);
    const table = await saliency(['--model', model, '--layer', 'block3', '--topk', topkFile, '--batch', '2']);
    const pairs = fromIPC(topk.stdout).toArray().filter((r) => r.layer === 'block3').map((r) => `${r.image as string}#${r.neuron as number}`).sort();
    const rows = Array.from({ length: table.numRows }, (_, r) => `${table.getChild('image')!.get(r) as string}#${table.getChild('neuron')!.get(r) as number}`);
    expect([...rows].sort()).toEqual(pairs);
    for (const r of [0, table.numRows - 1]) {
      const [image, neuron] = rows[r]!.split('#') as [string, string];
      const single = await saliency(['--model', model, '--layer', 'block3', '--channel', neuron, image]);
      expect(relativeError(mapOf(table, r), mapOf(single, 0))).toBeLessThan(1e-6);
    }
    const first = await saliency(['--model', model, '--layer', 'block3', '--topk', topkFile, '--ranks', '1']);
    expect(first.numRows).toBe(pairs.length / 2);
  });
});

describe('errors', () => {
  it('an operator without an adjoint stops the tool with one line naming it, its node and layer', async () => {
    const model = join(dir, 'softmax.onnx');
    writeFileSync(
      model,
      encodeModel({
        name: 'm',
        node: [
          { opType: 'LRN', name: '/head/lrn/LRN', input: ['input'], output: ['s'], attribute: [{ name: 'size', type: 2, i: 3 }] },
          { opType: 'Relu', name: '/head/relu/Relu', input: ['s'], output: ['y'] },
        ],
        input: [valueInfo('input', ElemType.float32, ['N', 1, 28, 28])],
        output: [valueInfo('y', ElemType.float32, ['N', 1, 28, 28])],
      }),
    );
    const result = await runBin('saliency', ['--model', model, '--layer', 'head', '--channel', '0', firstBags[0]!]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain("cannot differentiate LRN node '/head/lrn/LRN' (layer head.lrn): no adjoint for LRN");
    expect(result.stdout.length).toBe(0);
  });

  it('a channel outside the layer is exit 1; a missing unit choice is a usage error', async () => {
    const outside = await runBin('saliency', ['--model', join(zoo, 'vgg.onnx'), '--layer', 'block1', '--channel', '99', firstBags[0]!]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/--channel 99: the layer has channels 0\.\.\d+/);
    const neither = await runBin('saliency', ['--model', join(zoo, 'vgg.onnx'), '--layer', 'block1', firstBags[0]!]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/expected --channel C \(repeatable\), --top T or --topk TABLE/);
  });
});

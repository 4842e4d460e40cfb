import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedSizeListValues } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import type { Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `--preset imagenet` against a notebook: forward hooks on a torchvision ResNet18 topology
 * (narrow, random weights) after torchvision's Resize(256), CenterCrop(224), ToTensor(),
 * Normalize on PIL images (tools/zoo/parity_preprocess.py). The committed fixture covers
 * committed images (112x112 RGB and 28x28 gray PNGs, both resized up); with Debian's torch
 * present, the script also runs live on scikit-learn's sample photos (640x427 JPEGs, resized
 * down). Pooled means and logits must agree within 1e-4 of the layer's largest value.
 */
const fixtures = join(repoRoot, 'packages', 'extract', 'fixtures');
const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
const photos = ['china.jpg', 'flower.jpg'].map((f) => `/usr/lib/python3/dist-packages/sklearn/datasets/images/${f}`).filter((p) => existsSync(p));
const layers = ['layer1', 'layer2', 'layer3', 'layer4', 'avgpool'];
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-preprocess-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Reference {
  images: string[];
  layers: Record<string, number[][]>;
  logits: number[][];
}

async function extract(model: string, images: string[], extra: string[] = []): Promise<Table> {
  const result = await runBin('extract', ['--model', model, '--preset', 'imagenet', '--logits', ...extra, ...layers.flatMap((l) => ['--layer', l]), ...images]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return fromIPC(result.stdout);
}

/** Largest |got - want| over the largest |want|. */
function relativeDiff(table: Table, column: string, want: number[][]): number {
  const { values, size } = fixedSizeListValues(table.getChild(column)!);
  expect(size, column).toBe(want[0]!.length);
  const largest = Math.max(...want.flat().map(Math.abs), 1e-6);
  let worst = 0;
  want.forEach((row, r) => row.forEach((w, c) => (worst = Math.max(worst, Math.abs(values[r * size + c]! - w)))));
  return worst / largest;
}

function compare(table: Table, reference: Reference): Record<string, number> {
  const diffs: Record<string, number> = {};
  for (const layer of layers) diffs[layer] = relativeDiff(table, layer, reference.layers[layer]!);
  diffs.logits = relativeDiff(table, 'logits', reference.logits);
  return diffs;
}

describe('--preset imagenet equals torchvision transforms + forward hooks (ResNet18 topology)', () => {
  it('on committed images (upsampled 112 -> 256 and 28 -> 256, cropped to 224), from the committed fixture', async () => {
    const reference = JSON.parse(readFileSync(join(fixtures, 'tv-resnet18-preprocess.json'), 'utf8')) as Reference;
    const table = await extract(join(fixtures, 'tv-resnet18.onnx'), reference.images.map((p) => join(repoRoot, p)));
    for (const [name, diff] of Object.entries(compare(table, reference))) expect(diff, name).toBeLessThanOrEqual(1e-4);
  });

  it.skipIf(!hasTorch || photos.length === 0)("on scikit-learn's sample photos (640x427 JPEGs), torch run live", async () => {
    const out = join(dir, 'live');
    const run = spawnSync(python, [join(repoRoot, 'tools/zoo/parity_preprocess.py'), '--out', out, ...photos], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const reference = JSON.parse(readFileSync(join(out, 'reference.json'), 'utf8')) as Reference;
    const diffs = compare(await extract(join(out, 'model.onnx'), photos), reference);
    for (const [name, diff] of Object.entries(diffs)) expect(diff, name).toBeLessThanOrEqual(1e-4);
    // What the faster resampler costs in agreement (reported, and it must really differ).
    const vips = compare(await extract(join(out, 'model.onnx'), photos, ['--resize-kernel', 'libvips']), reference);
    expect(vips.layer3).toBeGreaterThan(1e-4);
    const fmt = (d: Record<string, number>) => Object.entries(d).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ');
    console.log(`relative difference to torchvision on ${photos.length} photos: pil ${fmt(diffs)}; libvips ${fmt(vips)}`);
  });
});

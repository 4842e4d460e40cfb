import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedSizeListValues, layersOf, type ReceptiveField } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import type { Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Parity with PyTorch: fixtures/<family>.json holds forward-hook activations of a small
 * random-weight model on four committed images, written by a script from the same PyTorch
 * modules that fixtures/<family>.onnx was exported from:
 * - the zoo families (tools/zoo/parity_fixtures.py), on Fashion-MNIST test images;
 * - torchvision's ResNet, VGG, MobileNetV2 and GoogLeNet at reduced widths
 *   (tools/zoo/parity_torchvision.py), on 112x112 RGB PNGs under fixtures/tv-images, fed
 *   with explicit --size/--resize/--mean/--std so nothing is resized; these also hold the logits.
 * extract must return the same per-channel means (and vectors, and logits) within 1e-4 of
 * the largest value, and the same argmax cells where the top two are not a near-tie.
 */
interface LayerReference {
  /** [C,H,W] of a feature map, [C] of a vector (torchvision fixtures only). */
  shape?: number[];
  mean: number[][];
  /** Absent for vectors. */
  argmax?: number[][];
  argmax_margin?: number[][];
}

interface Fixture {
  model: string;
  images: string[];
  /** Folder of the images relative to the fixtures folder; default the zoo's Fashion-MNIST test split. */
  image_dir?: string;
  preprocess?: { size: number; mean: number[]; std: number[] };
  layers: Record<string, LayerReference>;
  logits?: number[][];
}

const fixtures = join(repoRoot, 'packages', 'extract', 'fixtures');
const testImages = join(repoRoot, 'examples', 'data', 'fashion-mnist', 'test');
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function load(family: string): Fixture {
  return JSON.parse(readFileSync(join(fixtures, `${family}.json`), 'utf8')) as Fixture;
}

async function extract(fixture: Fixture, family: string, args: string[]): Promise<Table> {
  const root = fixture.image_dir ? join(fixtures, fixture.image_dir) : testImages;
  const list = join(dir, `${family}.txt`);
  writeFileSync(list, fixture.images.map((i) => join(root, i)).join('\n'));
  const pp = fixture.preprocess;
  // --resize = --size: Resize(112) of a 112x112 image is PIL's copy, so nothing is resampled.
  const ppArgs = pp ? ['--size', String(pp.size), '--resize', String(pp.size), '--mean', pp.mean.join(','), '--std', pp.std.join(',')] : [];
  const result = await runBin('extract', ['--model', join(fixtures, fixture.model), ...ppArgs, ...args, `@${list}`]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const table = fromIPC(result.stdout);
  expect(table.numRows).toBe(fixture.images.length);
  return table;
}

/** Largest |got - want| over the largest |want| (floor 1e-6). */
function relativeDiff(table: Table, column: string, want: number[][]): number {
  const { values, size } = fixedSizeListValues(table.getChild(column)!);
  expect(size, column).toBe(want[0]!.length);
  const largest = Math.max(...want.flat().map(Math.abs), 1e-6);
  let worst = 0;
  want.forEach((row, r) => row.forEach((w, c) => (worst = Math.max(worst, Math.abs(values[r * size + c]! - w)))));
  return worst / largest;
}

/** Argmax cells differing from PyTorch's where its top two differ by more than 1e-5 of the largest mean. */
function argmaxMismatches(table: Table, layer: string, want: LayerReference): string[] {
  const { values, size } = fixedSizeListValues(table.getChild(`${layer}:argmax`)!);
  const largest = Math.max(...want.mean.flat().map(Math.abs), 1e-6);
  const bad: string[] = [];
  want.argmax!.forEach((row, r) =>
    row.forEach((w, c) => {
      if (want.argmax_margin![r]![c]! > 1e-5 * largest && values[r * size + c] !== w) bad.push(`${layer}[${r},${c}]: ${values[r * size + c]} != ${w}`);
    }),
  );
  return bad;
}

const zoo = ['vgg', 'resnet', 'mobilenet', 'inception', 'densenet'];
const torchvision = ['tv-resnet', 'tv-vgg', 'tv-mobilenetv2', 'tv-googlenet'];

describe.each([...zoo, ...torchvision])('parity with PyTorch hooks: %s', (family) => {
  it('pooled means within 1e-4 of the largest activation, argmax equal where not a near-tie, logits within 1e-4', async () => {
    const fixture = load(family);
    const maps = Object.keys(fixture.layers).filter((l) => fixture.layers[l]!.argmax);
    const vectors = Object.keys(fixture.layers).filter((l) => !fixture.layers[l]!.argmax);
    const table = await extract(fixture, family, ['--argmax', ...(fixture.logits ? ['--logits'] : []), ...maps.flatMap((l) => ['--layer', l])]);
    for (const layer of maps) {
      expect(argmaxMismatches(table, layer, fixture.layers[layer]!)).toEqual([]);
      expect(relativeDiff(table, layer, fixture.layers[layer]!.mean), layer).toBeLessThanOrEqual(1e-4);
    }
    if (fixture.logits) expect(relativeDiff(table, 'logits', fixture.logits), 'logits').toBeLessThanOrEqual(1e-4);
    if (vectors.length > 0) {
      // --argmax is for feature maps only, so vector layers (classifier.1) get a run of their own.
      const vectorTable = await extract(fixture, family, vectors.flatMap((l) => ['--layer', l]));
      for (const layer of vectors) expect(relativeDiff(vectorTable, layer, fixture.layers[layer]!.mean), layer).toBeLessThanOrEqual(1e-4);
    }
  });
});

/** Receptive fields worked out by hand from the torchvision modules (size, stride, centre of cell 0). */
const expectedFields: Record<string, Record<string, ReceptiveField>> = {
  // conv1 7x7/2 pad 3, maxpool 3x3/2 pad 1, then two 3x3 convs per block (the 1x1 shortcut is narrower).
  'tv-resnet': { maxpool: { size: 11, stride: 4, offset: 0 }, layer1: { size: 27, stride: 4, offset: 0 }, 'layer2.0': { size: 51, stride: 8, offset: 0 } },
  // 3x3 pad 1, maxpool 2x2/2 (its cell 0 is centred between pixels 0 and 1), 3x3 pad 1.
  'tv-vgg': { 'features.6': { size: 8, stride: 2, offset: 0.5 } },
  // GoogLeNet pools without padding (ceil mode): maxpool1 cell 0 is centred on conv1 cell 1.
  'tv-googlenet': { conv1: { size: 7, stride: 2, offset: 0 }, maxpool2: { size: 27, stride: 8, offset: 6 } },
};

describe.each(torchvision)('torchvision graph %s: layer listing and receptive fields', (family) => {
  it('--list-layers names every tapped module with the shape PyTorch gave it', async () => {
    const fixture = load(family);
    const result = await runBin('extract', ['--model', join(fixtures, fixture.model), '--list-layers']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rows = result.stdout.toString('utf8').trim().split('\n').slice(1);
    const listed = new Map(rows.map((line) => line.trim().split(/\s+/)).map(([name, shape]) => [name, shape]));
    for (const [layer, want] of Object.entries(fixture.layers)) expect(listed.get(layer), layer).toBe(want.shape!.join('x'));
  });

  it('receptive fields in cnnpipe.layers are finite and span the image', async () => {
    const fixture = load(family);
    const size = fixture.preprocess!.size;
    const maps = Object.keys(fixture.layers).filter((l) => fixture.layers[l]!.argmax);
    const table = await extract(fixture, family, maps.flatMap((l) => ['--layer', l]));
    const layers = layersOf(table.schema)!;
    expect(layers.map((l) => l.name)).toEqual(maps);
    for (const layer of layers) {
      const rf = layer.rf!;
      expect(rf, layer.name).toBeDefined();
      const [, height] = layer.shape as [number, number, number];
      for (const v of [rf.size, rf.stride, rf.offset]) expect(Number.isFinite(v), `${layer.name} ${JSON.stringify(rf)}`).toBe(true);
      expect(rf.stride, layer.name).toBeGreaterThanOrEqual(1);
      expect(rf.size, layer.name).toBeGreaterThanOrEqual(rf.stride);
      // The H cells' centres cover the image: H is the image size over the stride (ceil-mode pools round up).
      expect(Math.abs(height - size / rf.stride), `${layer.name} ${JSON.stringify(rf)} H=${height}`).toBeLessThan(1);
      expect(rf.offset, layer.name).toBeGreaterThanOrEqual(-rf.stride);
      expect(rf.offset + (height - 1) * rf.stride, layer.name).toBeLessThanOrEqual(size - 1 + rf.stride);
      const want = expectedFields[family]?.[layer.name];
      if (want) expect(rf, layer.name).toEqual(want);
    }
  });
});

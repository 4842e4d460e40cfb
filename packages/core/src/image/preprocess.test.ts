import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPreprocessed, modelPixels, resolvePreprocess, type Preprocess } from './preprocess.js';
import { centerCropOffset, resizedSize } from './resample.js';
import { repoRoot } from '../testing.js';

/**
 * extract's input tensors against torchvision's own `Resize, CenterCrop, ToTensor, Normalize`
 * on PIL images (tools/zoo/torchvision_inputs.py, run here with Debian's torchvision): the
 * uint8 crops must be equal and the float32 tensors bit-equal, on scikit-learn's sample
 * photos (640x427 JPEGs), the demo's 28x28 gray PNGs and the 112x112 RGB test PNGs, for
 * every preset, also when the image already has the crop size.
 */
const python = '/usr/bin/python3';
const hasTorchvision = spawnSync(python, ['-c', 'import torchvision, PIL'], { stdio: 'ignore' }).status === 0;
const photos = ['china.jpg', 'flower.jpg'].map((f) => `/usr/lib/python3/dist-packages/sklearn/datasets/images/${f}`).filter((p) => existsSync(p));
const fashion = join(repoRoot, 'examples/data/fashion-mnist/test');
const demo = ['bag/00018.png', 'coat/00006.png', 'sneaker/00009.png'].map((p) => join(fashion, p));
const tvImages = join(repoRoot, 'packages/extract/fixtures/tv-images');
const rgb112 = readdirSync(tvImages).sort().slice(0, 2).map((f) => join(tvImages, f));
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-tv-preprocess-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  path: string;
  pp: Preprocess;
}

/** torchvision's crops and tensors for the cases, each with its own mean/std (one python run per mean/std). */
function torchvision(cases: Case[]): { crops: Buffer[]; tensors: Float32Array[] } {
  const crops: Buffer[] = [];
  const tensors: Float32Array[] = [];
  const groups = new Map<string, number[]>();
  cases.forEach((c, i) => {
    const key = JSON.stringify([c.pp.mean, c.pp.std]);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  for (const indices of groups.values()) {
    const { mean, std } = cases[indices[0]!]!.pp;
    const run = torchvisionRun(indices.map((i) => cases[i]!), mean, std);
    indices.forEach((i, k) => {
      crops[i] = run.crops[k]!;
      tensors[i] = run.tensors[k]!;
    });
  }
  return { crops, tensors };
}

function torchvisionRun(cases: Case[], mean: number[], std: number[]): { crops: Buffer[]; tensors: Float32Array[] } {
  const out = join(dir, String(Math.random()).slice(2));
  const args = cases.map((c) => `${c.path}:${c.pp.resize}:${c.pp.size}:${c.pp.channels}`);
  const run = spawnSync(python, [join(repoRoot, 'tools/zoo/torchvision_inputs.py'), out, mean.join(','), std.join(','), ...args], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const crops = cases.map((_, i) => readFileSync(join(out, `${i}.u8`)));
  const tensors = cases.map((_, i) => {
    const bytes = readFileSync(join(out, `${i}.f32`));
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  });
  return { crops, tensors };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Our crop as torchvision hands it out: a gray image for an RGB model repeated into three bands. */
async function ourCrop(path: string, pp: Preprocess): Promise<Uint8Array> {
  const image = await modelPixels(readFileSync(path), pp);
  if (image.channels === pp.channels) return image.data;
  return Uint8Array.from({ length: image.data.length * pp.channels }, (_, i) => image.data[Math.floor(i / pp.channels)]!);
}

describe('torchvision sizes and offsets', () => {
  it('Resize truncates the long side, CenterCrop rounds half to even', () => {
    expect(resizedSize(640, 427, 256)).toEqual([383, 256]); // int(256 * 640 / 427) = int(383.7)
    expect(resizedSize(427, 640, 256)).toEqual([256, 383]);
    expect(resizedSize(28, 28, 256)).toEqual([256, 256]);
    expect(centerCropOffset(383, 224)).toBe(80); // round(79.5) = 80 (even)
    expect(centerCropOffset(341, 224)).toBe(58); // round(58.5) = 58 (even)
    expect(centerCropOffset(256, 224)).toBe(16);
  });
});

describe.skipIf(!hasTorchvision)('preprocessing equals torchvision on PIL images', () => {
  const presets = (channels: 1 | 3) => ['imagenet', 'inception', 'gray'].map((preset) => resolvePreprocess(channels, { preset }));

  it.each([
    ['ImageNet mean/std, RGB models', 3 as const],
    ['Fashion-MNIST mean/std, gray models', 1 as const],
  ])('uint8 crops equal and float32 tensors bit-equal (%s)', async (_, channels) => {
    // A 224x224 photo (the crop size): the presets still resize to 256 and crop, as torchvision does.
    const square = join(dir, 'square-224.png');
    await sharp(photos[0] ?? rgb112[0]!).resize(224, 224, { fit: 'cover' }).png().toFile(square);
    const cases: Case[] = [];
    for (const pp of presets(channels)) {
      for (const path of [...photos, ...demo, ...rgb112, square]) cases.push({ path, pp });
    }
    cases.push({ path: rgb112[0]!, pp: resolvePreprocess(channels, { preset: 'imagenet', size: 100, resize: 112 }) });
    // Noise at odd shapes (extreme aspect, off-by-one, odd crop offsets) for the kernel's edges.
    for (const [w, h, resize, size] of [[1000, 37, 40, 30], [513, 999, 342, 299], [257, 256, 256, 224], [300, 301, 256, 224], [225, 225, 256, 224]] as const) {
      const noise = join(dir, `noise-${w}x${h}.png`);
      const bytes = Buffer.from(Array.from({ length: w * h * 3 }, (_, i) => (i * 2654435761) >>> 24));
      await sharp(bytes, { raw: { width: w, height: h, channels: 3 } }).png().toFile(noise);
      cases.push({ path: noise, pp: resolvePreprocess(channels, { preset: 'imagenet', size, resize }) });
    }
    const want = torchvision(cases);
    let worstByte = 0;
    let worstValue = 0;
    for (const [i, c] of cases.entries()) {
      const label = `${c.path} ${c.pp.resize}/${c.pp.size}`;
      const crop = await ourCrop(c.path, c.pp);
      const byteDiff = maxDiff(crop, want.crops[i]!);
      const valueDiff = maxDiff(await loadPreprocessed(c.path, c.pp), want.tensors[i]!);
      expect(byteDiff, label).toBe(0);
      expect(valueDiff, label).toBe(0);
      worstByte = Math.max(worstByte, byteDiff);
      worstValue = Math.max(worstValue, valueDiff);
    }
    console.log(`torchvision preprocessing, ${cases.length} cases (${photos.length} sklearn photos): max uint8 difference ${worstByte}, max input value difference ${worstValue}`);
  });

  it("--resize-kernel libvips uses torchvision's sizes and offsets but not PIL's kernel", async () => {
    const pil = resolvePreprocess(3, { preset: 'imagenet' });
    const vips = resolvePreprocess(3, { preset: 'imagenet', resizeKernel: 'libvips' });
    expect(vips.resizeKernel).toBe('libvips');
    const path = photos[0] ?? rgb112[0]!;
    const want = torchvision([{ path, pp: pil }]);
    const diff = maxDiff(await ourCrop(path, vips), want.crops[0]!);
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(64);
    expect(() => resolvePreprocess(3, { resizeKernel: 'cubic' })).toThrow(/--resize-kernel cubic: unknown/);
  });
});

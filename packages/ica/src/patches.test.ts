import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, onTestFinished } from 'vitest';
import { neuronComponents } from './components.js';
import { loadPreprocessed, parsePreprocess, patchOrigin } from '@cnnpipe/core';
import { cropPatch, grayOf } from './patches.js';

/** An 8x8 image whose pixel (y, x) is y*8+x. */
const image = Float32Array.from({ length: 64 }, (_, i) => i);

describe('patch cropping', () => {
  it('maps an argmax cell to its receptive field (centre offset + cell*stride)', () => {
    const rf = { size: 3, stride: 2, offset: 1 };
    expect(patchOrigin(0, 4, rf)).toEqual({ top: 0, left: 0 });
    expect(patchOrigin(1 * 4 + 2, 4, rf)).toEqual({ top: 2, left: 4 });
    // Even size, half-pixel centre (as extract writes for the demo VGG: size 30, offset 1.5).
    expect(patchOrigin(0, 7, { size: 30, stride: 4, offset: 1.5 })).toEqual({ top: -13, left: -13 });
  });

  it('crops the patch inside the image', () => {
    const patch = cropPatch(image, 1, 8, 1 * 4 + 2, 4, { size: 3, stride: 2, offset: 1 });
    // rows 2..4, cols 4..6
    expect(Array.from(patch)).toEqual([20, 21, 22, 28, 29, 30, 36, 37, 38]);
  });

  it('pads outside the image with 0 (the mean after normalisation)', () => {
    // size 4 around centre 0.5 -> rows/cols -1..2
    const patch = cropPatch(image, 1, 8, 0, 4, { size: 4, stride: 2, offset: 0.5 });
    expect(Array.from(patch)).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 0, 8, 9, 10, 0, 16, 17, 18]);
    // bottom-right cell of a 4x4 layer: centre 6.5 -> rows/cols 5..8
    const corner = cropPatch(image, 1, 8, 15, 4, { size: 4, stride: 2, offset: 0.5 });
    expect(Array.from(corner)).toEqual([45, 46, 47, 0, 53, 54, 55, 0, 61, 62, 63, 0, 0, 0, 0, 0]);
  });

  it('crops every channel and averages them in gray mode', () => {
    const rgb = new Float32Array(3 * 64);
    rgb.set(image, 0);
    rgb.set(image.map((v) => 2 * v), 64);
    rgb.set(image.map(() => 3), 128);
    const patch = cropPatch(rgb, 3, 8, 0, 4, { size: 3, stride: 2, offset: 1 });
    expect(patch.length).toBe(27);
    expect(Array.from(patch.subarray(9, 12))).toEqual([0, 2, 4]);
    expect(Array.from(grayOf(patch, 3).subarray(0, 3))).toEqual([1, 2, 3]);
  });

  it('decodes an image with extract preprocessing (resize shorter side, centre crop, normalise)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ica-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'a.png');
    // 10 wide x 8 high: shorter side already 8, so only the centre 8 columns (1..8) stay.
    const raw = Buffer.from(Array.from({ length: 80 }, (_, i) => (i % 10) * 20));
    await sharp(raw, { raw: { width: 10, height: 8, channels: 1 } }).png().toFile(path);
    const pp = parsePreprocess(JSON.stringify({ resize: 8, size: 8, channels: 1, mean: [0.5], std: [0.25] }));
    const out = await loadPreprocessed(path, pp);
    expect(out.length).toBe(64);
    const want = Array.from({ length: 8 }, (_, x) => ((x + 1) * 20) / 255);
    Array.from(out.subarray(0, 8)).forEach((v, x) => expect(v).toBeCloseTo((want[x]! - 0.5) / 0.25, 5));
  });

  it('rejects malformed preprocess metadata', () => {
    expect(() => parsePreprocess(undefined)).toThrow(/cnnpipe.preprocess/);
    expect(() => parsePreprocess('{"resize":8}')).toThrow(/malformed/);
  });
});

describe('neuronComponents', () => {
  const patches = (channels: number, n: number) =>
    Array.from({ length: n }, (_, i) => Float32Array.from({ length: channels * 9 }, (_, j) => Math.sin(i * 1.7 + j * 0.9 + (i * j) % 5)));

  it('gray, joint and rgb shapes', async () => {
    const p = patches(3, 30);
    const opts = { components: 4 };
    const gray = await neuronComponents(p, 3, 3, 'gray', opts);
    expect(gray.channels).toBe(1);
    expect(gray.components.map((c) => c.length)).toEqual([9, 9, 9, 9]);
    const joint = await neuronComponents(p, 3, 3, 'joint', opts);
    expect(joint.channels).toBe(3);
    expect(joint.components.map((c) => c.length)).toEqual([27, 27, 27, 27]);
    const rgb = await neuronComponents(p, 3, 3, 'rgb', opts);
    expect(rgb.channels).toBe(3);
    expect(rgb.components.length).toBe(4);
    for (const c of [...gray.components, ...joint.components, ...rgb.components]) for (const v of c) expect(Number.isFinite(v)).toBe(true);
  });

  it('fewer patches than components: fewer components, no NaN', async () => {
    const r = await neuronComponents(patches(1, 3), 1, 3, 'gray', { components: 8 });
    expect(r.components.length).toBe(2);
    for (const c of r.components) for (const v of c) expect(Number.isFinite(v)).toBe(true);
  });
});

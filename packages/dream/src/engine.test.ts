import { channelMeanSeed } from '@cnnpipe/autodiff';
import { repoRoot } from '@cnnpipe/core/testing';
import { loadModel, resolveLayer } from '@cnnpipe/extract';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OnnxEngine, deadImages, redirectedReluSeed } from './engine.js';

describe("Lucid's redirected ReLU gradient at the tap", () => {
  it('deadImages finds the images where the ReLU passes none of the seed', () => {
    const values = Float32Array.from([0, 0, 0, 0, 0, 2, 0, 0]);
    const seed = Float32Array.from([1, 1, 0, 0, 1, 0, 0, 1]);
    // image 0: nothing positive; image 1: positive only where the seed is 0
    expect(deadImages(values, seed, 2)).toEqual([0, 1]);
    expect(deadImages(values, Float32Array.from([0, 0, 0, 0, 0, 1, 0, 0]), 2)).toEqual([0]);
  });

  it('redirectedReluSeed keeps the seed where it pushes the input up or the input is positive', () => {
    const pre = Float32Array.from([-1, -1, 2, -3]);
    const seed = Float32Array.from([0.5, -0.5, -0.25, 0]);
    expect(Array.from(redirectedReluSeed(pre, seed, [0], 4))).toEqual([0.5, 0, -0.25, 0]);
    expect(Array.from(redirectedReluSeed(pre, seed, [], 4))).toEqual([0, 0, 0, 0]);
  });

  it('moves a unit that is off everywhere on a gray image, where the plain gradient is zero', async () => {
    const model = loadModel(join(repoRoot, 'examples/zoo/vgg.onnx'));
    const tap = resolveLayer(model, 'block1');
    const gray = new Float32Array(28 * 28).fill((0.5 - 0.286) / 0.353);
    const plain = await OnnxEngine.create(model, tap, { size: 28, ep: 'cpu', meanSquare: false, redirectRelu: false });
    const redirected = await OnnxEngine.create(model, tap, { size: 28, ep: 'cpu', meanSquare: false });
    const values = await plain.values(gray, 1);
    const channels = plain.tapShape[0]!;
    const plane = values.length / channels;
    const off = [...Array(channels).keys()].filter((c) => values.subarray(c * plane, (c + 1) * plane).every((v) => v === 0));
    expect(off.length).toBeGreaterThan(0);
    const seed = channelMeanSeed(plain.tapShape, [off[0]!]);
    const a = await plain.gradient(gray, 1, seed);
    const b = await redirected.gradient(gray, 1, seed);
    expect(a.gradient.every((g) => g === 0)).toBe(true);
    expect(b.gradient.some((g) => g !== 0)).toBe(true);
    // A step along the redirected gradient turns the unit on.
    const norm = Math.sqrt(b.gradient.reduce((s, g) => s + g * g, 0));
    const moved = gray.map((v, i) => v + (20 * b.gradient[i]!) / norm);
    const after = await plain.values(moved, 1);
    expect(after.subarray(off[0]! * plane, (off[0]! + 1) * plane).some((v) => v > 0)).toBe(true);
  });
});

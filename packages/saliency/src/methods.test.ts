import { mulberry32 } from '@cnnpipe/core';
import { describe, expect, it } from 'vitest';
import { heat, overlay } from './heatmap.js';
import { addNoise, gaussian, noiseSigma, timesInput, topChannels } from './methods.js';

describe('topChannels', () => {
  it("ranks each image's channels by spatial mean, ties by index", () => {
    // 2 images, 3 channels of 2 cells: means image 0 = [1, 3, 2], image 1 = [5, 5, -1].
    const values = Float32Array.of(0, 2, 3, 3, 1, 3, 4, 6, 5, 5, -1, -1);
    expect(topChannels(values, [3, 1, 2], 2, 2)).toEqual([
      [1, 2],
      [0, 1],
    ]);
    expect(topChannels(values, [3, 1, 2], 2, 9)[0]).toEqual([1, 2, 0]);
  });

  it('works on a vector tap', () => {
    expect(topChannels(Float32Array.of(0.1, 0.7, 0.3), [3], 1, 1)).toEqual([[1]]);
  });
});

describe('SmoothGrad noise', () => {
  it('is standard normal (moments of 20000 draws) and reproducible from the seed', () => {
    const normal = gaussian(mulberry32(3));
    const draws = Array.from({ length: 20000 }, normal);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / draws.length;
    const kurtosis = draws.reduce((a, b) => a + (b - mean) ** 4, 0) / draws.length / variance ** 2;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
    expect(Math.abs(kurtosis - 3)).toBeLessThan(0.15);
    const again = gaussian(mulberry32(3));
    expect(Array.from({ length: 5 }, again)).toEqual(draws.slice(0, 5));
  });

  it('has σ = noise · (max − min) of the image', () => {
    expect(noiseSigma(Float32Array.of(-1, 0.5, 3), 0.25)).toBe(1);
    const out = new Float32Array(5);
    addNoise(Float32Array.of(1, 2), 0, () => 7, out, 2);
    expect(Array.from(out)).toEqual([0, 0, 1, 2, 0]);
  });
});

describe('maps', () => {
  it('gradient x input multiplies element-wise', () => {
    expect(Array.from(timesInput(Float32Array.of(1, -2, 3), Float32Array.of(2, 2, -1)))).toEqual([2, -4, -3]);
  });

  it("heat is the channels' largest |value|, full strength at the 99th percentile", () => {
    // 2 channels x 100 cells: |values| 0..99 with the larger one in channel 1 at odd cells.
    const map = new Float32Array(200);
    for (let p = 0; p < 100; p++) {
      map[p] = p % 2 ? -p / 2 : -p;
      map[100 + p] = p % 2 ? p : p / 4;
    }
    const strength = heat(map, 2, 100);
    expect(strength[99]).toBe(1);
    expect(strength[98]).toBeCloseTo(98 / 99, 6);
    expect(strength[49]).toBeCloseTo(49 / 99, 6);
    expect(strength[0]).toBe(0);
  });

  it('overlays black-red-yellow-white over the gray image', () => {
    const rgb = overlay(Float32Array.of(0, 1), Uint8Array.of(100, 200), 1);
    expect(Array.from(rgb)).toEqual([80, 80, 80, 255, 255, 255]);
  });
});

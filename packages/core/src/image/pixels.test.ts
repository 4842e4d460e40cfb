import { describe, expect, it } from 'vitest';
import { PixelCanvas, denormalise, minMaxBytes } from './pixels.js';

describe('pixels', () => {
  it('min-max scales to 0..255 and shows a constant array as mid-gray', () => {
    expect(Array.from(minMaxBytes([-1, 0, 1]))).toEqual([0, 128, 255]);
    expect(Array.from(minMaxBytes([2, 2]))).toEqual([128, 128]);
  });

  it('inverts the normalisation per channel, clamped to 0..255', () => {
    const pp = { mean: [0.5, 0], std: [0.25, 1] };
    // channel 0: (v*0.25+0.5)*255; channel 1: v*255
    const chw = Float32Array.from([0, 2, -4, 1, 0.2, 9]);
    expect(Array.from(denormalise(chw, 2, pp))).toEqual([128, 255, 0, 255, 51, 255]);
  });

  it('places CHW tiles into an interleaved canvas, gray tiles in every channel', () => {
    const canvas = new PixelCanvas(3, 2, 3, 7);
    canvas.drawChw(Uint8Array.from([1, 2]), 1, 1, 2, 0, 0); // gray 1x2 column at x=0
    canvas.drawChw(Uint8Array.from([10, 20, 30]), 3, 1, 1, 2, 1); // one RGB pixel at (2,1)
    expect(Array.from(canvas.data)).toEqual([1, 1, 1, 7, 7, 7, 7, 7, 7, 2, 2, 2, 7, 7, 7, 10, 20, 30]);
  });
});

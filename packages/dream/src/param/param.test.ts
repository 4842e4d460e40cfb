import { describe, expect, it } from 'vitest';
import { seededRng, gaussian } from '../random.js';
import { dot, hasNumpy, lucentReference, relativeError } from '../test-support/reference.js';
import { COLOR_MATRIX, MAX_NORM_SVD_SQRT } from './color.js';
import { RealFft2d } from './fft2d.js';
import { FftImage, PixelImage, spectrumScale, type ImageShape } from './image.js';

const sizes: [number, number][] = [
  [8, 8],
  [6, 10],
  [5, 7],
  [12, 9],
  [16, 32],
  [128, 128],
];

describe('RealFft2d', () => {
  it.each(sizes)('its adjoint satisfies <irfft2(X), g> = <X, adjoint(g)> (%i x %i)', (h, w) => {
    const fft = new RealFft2d(h, w);
    const rng = seededRng(h * 100 + w);
    const X = gaussian(rng, fft.spectrumSize, 1);
    const g = gaussian(rng, h * w, 1);
    const image = new Float64Array(h * w);
    fft.inverse(X, 0, image, 0);
    const back = new Float64Array(fft.spectrumSize);
    fft.adjoint(g, 0, back, 0);
    const lhs = dot(image, g);
    expect(Math.abs(lhs - dot(X, back))).toBeLessThan(1e-9 * Math.max(1, Math.abs(lhs)) * h * w);
  });

  it.each(sizes)('forward inverts inverse on real images (%i x %i)', (h, w) => {
    const fft = new RealFft2d(h, w);
    const image = gaussian(seededRng(7), h * w, 1);
    const spectrum = new Float64Array(fft.spectrumSize);
    fft.forward(image, 0, spectrum, 0);
    const back = new Float64Array(h * w);
    fft.inverse(spectrum, 0, back, 0);
    expect(relativeError(back, image)).toBeLessThan(1e-6);
  });

  it('matches a hand-computed transform: a lone DC bin is a constant image of value X / sqrt(HW)', () => {
    const fft = new RealFft2d(4, 6);
    const X = new Float64Array(fft.spectrumSize);
    X[0] = 3;
    X[1] = 5; // the imaginary part of the DC bin does not enter a real signal
    const image = new Float64Array(24);
    fft.inverse(X, 0, image, 0);
    for (const v of image) expect(v).toBeCloseTo(3 / Math.sqrt(24), 12);
  });
});

describe('colour decorrelation', () => {
  it('normalises by the largest column norm 0.4619524', () => {
    expect(MAX_NORM_SVD_SQRT).toBeCloseTo(0.4619524, 6);
    expect(COLOR_MATRIX[0]).toBeCloseTo(0.26 / 0.4619524, 5);
  });
});

describe('spectrumScale', () => {
  it('is 1 / max(|f|, 1 / max(H, W)): max(H, W) at DC, 1/|f| elsewhere', () => {
    const s = spectrumScale(8, 10);
    expect(s[0]).toBeCloseTo(10, 5);
    // ky = 1 (fy = 1/8), kx = 2 (fx = 2/10)
    expect(s[1 * 6 + 2]).toBeCloseTo(1 / Math.hypot(1 / 8, 2 / 10), 4);
  });
});

describe.skipIf(!hasNumpy)('FFT parameterisation against a numpy transcription of Lucent', () => {
  const shapes: ImageShape[] = [
    { batch: 2, channels: 3, height: 16, width: 16 },
    { batch: 1, channels: 1, height: 12, width: 10 },
    { batch: 1, channels: 3, height: 9, width: 14 },
    { batch: 1, channels: 3, height: 128, width: 128 },
  ];
  it.each(shapes)('equals numpy on a fixed spectrum (%o)', (shape) => {
    const param = new FftImage(shape, seededRng(11));
    // Larger than Lucent's 0.01 so that the sigmoid's input spans a visible range.
    for (let i = 0; i < param.params.length; i++) param.params[i] = param.params[i]! * 50;
    const image = param.render();
    const ref = lucentReference({ mode: 'param', spectrum: Array.from(param.params), shape: [shape.batch, shape.channels, shape.height, shape.width] });
    let worst = 0;
    for (let i = 0; i < image.length; i++) worst = Math.max(worst, Math.abs(image[i]! - ref.image[i]!));
    expect(worst).toBeLessThan(2e-6);
    // and the image is not trivially 0.5 everywhere
    let spread = 0;
    for (const v of image) spread = Math.max(spread, Math.abs(v - 0.5));
    expect(spread).toBeGreaterThan(0.05);
  });
});

describe('parameterisation adjoints (finite differences)', () => {
  const shapes: ImageShape[] = [
    { batch: 2, channels: 3, height: 8, width: 10 },
    { batch: 1, channels: 1, height: 7, width: 6 },
  ];
  for (const kind of ['fft', 'pixel'] as const) {
    it.each(shapes)(`${kind}: backward(G) is the gradient of <G, render(p)> (%o)`, (shape) => {
      const make = () => (kind === 'fft' ? new FftImage(shape, seededRng(3)) : new PixelImage(shape, seededRng(3)));
      const param = make();
      for (let i = 0; i < param.params.length; i++) param.params[i] = param.params[i]! * 30;
      const n = shape.batch * shape.channels * shape.height * shape.width;
      const G = gaussian(seededRng(5), n, 1);
      param.render();
      const grad = Float64Array.from(param.backward(G));
      const objective = () => dot(G, param.render());
      const rng = seededRng(9);
      for (let t = 0; t < 6; t++) {
        const i = Math.floor(rng() * param.params.length);
        const h = 1e-2;
        const saved = param.params[i]!;
        param.params[i] = saved + h;
        const up = objective();
        param.params[i] = saved - h;
        const down = objective();
        param.params[i] = saved;
        const fd = (up - down) / (2 * h);
        expect(Math.abs(fd - grad[i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      }
    });
  }

  it('fromImage gives back the image it was made from (DeepDream --from)', () => {
    const shape = { batch: 1, channels: 3, height: 8, width: 8 };
    const target = Float32Array.from({ length: 192 }, (_, i) => 0.1 + 0.8 * ((i * 37) % 101) / 101);
    for (const param of [FftImage.fromImage(shape, target), PixelImage.fromImage(shape, target)]) {
      expect(relativeError(param.render(), target)).toBeLessThan(1e-4);
    }
  });
});

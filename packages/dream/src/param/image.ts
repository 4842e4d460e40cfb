// Lucent's image parameterisations (lucent/optvis/param/spatial.py and images.py): the
// optimiser moves `params`; `render()` maps them to an image in [0, 1] through (FFT) the
// 1/f-scaled inverse real FFT divided by 4, (RGB) the colour decorrelation matrix, and a
// sigmoid; `backward()` is the vector-Jacobian product of that map, applied in JavaScript.
import { COLOR_MATRIX, mixColors, unmixColors } from './color.js';
import { RealFft2d } from './fft2d.js';
import { gaussian, type Rng } from '../random.js';

export interface ImageShape {
  batch: number;
  channels: number;
  height: number;
  width: number;
}

export interface ImageParam {
  readonly shape: ImageShape;
  /** What the optimiser updates (the spectrum, or the pixels before colour and sigmoid). */
  readonly params: Float32Array;
  /** The image, (B, C, H, W) in [0, 1]; remembers what `backward` needs. */
  render(): Float32Array;
  /** d objective / d params, from d objective / d image at the last `render()`. */
  backward(imageGrad: Float32Array): Float32Array;
}

/** Lucent's "magic" divisor of the FFT image (from Lucid: a larger value reduces saturation). */
export const FFT_MAGIC = 4;
/** Lucent's default standard deviation of the initial parameters. */
export const INIT_SD = 0.01;

const decorrelated = (shape: ImageShape) => shape.channels === 3;

/** np.fft.fftfreq(n)[i]. */
function fftfreq(n: number, i: number): number {
  return (i < Math.ceil(n / 2) ? i : i - n) / n;
}

/** Lucent's spectrum scale: 1 / max(sqrt(fx^2 + fy^2), 1 / max(W, H)), per (ky, kx) of the half spectrum. */
export function spectrumScale(height: number, width: number, decayPower = 1): Float32Array {
  const halfWidth = Math.floor(width / 2) + 1;
  const out = new Float32Array(height * halfWidth);
  const floor = 1 / Math.max(width, height);
  for (let k = 0; k < height; k++) {
    const fy = fftfreq(height, k);
    for (let l = 0; l < halfWidth; l++) {
      const fx = fftfreq(width, l);
      out[k * halfWidth + l] = 1 / Math.max(Math.sqrt(fx * fx + fy * fy), floor) ** decayPower;
    }
  }
  return out;
}

/** Values before the colour matrix and sigmoid -> image; shared by both parameterisations. */
class ValidImage {
  private readonly mixed: Float32Array;
  readonly image: Float32Array;

  constructor(private readonly shape: ImageShape) {
    const n = shape.batch * shape.channels * shape.height * shape.width;
    this.mixed = new Float32Array(n);
    this.image = new Float32Array(n);
  }

  /** to_valid_rgb: decorrelate (RGB only), then sigmoid. */
  forward(pre: Float32Array): Float32Array {
    const { batch, height, width } = this.shape;
    let x = pre;
    if (decorrelated(this.shape)) {
      mixColors(pre, this.mixed, batch, height * width);
      x = this.mixed;
    }
    const y = this.image;
    for (let i = 0; i < y.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]!));
    return y;
  }

  /** d/d(pre) from d/d(image), written into `out`. */
  backward(imageGrad: Float32Array, out: Float32Array): Float32Array {
    const y = this.image;
    const { batch, height, width } = this.shape;
    const target = decorrelated(this.shape) ? this.mixed : out;
    for (let i = 0; i < y.length; i++) target[i] = imageGrad[i]! * y[i]! * (1 - y[i]!);
    if (decorrelated(this.shape)) mixColors(this.mixed, out, batch, height * width, true);
    return out;
  }

  /** The values before colour and sigmoid that give `image` (clamped into (0, 1)). */
  static inverse(shape: ImageShape, image: Float32Array): Float32Array {
    const eps = 1e-3;
    const logit = Float32Array.from(image, (v) => {
      const p = Math.min(1 - eps, Math.max(eps, v));
      return Math.log(p / (1 - p));
    });
    if (!decorrelated(shape)) return logit;
    const out = new Float32Array(logit.length);
    unmixColors(logit, out, shape.batch, shape.height * shape.width);
    return out;
  }
}

/** lucent fft_image + to_valid_rgb: spectrum (B, C, H, W//2+1, 2) ~ N(0, sd^2). */
export class FftImage implements ImageParam {
  readonly params: Float32Array;
  private readonly scale: Float32Array;
  private readonly fft: RealFft2d;
  private readonly valid: ValidImage;
  private readonly pre: Float32Array;
  private readonly scaled: Float32Array;
  private readonly grad: Float32Array;

  constructor(
    readonly shape: ImageShape,
    init: Rng | Float32Array,
  ) {
    const { batch, channels, height, width } = shape;
    this.fft = new RealFft2d(height, width);
    this.scale = spectrumScale(height, width);
    const size = batch * channels * this.fft.spectrumSize;
    this.params = init instanceof Float32Array ? init : gaussian(init, size, INIT_SD);
    if (this.params.length !== size) throw new Error(`spectrum of ${this.params.length} values, expected ${size}`);
    this.valid = new ValidImage(shape);
    this.pre = new Float32Array(batch * channels * height * width);
    this.scaled = new Float32Array(this.fft.spectrumSize);
    this.grad = new Float32Array(size);
  }

  /** The parameterisation whose render() is `image` (B, C, H, W in [0, 1]): DeepDream --from. */
  static fromImage(shape: ImageShape, image: Float32Array): FftImage {
    const pre = ValidImage.inverse(shape, image);
    const fft = new RealFft2d(shape.height, shape.width);
    const scale = spectrumScale(shape.height, shape.width);
    const planes = shape.batch * shape.channels;
    const plane = shape.height * shape.width;
    const spectrum = new Float32Array(planes * fft.spectrumSize);
    const scratch = new Float64Array(fft.spectrumSize);
    const magic = new Float64Array(plane);
    for (let q = 0; q < planes; q++) {
      for (let p = 0; p < plane; p++) magic[p] = pre[q * plane + p]! * FFT_MAGIC;
      fft.forward(magic, 0, scratch, 0);
      for (let i = 0; i < fft.spectrumSize; i++) spectrum[q * fft.spectrumSize + i] = scratch[i]! / scale[i >> 1]!;
    }
    return new FftImage(shape, spectrum);
  }

  render(): Float32Array {
    const { batch, channels, height, width } = this.shape;
    const plane = height * width;
    const spec = this.fft.spectrumSize;
    for (let q = 0; q < batch * channels; q++) {
      for (let i = 0; i < spec; i++) this.scaled[i] = this.scale[i >> 1]! * this.params[q * spec + i]!;
      this.fft.inverse(this.scaled, 0, this.pre, q * plane);
    }
    for (let i = 0; i < this.pre.length; i++) this.pre[i] = this.pre[i]! / FFT_MAGIC;
    return this.valid.forward(this.pre);
  }

  backward(imageGrad: Float32Array): Float32Array {
    const { batch, channels, height, width } = this.shape;
    const plane = height * width;
    const spec = this.fft.spectrumSize;
    const preGrad = this.valid.backward(imageGrad, this.pre);
    for (let i = 0; i < preGrad.length; i++) preGrad[i] = preGrad[i]! / FFT_MAGIC;
    for (let q = 0; q < batch * channels; q++) {
      this.fft.adjoint(preGrad, q * plane, this.grad, q * spec);
      for (let i = 0; i < spec; i++) this.grad[q * spec + i] = this.grad[q * spec + i]! * this.scale[i >> 1]!;
    }
    return this.grad;
  }
}

/** lucent pixel_image + to_valid_rgb: one parameter per pixel and channel, ~ N(0, sd^2). */
export class PixelImage implements ImageParam {
  readonly params: Float32Array;
  private readonly valid: ValidImage;
  private readonly grad: Float32Array;

  constructor(
    readonly shape: ImageShape,
    init: Rng | Float32Array,
  ) {
    const size = shape.batch * shape.channels * shape.height * shape.width;
    this.params = init instanceof Float32Array ? init : gaussian(init, size, INIT_SD);
    if (this.params.length !== size) throw new Error(`pixels of ${this.params.length} values, expected ${size}`);
    this.valid = new ValidImage(shape);
    this.grad = new Float32Array(size);
  }

  static fromImage(shape: ImageShape, image: Float32Array): PixelImage {
    return new PixelImage(shape, ValidImage.inverse(shape, image));
  }

  render(): Float32Array {
    return this.valid.forward(this.params);
  }

  backward(imageGrad: Float32Array): Float32Array {
    return this.valid.backward(imageGrad, this.grad);
  }
}

export type ParamKind = 'fft' | 'pixel';

export function makeParam(kind: ParamKind, shape: ImageShape, rng: Rng, from?: Float32Array): ImageParam {
  if (kind === 'fft') return from ? FftImage.fromImage(shape, from) : new FftImage(shape, rng);
  return from ? PixelImage.fromImage(shape, from) : new PixelImage(shape, rng);
}

export { COLOR_MATRIX };

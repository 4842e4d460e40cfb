import { describe, expect, it } from 'vitest';
import { FftImage } from './param/image.js';
import { gaussian, seededRng } from './random.js';
import { dot, hasTorch, lucentReference, relativeError } from './test-support/reference.js';
import {
  ANGLES,
  NormaliseOp,
  PadOp,
  ResampleOp,
  RotateOp,
  SCALES,
  StepPipeline,
  TranslateOp,
  bilinearAlignCorners,
  drawStep,
  scaleOps,
  triangleDownsample,
  type Batch,
  type Op,
  type StepDraws,
} from './transforms.js';

function randomBatch(seed: number, batch: number, channels: number, height: number, width: number): Batch {
  return { data: gaussian(seededRng(seed), batch * channels * height * width, 1), batch, channels, height, width };
}

/** <op(x) - op(0), g> = <x, op^T(g)>: the adjoint of an affine op's linear part. */
function adjointGap(op: Op, x: Batch): number {
  const y = op.forward(x);
  const zero = op.forward({ ...x, data: new Float32Array(x.data.length) });
  const g = randomBatch(99, y.batch, y.channels, y.height, y.width);
  const back = op.backward(g);
  expect([back.height, back.width]).toEqual([x.height, x.width]);
  const lhs = dot(y.data, g.data) - dot(zero.data, g.data);
  const rhs = dot(x.data, back.data);
  return Math.abs(lhs - rhs) / Math.max(1, Math.abs(lhs));
}

describe('transform adjoints', () => {
  const x = randomBatch(1, 2, 3, 21, 17);
  const ops: [string, Op][] = [
    ['pad 12 (0.5)', new PadOp(12, 12, 12, 12, 0.5)],
    ['asymmetric pad', new PadOp(3, 1, 0, 2)],
    ['crop', new PadOp(-2, -3, -1, -4)],
    ['jitter (3, 5)', new TranslateOp(3, 5)],
    ['jitter (0, 7)', new TranslateOp(0, 7)],
    ['bilinear up', new ResampleOp(bilinearAlignCorners(21, 24), bilinearAlignCorners(17, 19))],
    ['bilinear down', new ResampleOp(bilinearAlignCorners(21, 19), bilinearAlignCorners(17, 16))],
    ['antialiased down', new ResampleOp(triangleDownsample(21, 5), triangleDownsample(17, 6))],
    ['rotate 7', new RotateOp(7)],
    ['rotate -10', new RotateOp(-10)],
    ['normalise', new NormaliseOp([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])],
    ...scaleOps(0.9, 21, 17).map((op, i) => [`scale 0.9 part ${i}`, op] as [string, Op]),
  ];
  it.each(ops)('%s', (_name, op) => {
    expect(adjointGap(op, x)).toBeLessThan(1e-5);
  });

  it('a whole step pipeline is adjoint to its backward pass', () => {
    const rng = seededRng(4);
    for (let t = 0; t < 5; t++) {
      const draws = drawStep(rng);
      const pipe = new StepPipeline('standard', draws, 20, { resize: 28, size: 24, mean: [0.5, 0.4, 0.3], std: [0.2, 0.3, 0.4] });
      const img = randomBatch(t, 2, 3, 20, 20);
      const y = pipe.run(img);
      expect([y.height, y.width]).toEqual([24, 24]);
      const zero = pipe.run({ ...img, data: new Float32Array(img.data.length) });
      const g = randomBatch(50 + t, 2, 3, 24, 24);
      const back = pipe.adjoint(g);
      const lhs = dot(y.data, g.data) - dot(zero.data, g.data);
      expect(Math.abs(lhs - dot(img.data, back.data))).toBeLessThan(1e-4 * Math.max(1, Math.abs(lhs)));
    }
  });
});

describe('transform definitions', () => {
  it("Lucent's scales and angles: 0.90..1.10 in 11 steps; 0 degrees 6 times in 26", () => {
    expect(SCALES.length).toBe(11);
    expect(SCALES[0]).toBeCloseTo(0.9, 12);
    expect(SCALES[10]).toBeCloseTo(1.1, 12);
    expect(ANGLES.length).toBe(26);
    expect(ANGLES.filter((a) => a === 0).length).toBe(6);
    expect(Math.min(...ANGLES)).toBe(-10);
    expect(Math.max(...ANGLES)).toBe(10);
  });

  it('jitter moves content right and down, zero-filling', () => {
    const x: Batch = { data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), batch: 1, channels: 1, height: 3, width: 3 };
    expect(Array.from(new TranslateOp(1, 2).forward(x).data)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 2]);
  });

  it('rotation by 90 degrees turns the content counter-clockwise (OpenCV/kornia convention)', () => {
    const x: Batch = { data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), batch: 1, channels: 1, height: 3, width: 3 };
    const y = Array.from(new RotateOp(90).forward(x).data, (v) => Math.round(v * 1e6) / 1e6);
    expect(y).toEqual([3, 6, 9, 2, 5, 8, 1, 4, 7]);
  });

  it('a step with no transforms is only the resize and normalisation', () => {
    const pipe = new StepPipeline('none', undefined, 28, { resize: 28, size: 28, mean: [0.286], std: [0.353] });
    expect(pipe.ops.map((o) => o.name)).toEqual(['normalise']);
  });
});

describe.skipIf(!hasTorch)('parameterisation + transforms end to end against PyTorch autograd (Lucent transcribed)', () => {
  const cases: { name: string; channels: number; render: number; resize: number; size: number; draws: StepDraws | null }[] = [
    { name: 'RGB 32 px -> 48 / 40 (upsample, crop)', channels: 3, render: 32, resize: 48, size: 40, draws: { jitter1: [3, 6], scale: SCALES[1]!, angle: 7, jitter2: [1, 2] } },
    { name: 'RGB, scale up, rotate -10', channels: 3, render: 32, resize: 64, size: 64, draws: { jitter1: [7, 0], scale: SCALES[10]!, angle: -10, jitter2: [3, 0] } },
    { name: 'gray 64 px -> 28 (antialiased shrink)', channels: 1, render: 64, resize: 28, size: 28, draws: { jitter1: [2, 5], scale: SCALES[3]!, angle: 4, jitter2: [0, 3] } },
    { name: 'gray, no transforms', channels: 1, render: 40, resize: 28, size: 28, draws: null },
  ];
  it.each(cases)('$name', ({ channels, render, resize, size, draws }) => {
    const shape = { batch: 2, channels, height: render, width: render };
    const param = new FftImage(shape, seededRng(21));
    for (let i = 0; i < param.params.length; i++) param.params[i] = param.params[i]! * 20;
    const mean = channels === 3 ? [0.485, 0.456, 0.406] : [0.286];
    const std = channels === 3 ? [0.229, 0.224, 0.225] : [0.353];
    const pipe = new StepPipeline(draws ? 'standard' : 'none', draws ?? undefined, render, { resize, size, mean, std });
    const image = param.render();
    const input = pipe.run({ data: image, ...shape });
    const G = gaussian(seededRng(8), input.data.length, 1);
    const imageGrad = pipe.adjoint({ ...input, data: G });
    const grad = param.backward(imageGrad.data);
    const ref = lucentReference({
      mode: 'chain',
      spectrum: Array.from(param.params),
      shape: [2, channels, render, render],
      draws,
      resize,
      size,
      mean,
      std,
      grad_out: Array.from(G),
    });
    expect(relativeError(image, ref.image)).toBeLessThan(1e-5);
    expect(relativeError(input.data, ref.input!)).toBeLessThan(1e-4);
    expect(relativeError(grad, ref.grad!)).toBeLessThan(1e-4);
  });
});

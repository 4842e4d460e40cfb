import { describe, expect, it } from 'vitest';
import { evaluateObjective, type ObjectiveSpec } from './objectives.js';
import { FftImage } from './param/image.js';
import { seededRng } from './random.js';
import { renderBatch, type RenderOptions } from './render.js';
import { ConvEngine } from './test-support/conv-engine.js';
import { StepPipeline, drawStep } from './transforms.js';

const view = { resize: 12, size: 12, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

describe('chain rule end to end: spectrum -> image -> transforms -> network -> objective', () => {
  const specs: ObjectiveSpec[] = [
    { kind: 'channel', channels: [1, 3], diversity: 0 },
    { kind: 'neuron', channels: [0, 2], diversity: 0 },
    { kind: 'deepdream', channels: [0, 0], diversity: 0 },
    { kind: 'channel', channels: [2, 2], diversity: 50 },
  ];
  it.each(specs)('the JavaScript chain equals finite differences of the objective (%o)', async (spec) => {
    const engine = new ConvEngine(3, 4, 12);
    const shape = { batch: 2, channels: 3, height: 16, width: 16 };
    const param = new FftImage(shape, seededRng(5));
    for (let i = 0; i < param.params.length; i++) param.params[i] = param.params[i]! * 10;
    const pipeline = new StepPipeline('standard', drawStep(seededRng(17)), 16, view);
    const objective = async () => {
      const input = pipeline.run({ data: param.render(), ...shape });
      const tap = await engine.values(input.data, 2);
      return evaluateObjective(spec, tap, 2, engine.tapShape);
    };
    const input = pipeline.run({ data: param.render(), ...shape });
    const { seed } = await evaluateObjective(spec, await engine.values(input.data, 2), 2, engine.tapShape);
    const { gradient } = await engine.gradient(input.data, 2, seed);
    const grad = Float64Array.from(param.backward(pipeline.adjoint({ ...input, data: gradient }).data));
    // The largest components, where finite differences are far above float32 noise.
    const order = Array.from(grad.keys()).sort((a, b) => Math.abs(grad[b]!) - Math.abs(grad[a]!));
    for (const i of order.slice(0, 6)) {
      const h = spec.diversity ? 1e-2 : 2e-3;
      const saved = param.params[i]!;
      param.params[i] = saved + h;
      const up = (await objective()).total;
      param.params[i] = saved - h;
      const down = (await objective()).total;
      param.params[i] = saved;
      const fd = (up - down) / (2 * h);
      // float32 Gram matrices put ~1e-5 of noise on the diversity objective's finite differences
      expect(Math.abs(fd - grad[i]!)).toBeLessThan(0.02 * Math.abs(grad[i]!) + (spec.diversity ? 1e-3 : 1e-4));
    }
  });
});

describe('renderBatch', () => {
  const options: RenderOptions = { param: 'fft', size: 16, channels: 3, steps: 40, lr: 0.05, transforms: 'standard', seed: 3, view };
  it('raises the objective over the steps, for every unit of the batch', async () => {
    const engine = new ConvEngine(3, 4, 12);
    const spec: ObjectiveSpec = { kind: 'channel', channels: [0, 1, 2, 3], diversity: 0 };
    const { curve } = await renderBatch(engine, spec, 4, options);
    for (let b = 0; b < 4; b++) {
      const at = (s: number) => curve[s * 4 + b]!;
      const first = (at(0) + at(1) + at(2)) / 3;
      const last = (at(37) + at(38) + at(39)) / 3;
      expect(last).toBeGreaterThan(first + 0.05);
    }
  });

  it('is a function of its seed: same seed, same pixels; another seed, other pixels', async () => {
    const engine = new ConvEngine(3, 4, 12);
    const spec: ObjectiveSpec = { kind: 'channel', channels: [0, 1], diversity: 0 };
    const short = { ...options, steps: 5 };
    const a = await renderBatch(engine, spec, 2, short);
    const b = await renderBatch(engine, spec, 2, short);
    const c = await renderBatch(engine, spec, 2, { ...short, seed: 4 });
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(b.images.buffer))).toBe(true);
    expect(Buffer.from(a.images.buffer).equals(Buffer.from(c.images.buffer))).toBe(false);
  });

  it('starts from a given image with --from (pixel parameterisation, no steps: the image itself)', async () => {
    const engine = new ConvEngine(3, 4, 12);
    const from = Float32Array.from({ length: 3 * 16 * 16 }, (_, i) => 0.2 + 0.6 * ((i * 13) % 17) / 17);
    const { images } = await renderBatch(engine, { kind: 'deepdream', channels: [0], diversity: 0 }, 1, { ...options, param: 'pixel', steps: 0, from });
    let worst = 0;
    for (let i = 0; i < from.length; i++) worst = Math.max(worst, Math.abs(images[i]! - from[i]!));
    expect(worst).toBeLessThan(1e-3);
  });
});

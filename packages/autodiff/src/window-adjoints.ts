import { CliError, ElemType } from '@cnnpipe/core';
import type { AdjointContext, AdjointRule } from './adjoint.js';
import { attr } from './attributes.js';
import type { NodeAttributes } from './node-attributes.js';

/**
 * Adjoints of the windowed operators (Conv, MaxPool, AveragePool), all as a ConvTranspose
 * or a scatter. A forward window along one axis of length X: kernel k, dilation d, stride s,
 * begin pad pb; output cell y reads input cells y*s - pb + j*d, j < k.
 */
export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Begin pads then end pads, auto_pad resolved. */
  pads: number[];
}

export function windowOf(a: NodeAttributes, inputSpatial: number[], kernel: number[]): Window {
  const n = inputSpatial.length;
  const ones = Array<number>(n).fill(1);
  const strides = a.ints('strides') ?? ones;
  const dilations = a.ints('dilations') ?? ones;
  const autoPad = a.string('auto_pad', 'NOTSET');
  let pads = a.ints('pads') ?? Array<number>(2 * n).fill(0);
  if (autoPad === 'VALID') pads = Array<number>(2 * n).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const begin: number[] = [];
    const end: number[] = [];
    inputSpatial.forEach((x, i) => {
      const out = Math.ceil(x / strides[i]!);
      const total = Math.max(0, (out - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - x);
      const small = Math.floor(total / 2);
      begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
      end.push(total - begin[i]!);
    });
    pads = [...begin, ...end];
  }
  return { kernel, strides, dilations, pads };
}

/**
 * ConvTranspose attributes that map a gradient over the Y output cells back onto exactly
 * the X input cells: the transposed window's end pad crops cells that only padding (or a
 * ceil_mode overhang) reached, and output_padding adds the trailing input cells that no
 * window reached (their gradient is zero).
 */
export function transposedWindow(w: Window, inputSpatial: number[], outputSpatial: number[]): { pads: number[]; outputPadding: number[] } {
  const n = inputSpatial.length;
  const ends: number[] = [];
  const outputPadding: number[] = [];
  for (let i = 0; i < n; i++) {
    const reach = (outputSpatial[i]! - 1) * w.strides[i]! + (w.kernel[i]! - 1) * w.dilations[i]! + 1 - w.pads[i]!;
    const extra = reach - inputSpatial[i]!;
    ends.push(Math.max(0, extra));
    outputPadding.push(Math.max(0, -extra));
  }
  return { pads: [...w.pads.slice(0, n), ...ends], outputPadding };
}

function transposedConv(ctx: AdjointContext, g: string, weights: string, group: number, w: Window, xs: number[], ys: number[]): string {
  const t = transposedWindow(w, xs.slice(2), ys.slice(2));
  return ctx.b.op('ConvTranspose', [g, weights], [
    attr.ints('kernel_shape', w.kernel),
    attr.ints('strides', w.strides),
    attr.ints('dilations', w.dilations),
    attr.ints('pads', t.pads),
    attr.ints('output_padding', t.outputPadding),
    attr.int('group', group),
  ]);
}

/** Conv → ConvTranspose with the same weights (their [M, C/group, k...] layout is ConvTranspose's [C, M/group, k...]). */
const conv: AdjointRule = {
  backward(ctx) {
    const [x, weights] = ctx.inputs;
    if (ctx.wants(1) || (ctx.inputs[2] && ctx.wants(2))) throw new CliError(`${ctx.node.opType} node '${ctx.node.name}': weights that depend on the image are not differentiated`);
    const xs = ctx.shape(x!);
    const ys = ctx.shape(ctx.outputs[0]!);
    const w = windowOf(ctx.a, xs.slice(2), ctx.shape(weights!).slice(2));
    return [transposedConv(ctx, ctx.grad(0), weights!, ctx.a.int('group', 1), w, xs, ys)];
  },
};

/**
 * MaxPool → its Indices output (flat over N·C·H·W in onnxruntime), then a scatter-add of the
 * gradient into zeros: windows overlap, so one input cell may be the maximum of several.
 */
const maxPool: AdjointRule = {
  outputs: 2,
  backward(ctx) {
    if (ctx.a.int('storage_order', 0) !== 0) throw new CliError(`MaxPool node '${ctx.node.name}': storage_order=1 is not differentiated`);
    const b = ctx.b;
    const x = ctx.inputs[0]!;
    const flat = b.int64([-1]);
    const size = b.op('ReduceProd', [b.shape(x)], [attr.int('keepdims', 1)]);
    const zeros = b.op('ConstantOfShape', [size], [attr.tensor('value', { dims: [1], dataType: ElemType.float32, floatData: [0] })]);
    const indices = b.op('Reshape', [ctx.outputs[1]!, flat]);
    const updates = b.op('Reshape', [ctx.grad(0), flat]);
    const scattered = b.op('ScatterElements', [zeros, indices, updates], [attr.int('axis', 0), attr.string('reduction', 'add')]);
    return [b.op('Reshape', [scattered, b.shape(x)])];
  },
};

/**
 * AveragePool → the gradient times 1/divisor per output cell (learned by running the pool
 * on ones, so count_include_pad and ceil_mode are the forward's own), spread back by a
 * depthwise ConvTranspose with a kernel of ones.
 */
const averagePool: AdjointRule = {
  poolProbe: true,
  backward(ctx) {
    const b = ctx.b;
    const x = ctx.inputs[0]!;
    const xs = ctx.shape(x);
    const ys = ctx.shape(ctx.outputs[0]!);
    const kernel = ctx.a.ints('kernel_shape')!;
    const w = windowOf(ctx.a, xs.slice(2), kernel);
    const spatial = ys.slice(2);
    const weights = b.float32(ctx.poolWeights(), [1, 1, ...spatial]);
    const scaled = b.op('Mul', [ctx.grad(0), weights]);
    const channels = xs[1]!;
    const size = kernel.reduce((p, k) => p * k, 1);
    const ones = b.float32(new Float32Array(channels * size).fill(1), [channels, 1, ...kernel]);
    return [transposedConv(ctx, scaled, ones, channels, w, xs, ys)];
  },
};

/** Per output cell, how many real (non-padding) input cells its window covers; separable over axes. */
export function windowCounts(w: Window, inputSpatial: number[], outputSpatial: number[]): number[] {
  const perAxis = inputSpatial.map((x, i) =>
    Array.from({ length: outputSpatial[i]! }, (_, y) => {
      let count = 0;
      for (let j = 0; j < w.kernel[i]!; j++) {
        const at = y * w.strides[i]! - w.pads[i]! + j * w.dilations[i]!;
        if (at >= 0 && at < x) count++;
      }
      return count;
    }),
  );
  let counts = [1];
  for (const axis of perAxis) counts = counts.flatMap((c) => axis.map((v) => c * v));
  return counts;
}

/** GlobalAveragePool → the gradient spread evenly over each channel's H·W cells. */
const globalAveragePool: AdjointRule = {
  backward(ctx) {
    const x = ctx.inputs[0]!;
    const cells = ctx.shape(x).slice(2).reduce((p, v) => p * v, 1);
    const spread = ctx.b.op('Expand', [ctx.grad(0), ctx.b.shape(x)]);
    return [ctx.b.op('Mul', [spread, ctx.b.scalar(1 / cells)])];
  },
};

/** GlobalMaxPool → the gradient onto each channel's (first) maximum. */
const globalMaxPool: AdjointRule = {
  backward(ctx) {
    const b = ctx.b;
    const x = ctx.inputs[0]!;
    const cells = b.op('Reshape', [x, b.int64([0, 0, -1])]);
    const where = b.op('ArgMax', [cells], [attr.int('axis', 2), attr.int('keepdims', 1)]);
    const g = b.op('Reshape', [ctx.grad(0), b.int64([0, 0, 1])]);
    const scattered = b.op('ScatterElements', [b.zerosLike(cells), where, g], [attr.int('axis', 2)]);
    return [b.op('Reshape', [scattered, b.shape(x)])];
  },
};

export const WINDOW_ADJOINTS: Record<string, AdjointRule> = {
  GlobalMaxPool: globalMaxPool,
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
};

import { CliError } from '@cnnpipe/core';
import type { AdjointContext, AdjointRule } from './adjoint.js';
import { attr } from './attributes.js';
import { unbroadcast } from './pointwise-adjoints.js';

/** Adjoints of operators that move values around: reshapes, concatenation, slicing, padding, products, reductions. */

// Slice clamps ends to the axis length: "to the end" for any size.
const TO_END = Number.MAX_SAFE_INTEGER;

const normalise = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Reshape, Flatten, Squeeze, Unsqueeze: the gradient takes the input's shape back. */
const reshape: AdjointRule = {
  nonDifferentiable: [1],
  backward: (ctx) => [ctx.b.op('Reshape', [ctx.grad(0), ctx.b.shape(ctx.inputs[0]!)])],
};

const transpose: AdjointRule = {
  backward(ctx) {
    const rank = ctx.shape(ctx.inputs[0]!).length;
    const perm = ctx.a.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const inverse = Array<number>(rank);
    perm.forEach((p, i) => (inverse[p] = i));
    return [ctx.b.op('Transpose', [ctx.grad(0)], [attr.ints('perm', inverse)])];
  },
};

/** Concat → each input's slice of the gradient. */
const concat: AdjointRule = {
  backward(ctx) {
    const rank = ctx.shape(ctx.outputs[0]!).length;
    const axis = normalise(ctx.a.int('axis', 0), rank);
    if (axis === 0) throw new CliError(`Concat node '${ctx.node.name}': concatenation along the batch axis is not differentiated`);
    const axes = ctx.b.int64([axis]);
    let offset = 0;
    return ctx.inputs.map((x, i) => {
      const length = ctx.shape(x)[axis]!;
      const start = offset;
      offset += length;
      return ctx.wants(i) ? ctx.b.op('Slice', [ctx.grad(0), ctx.b.int64([start]), ctx.b.int64([start + length]), axes]) : undefined;
    });
  },
};

/** Split → the outputs' gradients concatenated (zeros for an output nothing used). */
const split: AdjointRule = {
  nonDifferentiable: [1],
  backward(ctx) {
    const rank = ctx.shape(ctx.inputs[0]!).length;
    const axis = normalise(ctx.a.int('axis', 0), rank);
    if (axis === 0) throw new CliError(`Split node '${ctx.node.name}': splitting along the batch axis is not differentiated`);
    return [ctx.b.op('Concat', ctx.outputs.map((_, i) => ctx.grad(i)), [attr.int('axis', axis)])];
  },
};

/**
 * An operator that copies cells (reflect/edge Pad, strided Slice), one image at a time: the
 * probe ran it on the cells' flat indices, so each output cell's gradient is scatter-added
 * onto the input cell it copied (several outputs may copy one cell).
 */
function indexMapped(ctx: AdjointContext): string {
  const b = ctx.b;
  const x = ctx.inputs[0]!;
  const xs = ctx.shape(x);
  const ys = ctx.shape(ctx.outputs[0]!);
  if (xs[0] !== ys[0]) throw new CliError(`${ctx.node.opType} node '${ctx.node.name}': changing the batch axis is not differentiated`);
  const map = ctx.indexMap();
  const rows = b.int64([0, -1]);
  const g = b.op('Reshape', [ctx.grad(0), rows]);
  const indices = b.op('Expand', [b.int64(map, [1, map.length]), b.shape(g)]);
  const zeros = b.op('Reshape', [b.zerosLike(x), rows]);
  const scattered = b.op('ScatterElements', [zeros, indices, g], [attr.int('axis', 1), attr.string('reduction', 'add')]);
  return b.op('Reshape', [scattered, b.shape(x)]);
}

/**
 * Pad → constant: the slice of the gradient over the unpadded cells (negative pads crop:
 * padded back with zeros); reflect and edge: the index map.
 */
const pad: AdjointRule = {
  nonDifferentiable: [1, 2, 3],
  values: [1],
  indexProbe: true,
  backward(ctx) {
    const mode = ctx.a.string('mode', 'constant');
    if (mode !== 'constant') return [indexMapped(ctx)];
    if (ctx.inputs[3]) throw new CliError(`Pad node '${ctx.node.name}': the axes input is not differentiated`);
    const b = ctx.b;
    const rank = ctx.shape(ctx.inputs[0]!).length;
    const pads = ctx.inputs[1] ? ctx.value(ctx.inputs[1]) : (ctx.a.ints('pads') ?? []);
    const begin = pads.slice(0, rank);
    const end = pads.slice(rank, 2 * rank);
    const starts = begin.map((p) => Math.max(0, p));
    const ends = end.map((p) => (p > 0 ? -p : TO_END));
    let g = b.op('Slice', [ctx.grad(0), b.int64(starts), b.int64(ends), b.int64(Array.from({ length: rank }, (_, i) => i))]);
    const crop = [...begin, ...end].map((p) => Math.max(0, -p));
    if (crop.some((p) => p > 0)) g = b.op('Pad', [g, b.int64(crop)]);
    return [g];
  },
};

/** Slice → unit steps: the gradient padded back with zeros to the input's extent; other steps: the index map. */
const slice: AdjointRule = {
  nonDifferentiable: [1, 2, 3, 4],
  values: [1, 2, 3, 4],
  indexProbe: true,
  backward(ctx) {
    if (ctx.inputs[4] && ctx.value(ctx.inputs[4]).some((step) => step !== 1)) return [indexMapped(ctx)];
    const b = ctx.b;
    const xs = ctx.shape(ctx.inputs[0]!);
    const rank = xs.length;
    const starts = ctx.value(ctx.inputs[1]!);
    const ends = ctx.value(ctx.inputs[2]!);
    const axes = ctx.inputs[3] ? ctx.value(ctx.inputs[3]).map((a) => normalise(a, rank)) : starts.map((_, i) => i);
    const pads = Array<number>(2 * rank).fill(0);
    axes.forEach((axis, i) => {
      if (axis === 0) throw new CliError(`Slice node '${ctx.node.name}': slicing along the batch axis is not differentiated`);
      const size = xs[axis]!;
      const clamp = (v: number) => Math.min(size, Math.max(0, v < 0 ? v + size : v));
      const start = clamp(starts[i]!);
      const stop = Math.max(start, clamp(ends[i]!));
      pads[axis] = start;
      pads[axis + rank] = size - stop;
    });
    return [b.op('Pad', [ctx.grad(0), b.int64(pads)])];
  },
};

/** Y = α·op(A)·op(B) + β·C. */
const gemm: AdjointRule = {
  backward(ctx) {
    const [, w, c] = ctx.inputs as [string, string, string | undefined];
    if (ctx.wants(1)) throw new CliError(`Gemm node '${ctx.node.name}': a B matrix that depends on the image is not differentiated`);
    const alpha = ctx.a.float('alpha', 1);
    const beta = ctx.a.float('beta', 1);
    const transA = ctx.a.int('transA', 0);
    const transB = ctx.a.int('transB', 0);
    const g = ctx.grad(0);
    const gradA = transA
      ? ctx.b.op('Gemm', [w, g], [attr.float('alpha', alpha), attr.int('transA', transB), attr.int('transB', 1)])
      : ctx.b.op('Gemm', [g, w], [attr.float('alpha', alpha), attr.int('transB', transB ? 0 : 1)]);
    const gradC = c && ctx.wants(2) ? unbroadcast(ctx, beta === 1 ? g : ctx.b.op('Mul', [g, ctx.b.scalar(beta)]), c) : undefined;
    return [ctx.wants(0) ? gradA : undefined, undefined, gradC];
  },
};

/** MatMul over the last two axes (leading axes broadcast). */
const matMul: AdjointRule = {
  backward(ctx) {
    const [a, w] = ctx.inputs as [string, string];
    const ra = ctx.shape(a).length;
    const rw = ctx.shape(w).length;
    if (ra < 2 || rw < 2) throw new CliError(`MatMul node '${ctx.node.name}': vector operands are not differentiated`);
    const swap = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
    const g = ctx.grad(0);
    const gradA = ctx.wants(0) ? unbroadcast(ctx, ctx.b.op('MatMul', [g, ctx.b.op('Transpose', [w], [attr.ints('perm', swap(rw))])]), a) : undefined;
    const gradW = ctx.wants(1) ? unbroadcast(ctx, ctx.b.op('MatMul', [ctx.b.op('Transpose', [a], [attr.ints('perm', swap(ra))]), g]), w) : undefined;
    return [gradA, gradW];
  },
};

/** Expand → the gradient summed over the expanded axes. */
const expand: AdjointRule = {
  nonDifferentiable: [1],
  backward: (ctx) => [unbroadcast(ctx, ctx.grad(0), ctx.inputs[0]!)],
};

/** ReduceMean / ReduceSum: the gradient spread back over the reduced axes (divided by their size for a mean). */
function reduce(mean: boolean): AdjointRule {
  return {
    nonDifferentiable: [1],
    values: [1],
    backward(ctx) {
      const b = ctx.b;
      const x = ctx.inputs[0]!;
      const xs = ctx.shape(x);
      const listed = ctx.inputs[1] ? ctx.value(ctx.inputs[1]) : ctx.a.ints('axes');
      const all = !listed || listed.length === 0;
      if (all && ctx.a.int('noop_with_empty_axes', 0) === 1) return [ctx.grad(0)];
      const axes = all ? xs.map((_, i) => i) : listed.map((a) => normalise(a, xs.length));
      if (axes.includes(0)) throw new CliError(`${ctx.node.opType} node '${ctx.node.name}': reducing over the batch axis is not differentiated`);
      let g = ctx.grad(0);
      if (ctx.a.int('keepdims', 1) === 0) g = b.op('Unsqueeze', [g, b.int64([...axes].sort((p, q) => p - q))]);
      g = b.op('Expand', [g, b.shape(x)]);
      if (!mean) return [g];
      const count = axes.reduce((p, axis) => p * xs[axis]!, 1);
      return [b.op('Mul', [g, b.scalar(1 / count)])];
    },
  };
}

/** Resize, nearest mode (U-Net and FPN upsampling): an index map; linear and cubic blend cells and are refused. */
const resize: AdjointRule = {
  nonDifferentiable: [1, 2, 3],
  indexProbe: true,
  backward(ctx) {
    const mode = ctx.a.string('mode', 'nearest');
    if (mode !== 'nearest') throw new CliError(`Resize node '${ctx.node.name}': mode '${mode}' is not differentiated (only nearest)`);
    return [indexMapped(ctx)];
  },
};

/** Gather with indices that do not depend on the image (a class token, a channel subset): an index map. */
const gather: AdjointRule = {
  nonDifferentiable: [1],
  indexProbe: true,
  backward: (ctx) => [indexMapped(ctx)],
};

export const SHAPE_ADJOINTS: Record<string, AdjointRule> = {
  Resize: resize,
  Gather: gather,
  Reshape: reshape,
  Flatten: reshape,
  Squeeze: reshape,
  Unsqueeze: reshape,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Pad: pad,
  Slice: slice,
  Gemm: gemm,
  MatMul: matMul,
  Expand: expand,
  ReduceMean: reduce(true),
  ReduceSum: reduce(false),
};

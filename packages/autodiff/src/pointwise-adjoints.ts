import { CliError } from '@cnnpipe/core';
import type { AdjointContext, AdjointRule } from './adjoint.js';
import { attr } from './attributes.js';

/**
 * Adjoints of element-wise operators. Binary operators broadcast their inputs; an input's
 * gradient sums the output gradient over the axes it was broadcast along (ReduceSum with
 * keepdims, then Reshape to the input's own shape).
 */
export function unbroadcast(ctx: AdjointContext, g: string, input: string): string {
  const out = ctx.shape(ctx.outputs[0]!);
  const own = ctx.shape(input);
  const padded = [...Array<number>(out.length - own.length).fill(1), ...own];
  const axes = out.map((d, i) => (i < out.length - own.length || (padded[i] === 1 && d !== 1) ? i : -1)).filter((i) => i >= 0);
  if (axes.length === 0 && own.length === out.length) return g;
  const reduced = axes.length === 0 ? g : ctx.b.op('ReduceSum', [g, ctx.b.int64(axes)], [attr.int('keepdims', 1)]);
  return ctx.b.op('Reshape', [reduced, ctx.b.shape(input)]);
}

/** Gradient passed where a condition holds, zero elsewhere. */
function masked(ctx: AdjointContext, condition: string, g: string, otherwise?: string): string {
  return ctx.b.op('Where', [condition, g, otherwise ?? ctx.b.scalar(0)]);
}

const passThrough: AdjointRule = { backward: (ctx) => [ctx.grad(0)] };

// Relu, Clip and LeakyRelu test their output (y > 0 exactly where x > 0; min < y < max exactly
// where min < x < max), so onnxruntime can still fuse the activation into the Conv before it.
const relu: AdjointRule = {
  backward: (ctx) => [masked(ctx, ctx.b.op('Greater', [ctx.outputs[0]!, ctx.b.scalar(0)]), ctx.grad(0))],
};

const leakyRelu: AdjointRule = {
  backward(ctx) {
    const alpha = ctx.a.float('alpha', 0.01);
    const g = ctx.grad(0);
    const condition = ctx.b.op(alpha >= 0 ? 'Greater' : 'Less', [ctx.outputs[0]!, ctx.b.scalar(0)]);
    const positive = alpha >= 0 ? g : ctx.b.op('Mul', [g, ctx.b.scalar(alpha)]);
    const negative = alpha >= 0 ? ctx.b.op('Mul', [g, ctx.b.scalar(alpha)]) : g;
    return [ctx.b.op('Where', [condition, positive, negative])];
  },
};

/** Clip (ReLU6, hardtanh): the gradient passes strictly inside (min, max), as in PyTorch. */
const clip: AdjointRule = {
  nonDifferentiable: [1, 2],
  backward(ctx) {
    const [, min, max] = ctx.inputs;
    const x = ctx.inputs[0]!;
    const tests: string[] = [];
    if (min) tests.push(ctx.b.op('Greater', [x, min]));
    if (max) tests.push(ctx.b.op('Less', [x, max]));
    if (tests.length === 0) return [ctx.grad(0)];
    const condition = tests.length === 1 ? tests[0]! : ctx.b.op('And', tests);
    return [masked(ctx, condition, ctx.grad(0))];
  },
};

const sigmoid: AdjointRule = {
  backward(ctx) {
    const y = ctx.outputs[0]!;
    const slope = ctx.b.op('Mul', [y, ctx.b.op('Sub', [ctx.b.scalar(1), y])]);
    return [ctx.b.op('Mul', [ctx.grad(0), slope])];
  },
};

const tanh: AdjointRule = {
  backward(ctx) {
    const y = ctx.outputs[0]!;
    const slope = ctx.b.op('Sub', [ctx.b.scalar(1), ctx.b.op('Mul', [y, y])]);
    return [ctx.b.op('Mul', [ctx.grad(0), slope])];
  },
};

/** HardSigmoid: alpha where 0 < alpha·x + beta < 1. */
const hardSigmoid: AdjointRule = {
  backward(ctx) {
    const y = ctx.outputs[0]!;
    const inside = ctx.b.op('And', [ctx.b.op('Greater', [y, ctx.b.scalar(0)]), ctx.b.op('Less', [y, ctx.b.scalar(1)])]);
    return [masked(ctx, inside, ctx.b.op('Mul', [ctx.grad(0), ctx.b.scalar(ctx.a.float('alpha', 0.2))]))];
  },
};

/** HardSwish x·relu6(x+3)/6: 0 below -3, x/3 + 1/2 up to 3, 1 above (PyTorch's convention at the kinks). */
const hardSwish: AdjointRule = {
  backward(ctx) {
    const b = ctx.b;
    const x = ctx.inputs[0]!;
    const g = ctx.grad(0);
    const middle = b.op('Mul', [g, b.op('Add', [b.op('Mul', [x, b.scalar(1 / 3)]), b.scalar(0.5)])]);
    const upper = b.op('Where', [b.op('Greater', [x, b.scalar(3)]), g, middle]);
    return [masked(ctx, b.op('Less', [x, b.scalar(-3)]), b.scalar(0), upper)];
  },
};

const neg: AdjointRule = { backward: (ctx) => [ctx.b.op('Neg', [ctx.grad(0)])] };

const add: AdjointRule = {
  backward: (ctx) => ctx.inputs.map((x, i) => (ctx.wants(i) ? unbroadcast(ctx, ctx.grad(0), x) : undefined)),
};

const sub: AdjointRule = {
  backward(ctx) {
    const g = ctx.grad(0);
    return [ctx.wants(0) ? unbroadcast(ctx, g, ctx.inputs[0]!) : undefined, ctx.wants(1) ? unbroadcast(ctx, ctx.b.op('Neg', [g]), ctx.inputs[1]!) : undefined];
  },
};

const mul: AdjointRule = {
  backward(ctx) {
    const [x, y] = ctx.inputs as [string, string];
    const g = ctx.grad(0);
    return [ctx.wants(0) ? unbroadcast(ctx, ctx.b.op('Mul', [g, y]), x) : undefined, ctx.wants(1) ? unbroadcast(ctx, ctx.b.op('Mul', [g, x]), y) : undefined];
  },
};

/** z = x / y: dx = g / y, dy = -g·z / y. */
const div: AdjointRule = {
  backward(ctx) {
    const [x, y] = ctx.inputs as [string, string];
    const g = ctx.grad(0);
    const gx = ctx.b.op('Div', [g, y]);
    const gy = ctx.wants(1) ? ctx.b.op('Neg', [ctx.b.op('Mul', [gx, ctx.outputs[0]!])]) : undefined;
    return [ctx.wants(0) ? unbroadcast(ctx, gx, x) : undefined, gy ? unbroadcast(ctx, gy, y) : undefined];
  },
};

const sum: AdjointRule = { backward: (ctx) => ctx.inputs.map((x, i) => (ctx.wants(i) ? unbroadcast(ctx, ctx.grad(0), x) : undefined)) };

const where: AdjointRule = {
  nonDifferentiable: [0],
  backward(ctx) {
    const [condition, x, y] = ctx.inputs as [string, string, string];
    const g = ctx.grad(0);
    const zero = ctx.b.scalar(0);
    return [
      undefined,
      ctx.wants(1) ? unbroadcast(ctx, ctx.b.op('Where', [condition, g, zero]), x) : undefined,
      ctx.wants(2) ? unbroadcast(ctx, ctx.b.op('Where', [condition, zero, g]), y) : undefined,
    ];
  },
};

/** BatchNormalization (inference): g · scale / √(var + ε), per channel. */
const batchNorm: AdjointRule = {
  backward(ctx) {
    if ([1, 2, 3, 4].some((i) => ctx.wants(i))) throw new CliError(`BatchNormalization node '${ctx.node.name}': parameters that depend on the image are not differentiated`);
    const b = ctx.b;
    const [x, scale, , , variance] = ctx.inputs as [string, string, string, string, string];
    const rank = ctx.shape(x).length;
    const std = b.op('Sqrt', [b.op('Add', [variance, b.scalar(ctx.a.float('epsilon', 1e-5))])]);
    const factor = b.op('Reshape', [b.op('Div', [scale, std]), b.int64([1, -1, ...Array<number>(rank - 2).fill(1)])]);
    return [b.op('Mul', [ctx.grad(0), factor])];
  },
};

const exp: AdjointRule = { backward: (ctx) => [ctx.b.op('Mul', [ctx.grad(0), ctx.outputs[0]!])] };
const log: AdjointRule = { backward: (ctx) => [ctx.b.op('Div', [ctx.grad(0), ctx.inputs[0]!])] };
const sqrt: AdjointRule = { backward: (ctx) => [ctx.b.op('Div', [ctx.grad(0), ctx.b.op('Mul', [ctx.outputs[0]!, ctx.b.scalar(2)])])] };

/** Pow with an exponent that does not depend on the image (LayerNorm's x², L2 norms): e·x^(e−1). */
const pow: AdjointRule = {
  backward(ctx) {
    if (ctx.wants(1)) throw new CliError(`Pow node '${ctx.node.name}': an exponent that depends on the image is not differentiated`);
    const b = ctx.b;
    const [x, e] = ctx.inputs as [string, string];
    const slope = b.op('Mul', [e, b.op('Pow', [x, b.op('Sub', [e, b.op('CastLike', [b.scalar(1), e])])])]);
    return [b.op('Mul', [ctx.grad(0), slope]), undefined];
  },
};

/** Erf (GELU as exported at opset 13): 2/√π · exp(−x²). */
const erf: AdjointRule = {
  backward(ctx) {
    const b = ctx.b;
    const x = ctx.inputs[0]!;
    const bell = b.op('Exp', [b.op('Neg', [b.op('Mul', [x, x])])]);
    return [b.op('Mul', [ctx.grad(0), b.op('Mul', [bell, b.scalar(2 / Math.sqrt(Math.PI))])])];
  },
};

const softplus: AdjointRule = { backward: (ctx) => [ctx.b.op('Mul', [ctx.grad(0), ctx.b.op('Sigmoid', [ctx.inputs[0]!])])] };

/** Elu: g where x > 0, g·(y + α) elsewhere. */
const elu: AdjointRule = {
  backward(ctx) {
    const b = ctx.b;
    const g = ctx.grad(0);
    const below = b.op('Mul', [g, b.op('Add', [ctx.outputs[0]!, b.scalar(ctx.a.float('alpha', 1))])]);
    return [b.op('Where', [b.op('Greater', [ctx.inputs[0]!, b.scalar(0)]), g, below])];
  },
};

/** PRelu with a learned slope (not differentiated): g where x > 0, g·slope elsewhere. */
const prelu: AdjointRule = {
  backward(ctx) {
    if (ctx.wants(1)) throw new CliError(`PRelu node '${ctx.node.name}': a slope that depends on the image is not differentiated`);
    const b = ctx.b;
    const g = ctx.grad(0);
    const [x, slope] = ctx.inputs as [string, string];
    return [b.op('Where', [b.op('Greater', [x, b.scalar(0)]), g, b.op('Mul', [g, slope])]), undefined];
  },
};

/** Softmax over one axis (opset 13's meaning): y ⊙ (g − Σ_axis g ⊙ y). */
const softmax: AdjointRule = {
  backward(ctx) {
    const b = ctx.b;
    const y = ctx.outputs[0]!;
    const axis = softmaxAxis(ctx);
    const g = ctx.grad(0);
    const inner = b.op('ReduceSum', [b.op('Mul', [g, y]), b.int64([axis])], [attr.int('keepdims', 1)]);
    return [b.op('Mul', [y, b.op('Sub', [g, inner])])];
  },
};

/** LogSoftmax: g − softmax(x) · Σ_axis g. */
const logSoftmax: AdjointRule = {
  backward(ctx) {
    const b = ctx.b;
    const axis = softmaxAxis(ctx);
    const g = ctx.grad(0);
    const total = b.op('ReduceSum', [g, b.int64([axis])], [attr.int('keepdims', 1)]);
    return [b.op('Sub', [g, b.op('Mul', [b.op('Exp', [ctx.outputs[0]!]), total])])];
  },
};

/** Softmax's axis; before opset 13 the operator flattened from the axis on, which matches one axis only when it is the last. */
function softmaxAxis(ctx: AdjointContext): number {
  const rank = ctx.shape(ctx.inputs[0]!).length;
  const opset13 = ctx.opset >= 13;
  const raw = ctx.a.int('axis', opset13 ? -1 : 1);
  const axis = raw < 0 ? raw + rank : raw;
  if (!opset13 && axis !== rank - 1) throw new CliError(`${ctx.node.opType} node '${ctx.node.name}': opset ${ctx.opset}'s flattening softmax over axes ${axis}.. is not differentiated (re-export at opset 13 or later)`);
  return axis;
}

export const POINTWISE_ADJOINTS: Record<string, AdjointRule> = {
  Exp: exp,
  Log: log,
  Sqrt: sqrt,
  Pow: pow,
  Erf: erf,
  Softplus: softplus,
  Elu: elu,
  PRelu: prelu,
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  Identity: passThrough,
  Dropout: { ...passThrough, nonDifferentiable: [1, 2] },
  Relu: relu,
  LeakyRelu: leakyRelu,
  Clip: clip,
  Sigmoid: sigmoid,
  Tanh: tanh,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Neg: neg,
  Add: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Sum: sum,
  Where: where,
  BatchNormalization: batchNorm,
};

import { CliError } from '@cnnpipe/core';
import { describe, expect, it } from 'vitest';
import { gradientGraph } from './gradient-graph.js';
import { attr } from './attributes.js';
import { adjointGap, opModel, type OpModel } from './test-support/op-models.js';

// Each operator's adjoint against finite differences of the forward graph onnxruntime runs:
// ⟨(f(x+εv) − f(x−εv))/2ε, g⟩ = ⟨v, Jᵀg⟩. Linear maps use ε = 1 (exact up to rounding);
// piecewise-linear ones use distinct inputs on a grid and a step that stays on one piece.

const LINEAR = { eps: 1 };
const PIECEWISE = { eps: 0.01, grid: true };
const SMOOTH = { eps: 0.01 };

const conv = (w: number[], attributes = [] as ReturnType<typeof attr.int>[], input = 'x', output = 'y') => ({
  spec: { opType: 'Conv', input: [input, 'w'], output: [output], attribute: attributes },
  w,
});

function convModel(input: [number, number, number], w: number[], attributes: ReturnType<typeof attr.int>[]): OpModel {
  const c = conv(w, attributes);
  return { input, nodes: [c.spec], weights: { w: c.w } };
}

const cases: [string, OpModel, typeof LINEAR][] = [
  ['Conv 3x3 pad 1', convModel([3, 8, 8], [4, 3, 3, 3], [attr.ints('pads', [1, 1, 1, 1])]), LINEAR],
  ['Conv grouped (2 groups), stride 2, asymmetric pads', { input: [3, 9, 9], nodes: [conv([4, 3, 1, 1], [], 'x', 'h').spec, { opType: 'Conv', input: ['h', 'w2'], output: ['y'], attribute: [attr.int('group', 2), attr.ints('strides', [2, 2]), attr.ints('pads', [0, 1, 2, 0])] }], weights: { w: [4, 3, 1, 1], w2: [6, 2, 3, 3] } }, LINEAR],
  ['Conv grouped (2 groups), stride 1, asymmetric pads (the flipped-kernel Conv adjoint)', { input: [3, 7, 7], nodes: [conv([4, 3, 1, 1], [], 'x', 'h').spec, { opType: 'Conv', input: ['h', 'w2'], output: ['y'], attribute: [attr.int('group', 2), attr.ints('pads', [0, 1, 2, 0]), attr.ints('kernel_shape', [3, 2])] }], weights: { w: [4, 3, 1, 1], w2: [6, 2, 3, 2] } }, LINEAR],
  ['Conv depthwise, dilation 2', convModel([3, 10, 10], [3, 1, 3, 3], [attr.int('group', 3), attr.ints('dilations', [2, 2]), attr.ints('pads', [2, 2, 2, 2])]), LINEAR],
  ['Conv stride 3 leaving trailing cells (output_padding)', convModel([1, 11, 11], [3, 1, 2, 2], [attr.ints('strides', [3, 3])]), LINEAR],
  ['Conv 1x7 and 7x1 kernels', { input: [1, 9, 9], nodes: [conv([3, 1, 1, 7], [attr.ints('pads', [0, 3, 0, 3])], 'x', 'h').spec, { opType: 'Conv', input: ['h', 'w2'], output: ['y'], attribute: [attr.ints('pads', [3, 0, 3, 0])] }], weights: { w: [3, 1, 1, 7], w2: [2, 3, 7, 1] } }, LINEAR],
  ['Conv auto_pad SAME_UPPER stride 2', convModel([1, 7, 7], [3, 1, 4, 4], [attr.string('auto_pad', 'SAME_UPPER'), attr.ints('strides', [2, 2])]), LINEAR],
  ['Conv with bias', { input: [3, 6, 6], nodes: [{ opType: 'Conv', input: ['x', 'w', 'bias'], output: ['y'], attribute: [] }], weights: { w: [3, 3, 3, 3], bias: [3] } }, LINEAR],
  ['MaxPool 3x3 stride 2 ceil_mode, overlapping windows', { input: [3, 8, 8], nodes: [{ opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [attr.ints('kernel_shape', [3, 3]), attr.ints('strides', [2, 2]), attr.int('ceil_mode', 1)] }] }, PIECEWISE],
  ['MaxPool asymmetric pads, stride 1', { input: [1, 7, 7], nodes: [{ opType: 'MaxPool', input: ['x'], output: ['y'], attribute: [attr.ints('kernel_shape', [2, 3]), attr.ints('pads', [1, 0, 0, 2])] }] }, PIECEWISE],
  ['AveragePool ceil_mode, count_include_pad 0', { input: [3, 9, 9], nodes: [{ opType: 'AveragePool', input: ['x'], output: ['y'], attribute: [attr.ints('kernel_shape', [3, 3]), attr.ints('strides', [2, 2]), attr.ints('pads', [1, 1, 1, 1]), attr.int('ceil_mode', 1)] }] }, LINEAR],
  ['AveragePool ceil_mode, count_include_pad 1', { input: [1, 8, 8], nodes: [{ opType: 'AveragePool', input: ['x'], output: ['y'], attribute: [attr.ints('kernel_shape', [3, 3]), attr.ints('strides', [2, 2]), attr.ints('pads', [1, 0, 1, 0]), attr.int('ceil_mode', 1), attr.int('count_include_pad', 1)] }] }, LINEAR],
  ['AveragePool 2x2 stride 2 (DenseNet transition)', { input: [3, 6, 6], nodes: [{ opType: 'AveragePool', input: ['x'], output: ['y'], attribute: [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])] }] }, LINEAR],
  ['GlobalAveragePool', { input: [3, 5, 5], nodes: [{ opType: 'GlobalAveragePool', input: ['x'], output: ['y'] }] }, LINEAR],
  ['BatchNormalization', { input: [3, 4, 4], nodes: [{ opType: 'BatchNormalization', input: ['x', 's', 'b', 'm', 'v'], output: ['y'], attribute: [attr.float('epsilon', 1e-3)] }], weights: { s: [3], b: [3], m: [3], v: { dims: [3], values: [0.5, 1.5, 2] } } }, LINEAR],
  ['Relu', { input: [3, 5, 5], nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }] }, PIECEWISE],
  ['LeakyRelu', { input: [1, 5, 5], nodes: [{ opType: 'LeakyRelu', input: ['x'], output: ['y'], attribute: [attr.float('alpha', 0.1)] }] }, PIECEWISE],
  ['Clip (ReLU6 bounds as inputs)', { input: [3, 6, 6], nodes: [{ opType: 'Mul', input: ['x', 'k'], output: ['h'] }, { opType: 'Clip', input: ['h', 'lo', 'hi'], output: ['y'] }], weights: { k: { dims: [], values: [50] }, lo: { dims: [], values: [0] }, hi: { dims: [], values: [6] } } }, PIECEWISE],
  ['Clip (opset 10 attributes)', { opset: 10, input: [1, 6, 6], nodes: [{ opType: 'Clip', input: ['x'], output: ['y'], attribute: [attr.float('min', -0.2), attr.float('max', 0.3)] }] }, PIECEWISE],
  ['Sigmoid', { input: [3, 4, 4], nodes: [{ opType: 'Sigmoid', input: ['x'], output: ['y'] }] }, SMOOTH],
  ['Tanh', { input: [1, 4, 4], nodes: [{ opType: 'Tanh', input: ['x'], output: ['y'] }] }, SMOOTH],
  ['HardSwish', { input: [3, 4, 4], nodes: [{ opType: 'Mul', input: ['x', 'k'], output: ['h'] }, { opType: 'HardSwish', input: ['h'], output: ['y'] }], weights: { k: { dims: [], values: [10] } } }, PIECEWISE],
  ['SiLU (x · Sigmoid(x): a tensor used twice)', { input: [3, 4, 4], nodes: [{ opType: 'Sigmoid', input: ['x'], output: ['s'] }, { opType: 'Mul', input: ['x', 's'], output: ['y'] }] }, SMOOTH],
  ['squeeze-excitation: Mul broadcasting [N,C,1,1] over [N,C,H,W]', { input: [3, 5, 5], nodes: [{ opType: 'GlobalAveragePool', input: ['x'], output: ['p'] }, { opType: 'Sigmoid', input: ['p'], output: ['s'] }, { opType: 'Mul', input: ['x', 's'], output: ['y'] }] }, SMOOTH],
  ['Add broadcasting [N,1,H,W] (ReduceMean over channels)', { input: [3, 4, 4], nodes: [{ opType: 'ReduceMean', input: ['x'], output: ['m'], attribute: [attr.ints('axes', [1])] }, { opType: 'Add', input: ['m', 'x'], output: ['y'] }] }, LINEAR],
  ['Sub and Mul by weights [C,1,1]', { input: [3, 4, 4], nodes: [{ opType: 'Mul', input: ['x', 'k'], output: ['h'] }, { opType: 'GlobalAveragePool', input: ['x'], output: ['p'] }, { opType: 'Sub', input: ['p', 'h'], output: ['y'] }], weights: { k: [3, 1, 1] } }, LINEAR],
  ['Div by a broadcast denominator', { input: [3, 4, 4], nodes: [{ opType: 'GlobalAveragePool', input: ['x'], output: ['p'] }, { opType: 'Sigmoid', input: ['p'], output: ['s'] }, { opType: 'Div', input: ['x', 's'], output: ['y'] }] }, SMOOTH],
  ['Concat and Split (channels)', { input: [3, 4, 4], nodes: [{ opType: 'Split', input: ['x', 'parts'], output: ['a', 'b'], attribute: [attr.int('axis', 1)] }, { opType: 'Mul', input: ['b', 'k'], output: ['b2'] }, { opType: 'Concat', input: ['b2', 'x', 'a'], output: ['y'], attribute: [attr.int('axis', 1)] }], weights: { parts: { dims: [2], values: [1, 2], type: 'int64' }, k: { dims: [], values: [3] } } }, LINEAR],
  ['Split with an unused output', { input: [3, 4, 4], nodes: [{ opType: 'Split', input: ['x', 'parts'], output: ['y', 'unused'], attribute: [attr.int('axis', 1)] }], weights: { parts: { dims: [2], values: [2, 1], type: 'int64' } } }, LINEAR],
  ['channel shuffle: Reshape, Transpose, Reshape', { input: [3, 4, 4], nodes: [conv([4, 3, 1, 1], [], 'x', 'h').spec, { opType: 'Reshape', input: ['h', 's1'], output: ['r'] }, { opType: 'Transpose', input: ['r'], output: ['t'], attribute: [attr.ints('perm', [0, 2, 1, 3, 4])] }, { opType: 'Reshape', input: ['t', 's2'], output: ['y'] }], weights: { w: [4, 3, 1, 1], s1: { dims: [5], values: [0, 2, 2, 4, 4], type: 'int64' }, s2: { dims: [4], values: [0, 4, 4, 4], type: 'int64' } } }, LINEAR],
  ['Flatten then Gemm (transB)', { input: [1, 4, 4], nodes: [{ opType: 'Flatten', input: ['x'], output: ['f'] }, { opType: 'Gemm', input: ['f', 'w', 'c'], output: ['y'], attribute: [attr.int('transB', 1), attr.float('alpha', 0.5)] }], weights: { w: [5, 16], c: [5] } }, LINEAR],
  ['Gemm (transA) and MatMul', { input: [1, 4, 4], nodes: [{ opType: 'Flatten', input: ['x'], output: ['f'] }, { opType: 'Transpose', input: ['f'], output: ['ft'] }, { opType: 'Gemm', input: ['ft', 'w'], output: ['g'], attribute: [attr.int('transA', 1)] }, { opType: 'MatMul', input: ['g', 'm'], output: ['y'] }], weights: { w: [16, 4], m: [4, 3] } }, LINEAR],
  ['Pad (asymmetric, with a crop) and Slice', { input: [1, 6, 6], nodes: [{ opType: 'Pad', input: ['x', 'pads'], output: ['p'] }, { opType: 'Slice', input: ['p', 'st', 'en', 'ax'], output: ['y'] }], weights: { pads: { dims: [8], values: [0, 0, 1, 2, 0, 0, -1, 3], type: 'int64' }, st: { dims: [2], values: [1, 0], type: 'int64' }, en: { dims: [2], values: [-1, 5], type: 'int64' }, ax: { dims: [2], values: [2, 3], type: 'int64' } } }, LINEAR],
  ['Pad reflect (an index map: border cells copied twice)', { input: [3, 5, 5], nodes: [{ opType: 'Pad', input: ['x', 'pads'], output: ['y'], attribute: [attr.string('mode', 'reflect')] }], weights: { pads: { dims: [8], values: [0, 0, 2, 1, 0, 0, 1, 3], type: 'int64' } } }, LINEAR],
  ['Pad edge', { input: [1, 4, 4], nodes: [{ opType: 'Pad', input: ['x', 'pads'], output: ['y'], attribute: [attr.string('mode', 'edge')] }], weights: { pads: { dims: [8], values: [0, 0, 3, 0, 0, 0, 1, 2], type: 'int64' } } }, LINEAR],
  ['Slice with steps 2 (spatial) and -1 (channels reversed)', { input: [3, 7, 7], nodes: [{ opType: 'Slice', input: ['x', 'st', 'en', 'ax', 'sp'], output: ['y'] }], weights: { st: { dims: [3], values: [-1, 1, 0], type: 'int64' }, en: { dims: [3], values: [-10, 7, 6], type: 'int64' }, ax: { dims: [3], values: [1, 2, 3], type: 'int64' }, sp: { dims: [3], values: [-1, 2, 3], type: 'int64' } } }, LINEAR],
  ['Resize nearest x2 (an index map)', { input: [3, 4, 4], nodes: [{ opType: 'Resize', input: ['x', '', 'scales'], output: ['y'], attribute: [attr.string('mode', 'nearest')] }], weights: { scales: { dims: [4], values: [1, 1, 2, 1.5] } } }, LINEAR],
  ['Softmax over channels', { input: [3, 4, 4], nodes: [{ opType: 'Softmax', input: ['x'], output: ['y'], attribute: [attr.int('axis', 1)] }] }, SMOOTH],
  ['LogSoftmax of logits (Flatten, Gemm)', { input: [1, 4, 4], nodes: [{ opType: 'Flatten', input: ['x'], output: ['f'] }, { opType: 'Gemm', input: ['f', 'w'], output: ['z'], attribute: [attr.int('transB', 1)] }, { opType: 'LogSoftmax', input: ['z'], output: ['y'] }], weights: { w: [5, 16] } }, SMOOTH],
  ['Exp, Log, Sqrt, Pow (LayerNorm-like)', { input: [3, 4, 4], nodes: [{ opType: 'Pow', input: ['x', 'two'], output: ['sq'] }, { opType: 'ReduceMean', input: ['sq'], output: ['m'], attribute: [attr.ints('axes', [1])] }, { opType: 'Add', input: ['m', 'eps'], output: ['v'] }, { opType: 'Sqrt', input: ['v'], output: ['r'] }, { opType: 'Div', input: ['x', 'r'], output: ['n'] }, { opType: 'Exp', input: ['n'], output: ['e'] }, { opType: 'Add', input: ['e', 'eps'], output: ['e2'] }, { opType: 'Log', input: ['e2'], output: ['y'] }], weights: { two: { dims: [], values: [2] }, eps: { dims: [], values: [0.5] } } }, SMOOTH],
  ['Erf (GELU as exported)', { input: [3, 4, 4], nodes: [{ opType: 'Div', input: ['x', 'k'], output: ['d'] }, { opType: 'Erf', input: ['d'], output: ['e'] }, { opType: 'Mul', input: ['x', 'e'], output: ['y'] }], weights: { k: { dims: [], values: [1.4142135] } } }, SMOOTH],
  ['Softplus, Elu', { input: [3, 4, 4], nodes: [{ opType: 'Softplus', input: ['x'], output: ['s'] }, { opType: 'Elu', input: ['x'], output: ['e'], attribute: [attr.float('alpha', 0.7)] }, { opType: 'Add', input: ['s', 'e'], output: ['y'] }] }, PIECEWISE],
  ['PRelu with per-channel slopes', { input: [3, 5, 5], nodes: [{ opType: 'PRelu', input: ['x', 'slope'], output: ['y'] }], weights: { slope: [3, 1, 1] } }, PIECEWISE],
  ['GlobalMaxPool', { input: [3, 5, 5], nodes: [{ opType: 'GlobalMaxPool', input: ['x'], output: ['y'] }] }, PIECEWISE],
  ['Gather of channels (an index map)', { input: [3, 4, 4], nodes: [{ opType: 'Gather', input: ['x', 'idx'], output: ['y'], attribute: [attr.int('axis', 1)] }], weights: { idx: { dims: [4], values: [2, 0, 2, 1], type: 'int64' } } }, LINEAR],
  ['ReduceMean keepdims 0, ReduceSum', { input: [3, 4, 4], nodes: [{ opType: 'ReduceMean', input: ['x'], output: ['m'], attribute: [attr.ints('axes', [1, 2]), attr.int('keepdims', 0)] }, { opType: 'ReduceSum', input: ['x', 'axes'], output: ['s'], attribute: [attr.int('keepdims', 1)] }, { opType: 'Flatten', input: ['s'], output: ['sf'] }, { opType: 'Add', input: ['m', 'sf'], output: ['y'] }], weights: { axes: { dims: [2], values: [1, 3], type: 'int64' } } }, LINEAR],
  ['Dropout and Identity', { input: [1, 4, 4], nodes: [{ opType: 'Dropout', input: ['x'], output: ['d'] }, { opType: 'Identity', input: ['d'], output: ['y'] }] }, LINEAR],
  ['a residual block (Conv, Relu, Add of two uses)', { input: [3, 6, 6], nodes: [{ opType: 'Relu', input: ['x'], output: ['r'] }, conv([3, 3, 3, 3], [attr.ints('pads', [1, 1, 1, 1])], 'r', 'c').spec, { opType: 'Add', input: ['c', 'x'], output: ['y'] }], weights: { w: [3, 3, 3, 3] } }, PIECEWISE],
];

describe('adjoints against finite differences', () => {
  for (const [name, spec, options] of cases) {
    it(name, async () => {
      const gap = await adjointGap(opModel(spec), options);
      expect(gap).toBeLessThan(options === LINEAR ? 1e-4 : 2e-3);
    });
  }
});

describe('what cannot be differentiated', () => {
  it('stops with one line naming the operator, the node and the layer', async () => {
    const model = opModel({ input: [3, 4, 4], nodes: [{ name: '/features/features.3/LRN', opType: 'LRN', input: ['x'], output: ['y'], attribute: [attr.int('size', 3)] }] });
    const error = await gradientGraph(model, ['y']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toBe("op.onnx: cannot differentiate LRN node '/features/features.3/LRN' (layer features.3): no adjoint for LRN");
  });

  it('refuses a tap the input does not reach', async () => {
    const model = opModel({ input: [3, 4, 4], nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }, { opType: 'Identity', input: ['w'], output: ['z'] }], weights: { w: [3] } });
    await expect(gradientGraph(model, ['z'])).rejects.toThrow(/does not depend on the input/);
  });

  it('an operator past the tap does not matter', async () => {
    const model = opModel({ input: [3, 4, 4], nodes: [{ opType: 'Relu', input: ['x'], output: ['y'] }, { opType: 'LRN', input: ['y'], output: ['z'], attribute: [attr.int('size', 3)] }] });
    const graph = await gradientGraph(model, ['y']);
    expect(graph.tapShapes).toEqual([[3, 4, 4]]);
  });
});

describe('values baked in from the probe', () => {
  it('may follow the image shape (ShuffleNet slices at Shape-derived starts) but not its values', async () => {
    const shaped = opModel({
      input: [3, 4, 4],
      nodes: [
        { opType: 'Shape', input: ['x'], output: ['s'] },
        { opType: 'Gather', input: ['s', 'one'], output: ['c'], attribute: [attr.int('axis', 0)] },
        { opType: 'Div', input: ['c', 'three'], output: ['end'] },
        { opType: 'Slice', input: ['x', 'zero', 'end', 'one'], output: ['y'] },
      ],
      weights: { one: { dims: [1], values: [1], type: 'int64' }, three: { dims: [1], values: [3], type: 'int64' }, zero: { dims: [1], values: [0], type: 'int64' } },
    });
    expect(await adjointGap(shaped, LINEAR)).toBeLessThan(1e-4);
    const valued = opModel({
      input: [3, 4, 4],
      nodes: [
        { opType: 'ReduceMax', input: ['x'], output: ['m'], attribute: [attr.int('keepdims', 0)] },
        { opType: 'Cast', input: ['m'], output: ['e'], attribute: [attr.int('to', 7)] },
        { opType: 'Reshape', input: ['e', 'one'], output: ['end'] },
        { opType: 'Slice', input: ['x', 'zero', 'end', 'one'], output: ['y'] },
      ],
      weights: { one: { dims: [1], values: [1], type: 'int64' }, zero: { dims: [1], values: [0], type: 'int64' } },
    });
    await expect(gradientGraph(valued, ['y'])).rejects.toThrow(/Slice node .*: its input 2 depends on the image's values/);
  });
});

describe('a model that fixes its batch', () => {
  it('is probed at that batch (a Reshape to [1, -1] folds a batch of 2 into the features) and says so', async () => {
    const model = opModel({
      input: [1, 4, 4],
      nodes: [
        { opType: 'Reshape', input: ['x', 'flat'], output: ['f'] },
        { opType: 'Gemm', input: ['f', 'w'], output: ['y'], attribute: [attr.int('transB', 1)] },
      ],
      weights: { flat: { dims: [2], values: [1, -1], type: 'int64' }, w: [5, 16] },
    });
    const graph = await gradientGraph(model, ['y']);
    expect(graph.batch).toBe(1);
    expect(graph.tapShapes).toEqual([[5]]);
    expect(await adjointGap(model, { ...LINEAR, batch: 1 })).toBeLessThan(1e-4);
  });
});

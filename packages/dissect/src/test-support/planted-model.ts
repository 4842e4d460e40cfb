import { ElemType, encodeModel, intAttribute, valueInfo, type onnx } from '@cnnpipe/core';

const ints = (name: string, values: number[]): onnx.IAttributeProto => ({ name, type: 7, ints: values });
const tensor = (name: string, dims: number[], values: number[]): onnx.ITensorProto => ({ name, dims, dataType: ElemType.float32, floatData: values });

/** Gray-preset value of an 8-bit intensity: (v / 255 - 0.286) / 0.353. */
const gray = (v: number) => (v / 255 - 0.286) / 0.353;

/** Names of the planted model's units, in channel order. */
export const PLANTED = ['striped', 'banded', 'white'];
export const DECOYS = ['constant', 'corner', 'scatter'];

/**
 * A hand-built 28x28 gray model whose tensor `planted` [N,6,14,14] has units that respond to
 * one concept each of the fashion probe: 0 horizontal stripes (vertical variation at the
 * stripes' period minus horizontal, pooled), 1 vertical stripes (the reverse), 2 bright
 * pixels (intensity > 224, the 'white' band), and three decoys whatever the image shows:
 * 3 a constant (never above its threshold), 4 a bump at the top-left corner, 5 a fixed
 * random scatter of positions.
 */
export function plantedModel(): Uint8Array {
  // Two periods of the probe's 4-pixel stripes: a single edge (a trouser leg) gets a quarter
  // of a stripe pattern's response.
  const v = [1, 1, -1, -1, 1, 1, -1, -1];
  const vertical: number[] = [];
  const horizontal: number[] = [];
  for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) {
    vertical.push(v[y]! / 8);
    horizontal.push(v[x]! / 8);
  }
  // A fixed scatter of positions, whatever the image shows.
  let seed = 12345;
  const scatter: number[] = [];
  for (let i = 0; i < 28 * 28; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    scatter.push(seed / 2147483648);
  }
  const bump: number[] = [];
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) bump.push(Math.exp(-(x * x + y * y) / 18));
  const nodes: onnx.INodeProto[] = [
    { opType: 'Conv', input: ['input', 'w_grad'], output: ['grad'], name: '/grad/Conv', attribute: [ints('kernel_shape', [8, 8]), ints('pads', [3, 3, 4, 4])] },
    { opType: 'Abs', input: ['grad'], output: ['grad_abs'], name: '/grad/Abs' },
    { opType: 'AveragePool', input: ['grad_abs'], output: ['energy'], name: '/energy/AveragePool', attribute: [ints('kernel_shape', [5, 5]), ints('pads', [2, 2, 2, 2]), intAttribute('count_include_pad', 0)] },
    { opType: 'Conv', input: ['energy', 'w_diff'], output: ['oriented'], name: '/oriented/Conv', attribute: [ints('kernel_shape', [1, 1])] },
    { opType: 'Relu', input: ['oriented'], output: ['stripes'], name: '/oriented/Relu' },
    { opType: 'Conv', input: ['input', 'w_bright', 'b_bright'], output: ['bright_pre'], name: '/bright/Conv', attribute: [ints('kernel_shape', [1, 1])] },
    { opType: 'Relu', input: ['bright_pre'], output: ['bright'], name: '/bright/Relu' },
    { opType: 'Mul', input: ['input', 'zero'], output: ['constant'], name: '/constant/Mul' },
    { opType: 'Add', input: ['constant', 'bump'], output: ['corner'], name: '/corner/Add' },
    { opType: 'Add', input: ['constant', 'scatter'], output: ['scattered'], name: '/scattered/Add' },
    { opType: 'Concat', input: ['stripes', 'bright', 'constant', 'corner', 'scattered'], output: ['units'], name: '/units/Concat', attribute: [intAttribute('axis', 1)] },
    { opType: 'MaxPool', input: ['units'], output: ['planted'], name: '/planted/MaxPool', attribute: [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])] },
  ];
  return encodeModel({
    name: 'planted',
    node: nodes,
    input: [valueInfo('input', ElemType.float32, ['N', 1, 28, 28])],
    output: [valueInfo('planted', ElemType.float32, ['N', 6, 14, 14])],
    initializer: [
      tensor('w_grad', [2, 1, 8, 8], [...vertical, ...horizontal]),
      tensor('w_diff', [2, 2, 1, 1], [1, -1, -1, 1]),
      tensor('w_bright', [1, 1, 1, 1], [1]),
      tensor('b_bright', [1], [-gray(224)]),
      tensor('zero', [1], [0]),
      tensor('bump', [1, 1, 28, 28], bump),
      tensor('scatter', [1, 1, 28, 28], scatter),
    ],
  });
}

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeType, ElemType, META, decodeModel, encodeModel, onnx, valueInfo } from '@cnnpipe/core';
import type { ReceptiveField } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import sharp from 'sharp';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadModel, resolveLayer } from './onnx-model.js';
import { composeResize, composeTransposed, receptiveFields } from './receptive-field.js';

const INTS = AttributeType.INTS;
const INT = AttributeType.INT;
const STRING = AttributeType.STRING;
const TENSOR = AttributeType.TENSOR;
const ints = (name: string, values: number[]): onnx.IAttributeProto => ({ name, type: INTS, ints: values });
const str = (name: string, value: string): onnx.IAttributeProto => ({ name, type: STRING, s: Buffer.from(value) });
const int64 = (name: string, values: number[], dims = [values.length]): onnx.ITensorProto => ({ name, dims, dataType: ElemType.int64, int64Data: values });
const float32 = (name: string, values: number[]): onnx.ITensorProto => ({ name, dims: [values.length], dataType: ElemType.float32, floatData: values });
const constant = (output: string, value: onnx.ITensorProto): onnx.INodeProto => ({
  opType: 'Constant',
  name: `/${output}/Constant`,
  input: [],
  output: [output],
  attribute: [{ name: 'value', type: TENSOR, t: value }],
});
const conv = (input: string, output: string, kernel: number[], attrs: onnx.IAttributeProto[] = []): onnx.INodeProto => ({
  opType: 'Conv',
  name: `/${output}/Conv`,
  input: [input, 'w'],
  output: [output],
  attribute: [ints('kernel_shape', kernel), ...attrs],
});

/** Round-trips the graph through the protobuf encoder, so int64s arrive as protobufjs Longs as they do from a file. */
function fieldsOf(nodes: onnx.INodeProto[], initializer: onnx.ITensorProto[] = [], opset = 13): Map<string, ReceptiveField> {
  const bytes = encodeModel(
    {
      name: 'rf',
      node: nodes,
      input: [valueInfo('input', ElemType.float32, ['N', 1, 32, 32])],
      output: [valueInfo(nodes[nodes.length - 1]!.output![0]!, ElemType.float32, ['N', 1, 'H', 'W'])],
      initializer,
    },
    opset,
  );
  const graph = decodeModel(bytes).graph!;
  return receptiveFields(graph.node as onnx.NodeProto[], 'input', 32, graph.initializer as onnx.TensorProto[]);
}

const rf = (size: number, stride: number, offset: number): ReceptiveField => ({ size, stride, offset });

describe('receptive fields through explicit Pad nodes', () => {
  it('Pad 1 then a 3x3 conv without pads equals the conv with pads 1 (pads from a Constant, opset 13)', () => {
    const padded = fieldsOf([
      constant('pads', int64('pads', [0, 0, 1, 1, 0, 0, 1, 1])),
      { opType: 'Pad', name: '/pad/Pad', input: ['input', 'pads'], output: ['p'], attribute: [str('mode', 'constant')] },
      conv('p', 'c', [3, 3]),
    ]);
    const direct = fieldsOf([conv('input', 'c', [3, 3], [ints('pads', [1, 1, 1, 1])])]);
    expect(padded.get('p')).toEqual(rf(1, 1, -1));
    expect(padded.get('c')).toEqual(rf(3, 1, 0));
    expect(padded.get('c')).toEqual(direct.get('c'));
  });

  it('Pad 2 then a 3x3 conv stride 2 (pads from an initializer): size 3, stride 2, offset -1', () => {
    // Cell 0 of the padded map is input pixel -2; the conv's cell 0 is centred one pixel further: -1.
    const fields = fieldsOf(
      [
        { opType: 'Pad', name: '/pad/Pad', input: ['input', 'pads'], output: ['p'], attribute: [str('mode', 'reflect')] },
        conv('p', 'c', [3, 3], [ints('strides', [2, 2])]),
        conv('c', 'd', [3, 3], [ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])]),
      ],
      [int64('pads', [0, 0, 2, 2, 0, 0, 2, 2])],
    );
    expect(fields.get('c')).toEqual(rf(3, 2, -1));
    // And on: 3x3 stride 2 pad 1 over it: size 3 + 2*2, stride 4, offset -1 + (1 - 1)*2.
    expect(fields.get('d')).toEqual(rf(7, 4, -1));
    expect(fields.get('d')).toEqual(fieldsOf([conv('input', 'c', [3, 3], [ints('strides', [2, 2]), ints('pads', [2, 2, 2, 2])]), conv('c', 'd', [3, 3], [ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])])]).get('d'));
  });

  it('reads the pads attribute of opset < 11 and the begin pads of H and W at indices 2 and 3', () => {
    // Pad H by 3 before, W by 1 before (and nothing on N, C); then a 5x5 conv.
    const fields = fieldsOf(
      [
        { opType: 'Pad', name: '/pad/Pad', input: ['input'], output: ['p'], attribute: [str('mode', 'constant'), ints('pads', [0, 0, 3, 1, 0, 0, 0, 2])] },
        conv('p', 'c', [5, 5]),
      ],
      [],
      9,
    );
    // H: -3 + 2 = -1; W: -1 + 2 = 1. Sizes tie, so the square field reported is H's.
    expect(fields.get('c')).toEqual(rf(5, 1, -1));
  });

  it('folds the pads PyTorch 1.13 computes with ConstantOfShape/Concat/Reshape/Slice/Transpose/Cast', () => {
    // F.pad(x, (left=2, right=1, top=3, bottom=0)) as torch.onnx.export writes it at opset 13.
    const fields = fieldsOf([
      constant('four', int64('four', [4])),
      constant('torchPads', int64('torchPads', [2, 1, 3, 0])),
      { opType: 'ConstantOfShape', name: '/pad/ConstantOfShape', input: ['four'], output: ['zeros'], attribute: [] },
      { opType: 'Concat', name: '/pad/Concat', input: ['torchPads', 'zeros'], output: ['cat'], attribute: [{ name: 'axis', type: INT, i: 0 }] },
      constant('pairs', int64('pairs', [-1, 2])),
      { opType: 'Reshape', name: '/pad/Reshape', input: ['cat', 'pairs'], output: ['r'], attribute: [] },
      constant('s0', int64('s0', [0])),
      constant('sStart', int64('sStart', [-1])),
      constant('sEnd', int64('sEnd', [-9007199254740991])),
      constant('sStep', int64('sStep', [-1])),
      { opType: 'Slice', name: '/pad/Slice', input: ['r', 'sStart', 'sEnd', 's0', 'sStep'], output: ['rev'], attribute: [] },
      { opType: 'Transpose', name: '/pad/Transpose', input: ['rev'], output: ['t'], attribute: [ints('perm', [1, 0])] },
      constant('flat', int64('flat', [-1])),
      { opType: 'Reshape', name: '/pad/Reshape_1', input: ['t', 'flat'], output: ['f'], attribute: [] },
      { opType: 'Cast', name: '/pad/Cast', input: ['f'], output: ['pads'], attribute: [{ name: 'to', type: INT, i: 7 }] },
      { opType: 'Pad', name: '/pad/Pad', input: ['input', 'pads'], output: ['p'], attribute: [str('mode', 'constant')] },
      conv('p', 'c', [7, 3]), // H grows more than W: the H field is reported
    ]);
    // H: pad 3, kernel 7 -> size 7, offset -3 + 3 = 0. W: pad 2, kernel 3 -> size 3, offset -1.
    expect(fields.get('c')).toEqual(rf(7, 1, 0));
  });

  it('keeps the field unshifted when the pads are computed at run time', () => {
    const fields = fieldsOf([
      { opType: 'Shape', name: '/pad/Shape', input: ['input'], output: ['shape'], attribute: [] },
      { opType: 'Pad', name: '/pad/Pad', input: ['input', 'shape'], output: ['p'], attribute: [] },
      conv('p', 'c', [3, 3]),
    ]);
    expect(fields.get('c')).toEqual(rf(3, 1, 1));
  });
});

describe('receptive fields through other ops', () => {
  it('reports the wider axis of a 1x7 conv and both axes after 1x7 then 7x1', () => {
    const fields = fieldsOf([conv('input', 'a', [1, 7], [ints('pads', [0, 3, 0, 3])]), conv('a', 'b', [7, 1], [ints('pads', [3, 0, 3, 0])])]);
    expect(fields.get('a')).toEqual(rf(7, 1, 0));
    expect(fields.get('b')).toEqual(rf(7, 1, 0));
  });

  it('ConvTranspose divides the stride; Resize by constant scales too', () => {
    // ConvTranspose2d(k=3, s=2, p=1) after a 3x3/2 conv: input cells i meet output o when 2i + j - 1 = o.
    expect(composeTransposed(rf(3, 2, 0), 3, 2, 1)).toEqual(rf(5, 1, 0));
    // Nearest, asymmetric (PyTorch's nn.Upsample default): cell o reads input cell o/2.
    expect(composeResize(rf(3, 2, 0), 2, false, 1)).toEqual(rf(3, 1, 0));
    // Bilinear, half_pixel: cell 0 reads input coordinate -0.25, between two cells.
    expect(composeResize(rf(3, 2, 0), 2, true, 2)).toEqual(rf(5, 1, -0.5));
    const fields = fieldsOf([
      conv('input', 'c', [3, 3], [ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])]),
      constant('scales', float32('scales', [1, 1, 2, 2])),
      { opType: 'Resize', name: '/up/Resize', input: ['c', '', 'scales'], output: ['u'], attribute: [str('mode', 'linear'), str('coordinate_transformation_mode', 'half_pixel')] },
      { opType: 'ConvTranspose', name: '/t/ConvTranspose', input: ['c', 'w'], output: ['t'], attribute: [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])] },
    ]);
    expect(fields.get('u')).toEqual(rf(5, 1, -0.5));
    expect(fields.get('t')).toEqual(rf(5, 1, 0));
  });

  it('a mean over H and W is global; a spatial Slice shifts the field; a channel Slice does not', () => {
    const fields = fieldsOf([
      conv('input', 'c', [3, 3], [ints('pads', [1, 1, 1, 1])]),
      { opType: 'ReduceMean', name: '/m/ReduceMean', input: ['c'], output: ['m'], attribute: [ints('axes', [2, 3]), { name: 'keepdims', type: INT, i: 0 }] },
      constant('starts', int64('starts', [1, 2])),
      constant('ends', int64('ends', [100, 100])),
      constant('axes', int64('axes', [2, 3])),
      { opType: 'Slice', name: '/s/Slice', input: ['c', 'starts', 'ends', 'axes'], output: ['s'], attribute: [] },
      constant('caxes', int64('caxes', [1])),
      constant('cstart', int64('cstart', [2])),
      { opType: 'Slice', name: '/cs/Slice', input: ['c', 'cstart', 'ends', 'caxes'], output: ['cs'], attribute: [] },
    ]);
    expect(fields.get('m')).toEqual(rf(32, 32, 15.5));
    expect(fields.get('s')).toEqual(rf(3, 1, 1)); // H starts at 1 (W at 2: same size, H reported)
    expect(fields.get('cs')).toEqual(rf(3, 1, 0));
  });

  it('auto_pad SAME with stride 2 pads (k - s) in all, the odd pixel at the end for SAME_UPPER', () => {
    const fields = fieldsOf([
      conv('input', 'u', [3, 3], [ints('strides', [2, 2]), str('auto_pad', 'SAME_UPPER')]),
      conv('input', 'l', [3, 3], [ints('strides', [2, 2]), str('auto_pad', 'SAME_LOWER')]),
    ]);
    expect(fields.get('u')).toEqual(rf(3, 2, 1));
    expect(fields.get('l')).toEqual(rf(3, 2, 0));
  });
});

interface PadFixture {
  model: string;
  size: number;
  layers: Record<string, { rf: ReceptiveField; measured: { h: number[]; w: number[] } }>;
}

describe('PyTorch 1.13 export with nn.ZeroPad2d / nn.ReflectionPad2d (fixtures/rf-pad.onnx)', () => {
  const fixtures = join(repoRoot, 'packages', 'extract', 'fixtures');
  const fixture = JSON.parse(readFileSync(join(fixtures, 'rf-pad.json'), 'utf8')) as PadFixture;
  const modelPath = join(fixtures, fixture.model);

  it('matches the fields worked out by hand and measured by input gradients in PyTorch', () => {
    const model = loadModel(modelPath);
    const fields = receptiveFields(model.nodes, 'input', fixture.size);
    for (const [layer, want] of Object.entries(fixture.layers)) {
      expect(fields.get(resolveLayer(model, layer)), layer).toEqual(want.rf);
      const [size, stride, offset] = want.measured.h;
      expect(want.rf, layer).toEqual({ size, stride, offset });
    }
  });

  it('writes those fields into cnnpipe.layers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-rf-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const png = join(dir, 'x.png');
    await sharp(Buffer.alloc(fixture.size * fixture.size, 128), { raw: { width: fixture.size, height: fixture.size, channels: 1 } }).png().toFile(png);
    const layers = Object.keys(fixture.layers);
    const result = await runBin('extract', ['--model', modelPath, ...layers.flatMap((l) => ['--layer', l]), '--size', String(fixture.size), '--resize', String(fixture.size), '--mean', '0', '--std', '1', png]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const meta = JSON.parse(fromIPC(result.stdout).schema.metadata.get(META.layers)!) as { name: string; rf: ReceptiveField }[];
    expect(meta.map((l) => [l.name, l.rf])).toEqual(layers.map((l) => [l, fixture.layers[l]!.rf]));
  });
});

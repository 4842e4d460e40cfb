import { CliError, ElemType, createSession, encodeModel, errorMessage, ort, valueInfo, type onnx } from '@cnnpipe/core';
import type { LoadedModel } from '@cnnpipe/extract';
import { PROBE_BATCH } from './adjoint.js';
import { ADJOINTS } from './adjoints.js';
import { attr } from './attributes.js';
import { NodeAttributes } from './node-attributes.js';
import { MIN_OPSET } from './opset.js';
import { windowCounts, windowOf } from './window-adjoints.js';

const probeName = {
  shape: (i: number) => `cnnpipe_probe_shape_${i}`,
  value: (i: number) => `cnnpipe_probe_value_${i}`,
  pool: (i: number) => `cnnpipe_probe_pool_${i}`,
  index: (i: number) => `cnnpipe_probe_index_${i}`,
};

export interface Probe {
  batch: number;
  shape(t: string): number[];
  value(t: string): number[];
  poolWeights(node: number): number[];
  indexMap(node: number): number[];
}

/**
 * Runs the forward graph once on blank images to learn what the adjoints are built from:
 * every shape around a differentiated node (onnxruntime's own shape inference gets ceil_mode
 * pools wrong), the values of pads, starts and split sizes, and each AveragePool run on ones.
 * A batch of 2 shows broadcasts over the batch axis; a model that fixes its batch at 1 is
 * probed with 1.
 */
export async function probeGraph(
  model: LoadedModel,
  forward: onnx.INodeProto[],
  relevant: number[],
  taps: string[],
  imageInput: onnx.IValueInfoProto,
  extraInitializers: onnx.ITensorProto[],
  opset: number,
  channels: number,
  size: number,
): Promise<Probe> {
  const graph = model.proto.graph as onnx.GraphProto;
  const wantShape = new Set<string>();
  const valueOf = new Set<string>();
  const pools: number[] = [];
  const indexed: number[] = [];
  for (const i of relevant) {
    const node = forward[i]!;
    const rule = ADJOINTS[node.opType!]!;
    for (const t of [...(node.input ?? []), ...(node.output ?? [])]) if (t) wantShape.add(t);
    for (const k of rule.values ?? []) if (node.input?.[k]) valueOf.add(node.input[k]!);
    if (rule.poolProbe) pools.push(i);
    if (rule.indexProbe) indexed.push(i);
  }
  const shapes = [...wantShape];
  const batched = taps.filter((t) => wantShape.has(t));
  const values = [...valueOf];
  const nodes: onnx.INodeProto[] = [];
  const outputs: onnx.IValueInfoProto[] = [];
  shapes.forEach((t, i) => {
    nodes.push({ opType: 'Shape', name: `cnnpipe_probe/shape_${i}`, input: [t], output: [probeName.shape(i)] });
    outputs.push(valueInfo(probeName.shape(i), ElemType.int64, ['rank']));
  });
  values.forEach((t, i) => {
    nodes.push({ opType: 'Cast', name: `cnnpipe_probe/value_${i}`, input: [t], output: [probeName.value(i)], attribute: [attr.int('to', ElemType.float32)] });
    outputs.push(valueInfo(probeName.value(i), ElemType.float32, ['n']));
  });
  pools.forEach((i) => {
    const node = forward[i]!;
    const shape = `cnnpipe_probe/pool_shape_${i}`;
    const ones = `cnnpipe_probe/pool_ones_${i}`;
    nodes.push({ opType: 'Shape', name: shape, input: [node.input![0]!], output: [shape] });
    nodes.push({ opType: 'ConstantOfShape', name: ones, input: [shape], output: [ones], attribute: [attr.tensor('value', { dims: [1], dataType: ElemType.float32, floatData: [1] })] });
    nodes.push({ ...node, name: `cnnpipe_probe/pool_${i}`, input: [ones], output: [probeName.pool(i)] });
    outputs.push(valueInfo(probeName.pool(i), ElemType.float32, ['N', 'C', 'H', 'W']));
  });
  const probeConstants: onnx.ITensorProto[] = [
    { name: 'cnnpipe_probe/one', dims: [1], dataType: ElemType.int64, int64Data: [1] },
    { name: 'cnnpipe_probe/end', dims: [1], dataType: ElemType.int64, int64Data: [Number.MAX_SAFE_INTEGER] },
    { name: 'cnnpipe_probe/zero_scalar', dims: [], dataType: ElemType.int64, int64Data: [0] },
    { name: 'cnnpipe_probe/one_scalar', dims: [], dataType: ElemType.int64, int64Data: [1] },
  ];
  // The operator run on [1, ...one image's shape] holding each cell's flat index: the cell
  // each output copies (reflect/edge Pad, strided Slice are index maps).
  indexed.forEach((i) => {
    const node = forward[i]!;
    const p = (s: string) => `cnnpipe_probe/index_${i}_${s}`;
    const op = (opType: string, input: string[], name: string, attribute: onnx.IAttributeProto[] = []) => nodes.push({ opType, name: p(name), input, output: [p(name)], attribute });
    op('Shape', [node.input![0]!], 'shape');
    op('Slice', [p('shape'), 'cnnpipe_probe/one', 'cnnpipe_probe/end'], 'per_image');
    op('Concat', ['cnnpipe_probe/one', p('per_image')], 'dims', [attr.int('axis', 0)]);
    op('ReduceProd', [p('per_image')], 'count', [attr.int('keepdims', 0)]);
    op('Range', ['cnnpipe_probe/zero_scalar', p('count'), 'cnnpipe_probe/one_scalar'], 'range');
    op('Cast', [p('range')], 'float', [attr.int('to', ElemType.float32)]);
    op('Reshape', [p('float'), p('dims')], 'cells');
    nodes.push({ ...node, name: p('op'), input: [p('cells'), ...node.input!.slice(1)], output: [probeName.index(i)] });
    outputs.push(valueInfo(probeName.index(i), ElemType.float32, []));
  });
  const bytes = encodeModel(
    { name: graph.name, node: [...forward, ...nodes], input: [imageInput], output: outputs, initializer: [...graph.initializer, ...extraInitializers, ...probeConstants] },
    Math.max(MIN_OPSET, opset),
  );
  const { session } = await createSession(bytes, { optimization: 'basic' });
  let result: ort.InferenceSession.OnnxValueMapType | undefined;
  let batch = PROBE_BATCH;
  let firstError: unknown;
  try {
    for (batch of [PROBE_BATCH, 1]) {
      const blank = new ort.Tensor('float32', new Float32Array(batch * channels * size * size), [batch, channels, size, size]);
      try {
        const run = await session.run({ [imageInput.name!]: blank });
        // A graph that fixes its batch (Reshape to [1, -1]) may still run at 2, folding the
        // batch into features: the taps (seeded per image) must carry the probe's batch.
        const folded = batched.find((t) => Number((run[probeName.shape(shapes.indexOf(t))]!.data as BigInt64Array)[0]) !== batch);
        if (folded === undefined) {
          result = run;
          break;
        }
        firstError ??= new Error(`tensor ${folded} does not keep the batch axis`);
      } catch (error) {
        firstError ??= error;
      }
    }
  } finally {
    await session.release();
  }
  if (!result) throw new CliError(`${model.path}: the model does not run on a [N, ${channels}, ${size}, ${size}] input (${errorMessage(firstError).split('\n')[0]})`);
  const shapeIndex = new Map(shapes.map((t, i) => [t, i]));
  const valueIndex = new Map(values.map((t, i) => [t, i]));
  const probed = result;
  const shapeOf = (t: string) => {
    const i = shapeIndex.get(t);
    if (i === undefined) throw new Error(`autodiff: no probed shape for ${t}`);
    return Array.from(probed[probeName.shape(i)]!.data as BigInt64Array, Number);
  };
  return {
    batch,
    shape: shapeOf,
    value(t) {
      const i = valueIndex.get(t);
      if (i === undefined) throw new Error(`autodiff: no probed value for ${t}`);
      return Array.from(probed[probeName.value(i)]!.data as Float32Array);
    },
    indexMap(i) {
      return Array.from(probed[probeName.index(i)]!.data as Float32Array, Math.round);
    },
    poolWeights(i) {
      const node = forward[i]!;
      const pooled = probed[probeName.pool(i)]!;
      const outSpatial = pooled.dims.slice(2).map(Number);
      const inShape = shapeOf(node.input![0]!);
      const kernel = new NodeAttributes(node).ints('kernel_shape')!;
      const counts = windowCounts(windowOf(new NodeAttributes(node), inShape.slice(2), kernel), inShape.slice(2), outSpatial);
      const plane = pooled.data as Float32Array;
      return counts.map((c, k) => (c > 0 ? plane[k]! / c : 0));
    },
  };
}

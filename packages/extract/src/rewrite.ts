import { ElemType, encodeModel, intAttribute, onnx, valueInfo } from '@cnnpipe/core';
import type { LoadedModel } from './onnx-model.js';

/** A tensor to hand back, and what to do with it in the graph before it crosses into JS. */
export interface Tap {
  /** The column name (the user's layer name). */
  name: string;
  tensor: string;
  /** Rank of the tensor: 4 gets pooled (and argmax), 2 is passed as it is. */
  rank: number;
}

export type Pool = 'mean' | 'max';

export const outputNames = {
  pooled: (i: number) => `cnnpipe_tap_${i}`,
  argmax: (i: number) => `cnnpipe_tap_${i}_argmax`,
  shape: (i: number) => `cnnpipe_tap_${i}_shape`,
};

const FLAT_SPATIAL = 'cnnpipe_flat_spatial';

/**
 * A graph built from a user model serialised with what the model needs besides it: its
 * default opset (at least 13), other opset domains and model-local functions, IR version.
 */
export function encodeLike(model: LoadedModel, graph: onnx.IGraphProto): Uint8Array {
  const proto = model.proto;
  return encodeModel(graph, Math.max(13, ...proto.opsetImport.filter((o) => !o.domain).map((o) => Number(o.version))), {
    opsetImport: proto.opsetImport,
    functions: proto.functions,
    irVersion: Number(proto.irVersion ?? 7),
  });
}

function withGraph(model: LoadedModel, nodes: onnx.INodeProto[], outputs: onnx.IValueInfoProto[], initializers: onnx.ITensorProto[] = []): Uint8Array {
  const graph = model.proto.graph as onnx.GraphProto;
  return encodeLike(model, {
    name: graph.name,
    node: [...graph.node, ...nodes],
    input: graph.input,
    output: outputs,
    initializer: [...graph.initializer, ...initializers],
    valueInfo: graph.valueInfo,
  });
}

/**
 * The model with `tensors` as its outputs (no declared types) and the image input fixed at
 * [batch, C, size, size]: onnxruntime's shape inference, read from a session's output
 * metadata, then gives every shape without running the model.
 */
export function inferredShapeGraph(model: LoadedModel, tensors: string[], batch: number, size: number): Uint8Array {
  const graph = model.proto.graph as onnx.GraphProto;
  const image = model.inputs[0]!;
  const channels = image.type?.tensorType?.shape?.dim?.[1];
  const fixed = valueInfo(image.name ?? '', Number(image.type?.tensorType?.elemType ?? ElemType.float32), [batch, Number(channels?.dimValue ?? 3), size, size]);
  return encodeLike(model, {
    name: graph.name,
    node: graph.node,
    input: graph.input.map((i) => (i === image ? fixed : i)),
    output: [...new Set(tensors)].map((name) => ({ name })),
    initializer: graph.initializer,
    valueInfo: graph.valueInfo,
  });
}

/** The model with one Shape output per tensor: run once on a dummy image to learn shapes. */
export function shapeProbeGraph(model: LoadedModel, tensors: string[]): Uint8Array {
  const nodes = tensors.map((t, i) => ({ opType: 'Shape', input: [t], output: [outputNames.shape(i)], name: `cnnpipe/shape_${i}` }));
  return withGraph(model, nodes, tensors.map((_, i) => valueInfo(outputNames.shape(i), ElemType.int64, ['rank'])));
}

/**
 * The model rewritten so onnxruntime returns, per tap, the per-channel pooled activation
 * (GlobalAveragePool/GlobalMaxPool, then Flatten) and, when asked, the flat index h*W+w
 * of each channel's maximum (Reshape to [N,C,H*W], ArgMax, Cast to int32): full feature
 * maps never leave native code. With `logits`, the model's own first output is kept too.
 */
export function extractionGraph(model: LoadedModel, taps: Tap[], options: { pool: Pool; argmax: boolean; logits: boolean }): Uint8Array {
  const nodes: onnx.INodeProto[] = [];
  const outputs: onnx.IValueInfoProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  if (options.argmax) {
    initializers.push({ name: FLAT_SPATIAL, dims: [3], dataType: ElemType.int64, int64Data: [0, 0, -1] });
  }
  taps.forEach((tap, i) => {
    const pooled = outputNames.pooled(i);
    if (tap.rank === 4) {
      const global = `cnnpipe/tap_${i}_global`;
      nodes.push({ opType: options.pool === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', input: [tap.tensor], output: [global], name: global });
      nodes.push({ opType: 'Flatten', input: [global], output: [pooled], name: `cnnpipe/tap_${i}_flatten`, attribute: [intAttribute('axis', 1)] });
      if (options.argmax) {
        const flat = `cnnpipe/tap_${i}_flat`;
        const index = `cnnpipe/tap_${i}_argmax64`;
        nodes.push({ opType: 'Reshape', input: [tap.tensor, FLAT_SPATIAL], output: [flat], name: flat });
        nodes.push({ opType: 'ArgMax', input: [flat], output: [index], name: index, attribute: [intAttribute('axis', 2), intAttribute('keepdims', 0)] });
        nodes.push({ opType: 'Cast', input: [index], output: [outputNames.argmax(i)], name: `cnnpipe/tap_${i}_cast`, attribute: [intAttribute('to', ElemType.int32)] });
        outputs.push(valueInfo(outputNames.argmax(i), ElemType.int32, ['N', 'C']));
      }
    } else {
      nodes.push({ opType: 'Flatten', input: [tap.tensor], output: [pooled], name: `cnnpipe/tap_${i}_flatten`, attribute: [intAttribute('axis', 1)] });
    }
    outputs.push(valueInfo(pooled, ElemType.float32, ['N', 'C']));
  });
  if (options.logits) outputs.push((model.proto.graph as onnx.GraphProto).output[0]!);
  return withGraph(model, nodes, outputs, initializers);
}

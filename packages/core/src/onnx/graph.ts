import { createRequire } from 'node:module';
import type { onnx as OnnxTypes } from 'onnx-proto';

/**
 * The ONNX protobuf classes, loaded on first use: onnx-proto (protobufjs) costs ~35 ms of
 * start-up that tools without an ONNX graph (topk, cof, csv, ...) should not pay. It is
 * CommonJS, so a synchronous require does it.
 */
let protoClasses: typeof OnnxTypes | undefined;
function onnxClasses(): typeof OnnxTypes {
  protoClasses ??= (createRequire(import.meta.url)('onnx-proto') as { onnx: typeof OnnxTypes }).onnx;
  return protoClasses;
}

/** ONNX protobuf message types. */
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace onnx {
  export type IValueInfoProto = OnnxTypes.IValueInfoProto;
  export type IAttributeProto = OnnxTypes.IAttributeProto;
  export type IGraphProto = OnnxTypes.IGraphProto;
  export type INodeProto = OnnxTypes.INodeProto;
  export type ITensorProto = OnnxTypes.ITensorProto;
  export type ModelProto = OnnxTypes.ModelProto;
  export type GraphProto = OnnxTypes.GraphProto;
  export type NodeProto = OnnxTypes.NodeProto;
  export type TensorProto = OnnxTypes.TensorProto;
  export type IOperatorSetIdProto = OnnxTypes.IOperatorSetIdProto;
  export type IFunctionProto = OnnxTypes.IFunctionProto;
}

/** ONNX AttributeProto.AttributeType values (onnx.proto), without loading protobuf. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** ONNX element types we build graphs over. */
export const ElemType = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, float64: 11 } as const;

/** A graph input/output with symbolic or fixed dimensions. */
export function valueInfo(name: string, elemType: number, dims: (string | number)[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export function intAttribute(name: string, value: number): onnx.IAttributeProto {
  return { name, type: AttributeType.INT, i: value };
}

/** What a rewritten user model keeps besides its graph: other domains' opsets, model-local functions, its IR version. */
export interface ModelExtras {
  opsetImport?: onnx.IOperatorSetIdProto[];
  functions?: onnx.IFunctionProto[];
  irVersion?: number;
}

/**
 * Serialises a one-graph model at opset 13 (ONNX IR 7), the level onnxruntime reads
 * everywhere; `extras` carry a user model's other opset domains and local functions (the new
 * PyTorch exporter can write both).
 */
export function encodeModel(graph: onnx.IGraphProto, opset = 13, extras: ModelExtras = {}): Uint8Array {
  const others = (extras.opsetImport ?? []).filter((o) => o.domain);
  const model = onnxClasses().ModelProto.create({
    irVersion: Math.max(7, extras.irVersion ?? 7),
    producerName: 'cnnpipe',
    opsetImport: [{ domain: '', version: opset }, ...others],
    graph,
    ...(extras.functions && extras.functions.length > 0 ? { functions: extras.functions } : {}),
  });
  return onnxClasses().ModelProto.encode(model).finish();
}

/** Parses ONNX model bytes. */
export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  return onnxClasses().ModelProto.decode(bytes);
}

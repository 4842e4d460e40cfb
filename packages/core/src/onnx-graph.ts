import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

/** The ONNX protobuf classes (onnx-proto is CommonJS; this is its namespace). */
export const onnx = onnxProto.onnx;
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
}

/** ONNX element types we build graphs over. */
export const ElemType = { float32: 1, int32: 6, int64: 7, float64: 11 } as const;

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
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

/** Serialises a one-graph model at opset 13 (ONNX IR 7), the level onnxruntime reads everywhere. */
export function encodeModel(graph: onnx.IGraphProto, opset = 13): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'cnnpipe',
    opsetImport: [{ domain: '', version: opset }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Parses ONNX model bytes. */
export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

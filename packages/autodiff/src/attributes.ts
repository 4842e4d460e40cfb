import { AttributeType, type onnx } from '@cnnpipe/core';

/** Attribute constructors for the nodes the backward pass emits. */
export const attr = {
  int: (name: string, i: number): onnx.IAttributeProto => ({ name, type: AttributeType.INT, i }),
  ints: (name: string, ints: number[]): onnx.IAttributeProto => ({ name, type: AttributeType.INTS, ints }),
  float: (name: string, f: number): onnx.IAttributeProto => ({ name, type: AttributeType.FLOAT, f }),
  string: (name: string, s: string): onnx.IAttributeProto => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(s) }),
  tensor: (name: string, t: onnx.ITensorProto): onnx.IAttributeProto => ({ name, type: AttributeType.TENSOR, t }),
};

import { AttributeType, ElemType, type onnx } from '@cnnpipe/core';

/** Attribute constructors for the nodes the backward pass emits. */
export const attr = {
  int: (name: string, i: number): onnx.IAttributeProto => ({ name, type: AttributeType.INT, i }),
  ints: (name: string, ints: number[]): onnx.IAttributeProto => ({ name, type: AttributeType.INTS, ints }),
  float: (name: string, f: number): onnx.IAttributeProto => ({ name, type: AttributeType.FLOAT, f }),
  string: (name: string, s: string): onnx.IAttributeProto => ({ name, type: AttributeType.STRING, s: new TextEncoder().encode(s) }),
  tensor: (name: string, t: onnx.ITensorProto): onnx.IAttributeProto => ({ name, type: AttributeType.TENSOR, t }),
};

/**
 * Emits nodes and constants under one name prefix, each with a fresh output name, so the
 * backward pass reads as a sequence of `b.op('Mul', [g, y])` calls.
 */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private count = 0;
  private readonly shapes = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  fresh(hint: string): string {
    return `${this.prefix}/${hint}_${this.count++}`;
  }

  /** One node; returns its outputs' names (`outputs` of them). */
  ops(opType: string, inputs: string[], attributes: onnx.IAttributeProto[] = [], outputs = 1): string[] {
    const name = this.fresh(opType);
    const names = Array.from({ length: outputs }, (_, i) => (outputs === 1 ? name : `${name}:${i}`));
    this.nodes.push({ opType, name, input: inputs, output: names, attribute: attributes });
    return names;
  }

  op(opType: string, inputs: string[], attributes: onnx.IAttributeProto[] = []): string {
    return this.ops(opType, inputs, attributes)[0]!;
  }

  int64(values: number[], dims: number[] = [values.length]): string {
    const name = this.fresh('i64');
    this.initializers.push({ name, dims, dataType: ElemType.int64, int64Data: values });
    return name;
  }

  float32(values: number[] | Float32Array, dims: number[] = [values.length]): string {
    const name = this.fresh('f32');
    this.initializers.push({ name, dims, dataType: ElemType.float32, rawData: new Uint8Array(Float32Array.from(values).buffer) });
    return name;
  }

  scalar(value: number): string {
    return this.float32([value], []);
  }

  /** Shape(t), emitted once per tensor. */
  shape(t: string): string {
    let s = this.shapes.get(t);
    if (!s) {
      s = this.op('Shape', [t]);
      this.shapes.set(t, s);
    }
    return s;
  }

  /** Zeros shaped like t (float32). */
  zerosLike(t: string): string {
    return this.op('ConstantOfShape', [this.shape(t)], [attr.tensor('value', { dims: [1], dataType: ElemType.float32, floatData: [0] })]);
  }

  /** The sum of several tensors of one shape (Sum node, or the tensor itself). */
  sum(terms: string[]): string {
    return terms.length === 1 ? terms[0]! : this.op('Sum', terms);
  }
}

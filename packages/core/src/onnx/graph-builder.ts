import { AttributeType, ElemType, type onnx } from './graph.js';

/**
 * Emits nodes and constants under one name prefix, each with a fresh output name, so a graph
 * built in code reads as a sequence of `b.op('Mul', [g, y])` calls (autodiff's backward pass,
 * linalg's sliced int8 Gram).
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

  /** One node whose output has a given name (a graph output). */
  opNamed(output: string, opType: string, inputs: string[], attributes: onnx.IAttributeProto[] = []): string {
    this.nodes.push({ opType, name: this.fresh(opType), input: inputs, output: [output], attribute: attributes });
    return output;
  }

  int64(values: number[], dims: number[] = [values.length]): string {
    const name = this.fresh('i64');
    this.initializers.push({ name, dims, dataType: ElemType.int64, int64Data: values });
    return name;
  }

  /** int8 or uint8 constants (ONNX keeps them in int32_data). */
  int8(values: number[], dims: number[] = [values.length], type: 'int8' | 'uint8' = 'int8'): string {
    const name = this.fresh(type === 'int8' ? 'i8' : 'u8');
    this.initializers.push({ name, dims, dataType: ElemType[type], int32Data: values });
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
    const value: onnx.ITensorProto = { dims: [1], dataType: ElemType.float32, floatData: [0] };
    return this.op('ConstantOfShape', [this.shape(t)], [{ name: 'value', type: AttributeType.TENSOR, t: value }]);
  }

  /** The sum of several tensors of one shape (Sum node, or the tensor itself). */
  sum(terms: string[]): string {
    return terms.length === 1 ? terms[0]! : this.op('Sum', terms);
  }
}

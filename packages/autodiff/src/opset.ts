import { CliError, ElemType, type onnx } from '@cnnpipe/core';
import { NodeAttributes } from './node-attributes.js';

/**
 * MaxPool's adjoint needs ScatterElements with reduction='add' (opset 16). Rather than a
 * second session for the backward pass, the whole graph is raised to opset 16: from 13 on,
 * no operator a CNN export uses changed meaning up to 16 (the 14-16 revisions add types
 * and optional attributes whose defaults keep the old behaviour). Below 13, the operators
 * whose attributes became inputs are rewritten here; below 9 the model is refused.
 */
export const MIN_OPSET = 16;

export function modelOpset(proto: onnx.ModelProto): number {
  const own = proto.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  return own ? Number(own.version) : 1;
}

/** The graph's nodes rewritten for opset max(16, opset), plus the constants the rewrite adds. */
export function raiseOpset(nodes: onnx.INodeProto[], opset: number, path: string): { nodes: onnx.INodeProto[]; initializers: onnx.ITensorProto[] } {
  if (opset >= 13) return { nodes, initializers: [] };
  if (opset < 9) throw new CliError(`${path}: ONNX opset ${opset} is too old to differentiate (re-export the model at opset 13 or later)`);
  const initializers: onnx.ITensorProto[] = [];
  let count = 0;
  const constant = (values: number[], dataType: number): string => {
    const name = `cnnpipe_opset/c_${count++}`;
    initializers.push(
      dataType === ElemType.int64 ? { name, dims: [values.length], dataType, int64Data: values } : { name, dims: [], dataType, floatData: values },
    );
    return name;
  };
  const without = (node: onnx.INodeProto, names: string[]) => (node.attribute ?? []).filter((a) => !names.includes(a.name ?? ''));
  const out = nodes.map((node): onnx.INodeProto => {
    const a = new NodeAttributes(node);
    const inputs = [...(node.input ?? [])];
    switch (node.opType) {
      case 'Split': {
        const split = a.ints('split');
        return { ...node, input: split ? [inputs[0]!, constant(split, ElemType.int64)] : inputs, attribute: without(node, ['split']) };
      }
      case 'Squeeze':
      case 'Unsqueeze':
      case 'ReduceSum': {
        const axes = a.ints('axes');
        return { ...node, input: axes ? [inputs[0]!, constant(axes, ElemType.int64)] : inputs, attribute: without(node, ['axes']) };
      }
      case 'Clip':
        if (opset >= 11) return node;
        return {
          ...node,
          input: [inputs[0]!, constant([a.float('min', -3.4028234663852886e38)], ElemType.float32), constant([a.float('max', 3.4028234663852886e38)], ElemType.float32)],
          attribute: [],
        };
      case 'Pad':
        if (opset >= 11) return node;
        return {
          ...node,
          input: [inputs[0]!, constant(a.ints('pads') ?? [], ElemType.int64), constant([a.float('value', 0)], ElemType.float32)],
          attribute: without(node, ['pads', 'value']),
        };
      case 'Dropout':
        return { ...node, attribute: without(node, ['ratio', 'is_test']) };
      case 'Upsample':
      case 'Scatter':
        throw new CliError(`${path}: ${node.opType} (opset ${opset}) cannot be raised to opset ${MIN_OPSET}; re-export the model at opset 13 or later`);
      default:
        return node;
    }
  });
  return { nodes: out, initializers };
}

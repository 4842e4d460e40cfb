import type { ReceptiveField } from '@cnnpipe/core';
import type { onnx } from '@cnnpipe/core';

/**
 * Receptive fields of tensors in input pixels, propagated node by node from the image
 * input (size 1, stride 1, offset 0). Output cell i of a tensor is centred on input pixel
 * `offset + i * stride` and sees `size` pixels. Windowed ops (Conv, pools) grow it;
 * Add/Concat/Mul take the widest of their inputs; element-wise ops pass it on.
 */

type IntsAttr = Record<string, number[]>;

function attributes(node: onnx.NodeProto): IntsAttr {
  const out: IntsAttr = {};
  for (const a of node.attribute) {
    if (!a.name) continue;
    if (a.ints && a.ints.length > 0) out[a.name] = a.ints.map(Number);
    else if (a.i !== undefined && a.i !== null) out[a.name] = [Number(a.i)];
  }
  return out;
}

function stringAttr(node: onnx.NodeProto, name: string): string | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a?.s && a.s.length > 0 ? Buffer.from(a.s).toString('utf8') : undefined;
}

const WINDOWED = new Set(['Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'LpPool']);
const GLOBAL = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool', 'Flatten', 'Gemm', 'MatMul']);

/** One windowed step: kernel k (dilated), stride s, begin padding p along one axis. */
export function composeWindow(input: ReceptiveField, kernel: number, stride: number, pad: number, dilation = 1): ReceptiveField {
  const span = dilation * (kernel - 1) + 1;
  return {
    size: input.size + (span - 1) * input.stride,
    stride: input.stride * stride,
    offset: input.offset + ((span - 1) / 2 - pad) * input.stride,
  };
}

function widest(fields: (ReceptiveField | undefined)[]): ReceptiveField | undefined {
  let best: ReceptiveField | undefined;
  for (const f of fields) if (f && (!best || f.size > best.size)) best = f;
  return best;
}

/**
 * Receptive fields of every tensor reachable from `input` with a spatial meaning; tensors
 * after a global pool or a flatten get the whole image (`imageSize`).
 */
export function receptiveFields(nodes: onnx.NodeProto[], input: string, imageSize: number): Map<string, ReceptiveField> {
  const fields = new Map<string, ReceptiveField>([[input, { size: 1, stride: 1, offset: 0 }]]);
  for (const node of nodes) {
    const inputs = node.input.map((t) => fields.get(t));
    const first = inputs[0];
    if (!first && !inputs.some(Boolean)) continue;
    let out: ReceptiveField | undefined;
    if (WINDOWED.has(node.opType) && first) {
      const a = attributes(node);
      const kernel = a.kernel_shape?.[0] ?? 1;
      const stride = a.strides?.[0] ?? 1;
      const dilation = a.dilations?.[0] ?? 1;
      let pad = a.pads?.[0] ?? 0;
      const autoPad = stringAttr(node, 'auto_pad');
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') pad = Math.floor((dilation * (kernel - 1)) / 2);
      out = composeWindow(first, kernel, stride, pad, dilation);
    } else if (GLOBAL.has(node.opType)) {
      out = { size: imageSize, stride: imageSize, offset: (imageSize - 1) / 2 };
    } else if (node.opType === 'Pad' && first) {
      // Explicit padding shifts coordinates: cell 0 now sits `pad` cells before the input's.
      out = first;
    } else {
      out = widest(inputs);
    }
    if (out) for (const t of node.output) fields.set(t, out);
  }
  return fields;
}

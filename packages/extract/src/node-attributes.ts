import type { onnx } from '@cnnpipe/core';

export type IntsAttr = Record<string, number[]>;

/** Integer attributes of an ONNX node by name (a single int as a one-element list). */
export function attributes(node: onnx.NodeProto): IntsAttr {
  const out: IntsAttr = {};
  for (const a of node.attribute) {
    if (!a.name) continue;
    if (a.ints && a.ints.length > 0) out[a.name] = a.ints.map(Number);
    else if (a.i !== undefined && a.i !== null) out[a.name] = [Number(a.i)];
  }
  return out;
}

/** A string attribute of an ONNX node. */
export function stringAttr(node: onnx.NodeProto, name: string): string | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a?.s && a.s.length > 0 ? Buffer.from(a.s).toString('utf8') : undefined;
}

import type { onnx } from '@cnnpipe/core';

/** Reads a node's attributes by name (protobufjs may hand int64 values as Long objects). */
export class NodeAttributes {
  constructor(private readonly node: onnx.INodeProto) {}

  private find(name: string): onnx.IAttributeProto | undefined {
    return (this.node.attribute ?? []).find((a) => a.name === name);
  }

  has(name: string): boolean {
    return this.find(name) !== undefined;
  }

  int(name: string, fallback: number): number {
    const a = this.find(name);
    return a?.i === undefined || a.i === null ? fallback : Number(a.i);
  }

  ints(name: string): number[] | undefined {
    const a = this.find(name);
    return a?.ints && a.ints.length > 0 ? a.ints.map(Number) : undefined;
  }

  float(name: string, fallback: number): number {
    const a = this.find(name);
    return a?.f === undefined || a.f === null ? fallback : Number(a.f);
  }

  floats(name: string): number[] | undefined {
    const a = this.find(name);
    return a?.floats && a.floats.length > 0 ? a.floats.map(Number) : undefined;
  }

  string(name: string, fallback: string): string {
    const a = this.find(name);
    return a?.s && a.s.length > 0 ? new TextDecoder().decode(a.s) : fallback;
  }
}

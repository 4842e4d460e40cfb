import type { onnx } from '@cnnpipe/core';
import { attributes } from './node-attributes.js';

// Small constant folder: the values of the int/float tensors that feed Pad's pads, Resize's
// scales and Slice's starts. PyTorch 1.13 does not fold F.pad's pads (it emits Constant ->
// ConstantOfShape -> Concat -> Reshape -> Slice -> Transpose -> Reshape -> Cast -> Pad even with
// constant folding on), so these ops are evaluated here; other exporters use initializers.

export interface Const {
  dims: number[];
  data: number[];
}

const MAX_CONST = 4096;

function product(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function tensorValue(t: onnx.ITensorProto): Const | undefined {
  const dims = (t.dims ?? []).map(Number);
  const n = product(dims);
  if (n > MAX_CONST) return undefined;
  let data: number[] | undefined;
  if (t.int64Data && t.int64Data.length > 0) data = t.int64Data.map(Number);
  else if (t.int32Data && t.int32Data.length > 0) data = t.int32Data.map(Number);
  else if (t.floatData && t.floatData.length > 0) data = t.floatData.map(Number);
  else if (t.doubleData && t.doubleData.length > 0) data = t.doubleData.map(Number);
  else if (t.uint64Data && t.uint64Data.length > 0) data = t.uint64Data.map(Number);
  else if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const readers: Record<number, [number, (o: number) => number]> = {
      1: [4, (o) => view.getFloat32(o, true)],
      2: [1, (o) => view.getUint8(o)],
      3: [1, (o) => view.getInt8(o)],
      5: [2, (o) => view.getInt16(o, true)],
      6: [4, (o) => view.getInt32(o, true)],
      7: [8, (o) => Number(view.getBigInt64(o, true))],
      11: [8, (o) => view.getFloat64(o, true)],
      12: [4, (o) => view.getUint32(o, true)],
      13: [8, (o) => Number(view.getBigUint64(o, true))],
    };
    const reader = readers[t.dataType ?? 0];
    if (!reader || raw.byteLength !== reader[0] * n) return undefined;
    data = Array.from({ length: n }, (_, i) => reader[1](i * reader[0]));
  } else if (n === 0) data = [];
  if (!data || data.length !== n) return undefined;
  return { dims, data };
}

/** Row-major strides of `dims`. */
function stridesOf(dims: number[]): number[] {
  const out = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) out[i] = out[i + 1]! * dims[i + 1]!;
  return out;
}

/** Multi-index of flat position `flat` in `dims`. */
function unravel(flat: number, dims: number[]): number[] {
  const idx = new Array<number>(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    idx[i] = flat % dims[i]!;
    flat = Math.floor(flat / dims[i]!);
  }
  return idx;
}

function axisOf(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}

export class ConstantFolder {
  private readonly producers = new Map<string, onnx.NodeProto>();
  private readonly memo = new Map<string, Const | undefined>();

  constructor(nodes: onnx.NodeProto[], private readonly initializers: Map<string, onnx.ITensorProto>) {
    for (const node of nodes) for (const t of node.output) if (t) this.producers.set(t, node);
  }

  /** The value of tensor `name` if it is a small compile-time constant, else undefined. */
  value(name: string | undefined, depth = 0): Const | undefined {
    if (!name) return undefined;
    if (this.memo.has(name)) return this.memo.get(name);
    let v: Const | undefined;
    const init = this.initializers.get(name);
    if (init) v = tensorValue(init);
    else {
      const node = this.producers.get(name);
      if (node && depth < 32 && node.output[0] === name) {
        try {
          v = this.evaluate(node, depth);
        } catch {
          v = undefined;
        }
      }
    }
    if (v && v.data.length > MAX_CONST) v = undefined;
    this.memo.set(name, v);
    return v;
  }

  private evaluate(node: onnx.NodeProto, depth: number): Const | undefined {
    const arg = (i: number) => this.value(node.input[i], depth + 1);
    const a = attributes(node);
    switch (node.opType) {
      case 'Constant': {
        for (const at of node.attribute) {
          if (at.name === 'value' && at.t) return tensorValue(at.t);
          if (at.name === 'value_ints') return { dims: [at.ints?.length ?? 0], data: (at.ints ?? []).map(Number) };
          if (at.name === 'value_int') return { dims: [], data: [Number(at.i)] };
          if (at.name === 'value_floats') return { dims: [at.floats?.length ?? 0], data: (at.floats ?? []).map(Number) };
          if (at.name === 'value_float') return { dims: [], data: [Number(at.f)] };
        }
        return undefined;
      }
      case 'Identity':
      case 'Cast': {
        const x = arg(0);
        if (!x) return undefined;
        const to = a.to?.[0];
        // Casting to an integer type truncates; float and integer casts keep small values exact.
        const integer = to !== undefined && [2, 3, 4, 5, 6, 7, 12, 13].includes(to);
        return integer ? { dims: x.dims, data: x.data.map(Math.trunc) } : x;
      }
      case 'ConstantOfShape': {
        const shape = arg(0);
        if (!shape) return undefined;
        const valueAttr = node.attribute.find((x) => x.name === 'value')?.t;
        const fill = valueAttr ? tensorValue(valueAttr)?.data[0] : 0;
        if (fill === undefined || product(shape.data) > MAX_CONST) return undefined;
        return { dims: shape.data, data: new Array<number>(product(shape.data)).fill(fill) };
      }
      case 'Concat': {
        const parts = node.input.map((_, i) => arg(i));
        if (parts.some((p) => !p) || parts.length === 0) return undefined;
        const ps = parts as Const[];
        const rank = ps[0]!.dims.length;
        const axis = axisOf(a.axis?.[0] ?? 0, rank);
        if (axis === undefined) return undefined;
        // Row-major: the blocks before `axis` interleave the parts' slabs.
        const outer = product(ps[0]!.dims.slice(0, axis));
        const data: number[] = [];
        for (let o = 0; o < outer; o++) {
          for (const p of ps) {
            const slab = product(p.dims.slice(axis));
            data.push(...p.data.slice(o * slab, (o + 1) * slab));
          }
        }
        const dims = [...ps[0]!.dims];
        dims[axis] = ps.reduce((s, p) => s + p.dims[axis]!, 0);
        return { dims, data };
      }
      case 'Reshape': {
        const x = arg(0);
        const shape = arg(1);
        if (!x || !shape) return undefined;
        const dims = shape.data.map((d, i) => (d === 0 ? x.dims[i]! : d));
        const known = dims.filter((d) => d !== -1);
        const free = dims.indexOf(-1);
        if (free >= 0) dims[free] = x.data.length / product(known);
        if (product(dims) !== x.data.length) return undefined;
        return { dims, data: x.data };
      }
      case 'Unsqueeze':
      case 'Squeeze': {
        const x = arg(0);
        if (!x) return undefined;
        const axes = a.axes ?? arg(1)?.data;
        if (node.opType === 'Squeeze') {
          const drop = new Set((axes ?? x.dims.map((d, i) => (d === 1 ? i : -1))).map((ax) => axisOf(ax, x.dims.length)));
          return { dims: x.dims.filter((_, i) => !drop.has(i)), data: x.data };
        }
        if (!axes) return undefined;
        const rank = x.dims.length + axes.length;
        const ins = new Set(axes.map((ax) => axisOf(ax, rank)));
        const dims: number[] = [];
        let k = 0;
        for (let i = 0; i < rank; i++) dims.push(ins.has(i) ? 1 : x.dims[k++]!);
        return { dims, data: x.data };
      }
      case 'Transpose': {
        const x = arg(0);
        if (!x) return undefined;
        const rank = x.dims.length;
        const perm = a.perm ?? x.dims.map((_, i) => rank - 1 - i);
        const dims = perm.map((p) => x.dims[p]!);
        const inStrides = stridesOf(x.dims);
        const data = x.data.map((_, flat) => {
          const idx = unravel(flat, dims);
          return x.data[idx.reduce((s, v, i) => s + v * inStrides[perm[i]!]!, 0)]!;
        });
        return { dims, data };
      }
      case 'Slice': {
        const x = arg(0);
        if (!x) return undefined;
        const rank = x.dims.length;
        // Opset >= 10: starts, ends, axes, steps as inputs; before: attributes.
        const starts = a.starts ?? arg(1)?.data;
        const ends = a.ends ?? arg(2)?.data;
        if (!starts || !ends) return undefined;
        const axes = a.axes ?? (node.input[3] ? arg(3)?.data : undefined) ?? starts.map((_, i) => i);
        const steps = (node.input[4] ? arg(4)?.data : undefined) ?? starts.map(() => 1);
        const ranges = x.dims.map((d) => ({ start: 0, step: 1, count: d }));
        for (let j = 0; j < starts.length; j++) {
          const axis = axisOf(axes[j]!, rank);
          const step = steps[j]!;
          if (axis === undefined || step === 0) return undefined;
          const d = x.dims[axis]!;
          const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
          let s = starts[j]! < 0 ? starts[j]! + d : starts[j]!;
          let e = ends[j]! < 0 ? ends[j]! + d : ends[j]!;
          if (step > 0) {
            s = clamp(s, 0, d);
            e = clamp(e, 0, d);
          } else {
            s = clamp(s, -1, d - 1);
            e = clamp(e, -1, d - 1);
          }
          ranges[axis] = { start: s, step, count: Math.max(0, Math.ceil((e - s) / step)) };
        }
        const dims = ranges.map((r) => r.count);
        const inStrides = stridesOf(x.dims);
        const data = Array.from({ length: product(dims) }, (_, flat) => {
          const idx = unravel(flat, dims);
          return x.data[idx.reduce((sum, v, i) => sum + (ranges[i]!.start + v * ranges[i]!.step) * inStrides[i]!, 0)]!;
        });
        return { dims, data };
      }
      default:
        return undefined;
    }
  }
}

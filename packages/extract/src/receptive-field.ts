import type { ReceptiveField } from '@cnnpipe/core';
import type { onnx } from '@cnnpipe/core';

/**
 * Receptive fields of tensors in input pixels, propagated node by node from the image
 * input (size 1, stride 1, offset 0). Output cell i of a tensor is centred on input pixel
 * `offset + i * stride` and sees `size` pixels. Windowed ops (Conv, pools) grow it;
 * explicit Pad and spatial Slice shift it; ConvTranspose and Resize/Upsample divide its
 * stride; Add/Concat/Mul take the widest of their inputs; element-wise ops pass it on.
 *
 * Fields are tracked per axis (H and W) so that 1x7 / 7x1 kernels, asymmetric pads and
 * strides stay exact; `cnnpipe.layers` has one square field per layer, so the reported
 * field is the H one when both agree or the wider axis when they do not (see `squareField`).
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

const WINDOWED = new Set(['Conv', 'MaxPool', 'AveragePool', 'LpPool']);
const GLOBAL = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'GlobalLpPool', 'Flatten', 'Gemm', 'MatMul']);
const REDUCE = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceSumSquare']);

/** One windowed step: kernel k (dilated), stride s, begin padding p along one axis. */
export function composeWindow(input: ReceptiveField, kernel: number, stride: number, pad: number, dilation = 1): ReceptiveField {
  const span = dilation * (kernel - 1) + 1;
  return {
    size: input.size + (span - 1) * input.stride,
    stride: input.stride * stride,
    offset: input.offset + ((span - 1) / 2 - pad) * input.stride,
  };
}

/** Explicit padding along one axis: `pad` cells added before cell 0 (negative crops), so cell 0 moves back by `pad` cells. */
export function composePad(input: ReceptiveField, pad: number): ReceptiveField {
  return { size: input.size, stride: input.stride, offset: input.offset - pad * input.stride };
}

/**
 * A transposed convolution (kernel k dilated by d, stride s, begin pad p): output cell o takes
 * input cells i with i*s + j*d - p = o, i.e. i in [(o + p - (k-1)d)/s, (o + p)/s]. Its centre
 * maps to input cell (o + p - (k-1)d/2)/s, and at most floor((k-1)d/s) + 1 input cells meet.
 */
export function composeTransposed(input: ReceptiveField, kernel: number, stride: number, pad: number, dilation = 1): ReceptiveField {
  const reach = dilation * (kernel - 1);
  return {
    size: input.size + Math.floor(reach / stride) * input.stride,
    stride: input.stride / stride,
    offset: input.offset + ((pad - reach / 2) / stride) * input.stride,
  };
}

/**
 * Resizing by `scale` (output/input size) along one axis. Output cell o reads input coordinate
 * (o + 0.5)/scale - 0.5 (half_pixel, Resize's default and PyTorch's bilinear/bicubic) or o/scale
 * (asymmetric: PyTorch's nearest, the old Upsample op; align_corners is approximated by it, exact
 * at cell 0). `taps` input cells are blended: 1 nearest, 2 linear, 4 cubic.
 */
export function composeResize(input: ReceptiveField, scale: number, halfPixel: boolean, taps: number): ReceptiveField {
  return {
    size: input.size + (taps - 1) * input.stride,
    stride: input.stride / scale,
    offset: input.offset + (halfPixel ? 0.5 / scale - 0.5 : 0) * input.stride,
  };
}

/** Per-axis receptive field of a feature map. */
interface Field2 {
  h: ReceptiveField;
  w: ReceptiveField;
}

function same(a: ReceptiveField, b: ReceptiveField): boolean {
  return a.size === b.size && a.stride === b.stride && a.offset === b.offset;
}

/**
 * The one field `cnnpipe.layers` holds: H's when H and W agree (every square-kernel CNN), else
 * the axis that sees more (ties: H), so crops made with it contain the true field on that axis.
 */
function squareField(f: Field2): ReceptiveField {
  if (same(f.h, f.w)) return f.h;
  return f.w.size > f.h.size ? f.w : f.h;
}

function widest(fields: (Field2 | undefined)[]): Field2 | undefined {
  let best: Field2 | undefined;
  for (const f of fields) if (f && (!best || Math.max(f.h.size, f.w.size) > Math.max(best.h.size, best.w.size))) best = f;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Small constant folder: the values of the int/float tensors that feed Pad's pads, Resize's
// scales and Slice's starts. PyTorch 1.13 does not fold F.pad's pads (it emits Constant ->
// ConstantOfShape -> Concat -> Reshape -> Slice -> Transpose -> Reshape -> Cast -> Pad even with
// constant folding on), so these ops are evaluated here; other exporters use initializers.
// ---------------------------------------------------------------------------------------------

interface Const {
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

class ConstantFolder {
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

/** Spatial (H, W) index of an NCHW axis, or undefined for N/C (rank 4 assumed for negative axes). */
function spatialAxis(axis: number): 'h' | 'w' | undefined {
  const a = axis < 0 ? axis + 4 : axis;
  return a === 2 ? 'h' : a === 3 ? 'w' : undefined;
}

/**
 * Begin pads of H and W for a Pad node: from its `pads` attribute (opset < 11) or from the
 * constant tensor feeding input 1 (opset >= 11; optional `axes` in input 3 from opset 18).
 * Layout [x1_begin, x2_begin, ..., x1_end, x2_end, ...]. Undefined when not a constant.
 */
function padBegins(node: onnx.NodeProto, folder: ConstantFolder): { h: number; w: number } | undefined {
  const pads = attributes(node).pads ?? folder.value(node.input[1])?.data;
  if (!pads || pads.length % 2 !== 0) return undefined;
  const n = pads.length / 2;
  let axes: number[] = Array.from({ length: n }, (_, i) => i);
  if (node.input[3]) {
    const given = folder.value(node.input[3])?.data;
    if (!given || given.length !== n) return undefined;
    axes = given;
  } else if (n !== 4) {
    return undefined; // not an NCHW pad we can place
  }
  const out = { h: 0, w: 0 };
  axes.forEach((axis, i) => {
    const which = spatialAxis(axis);
    if (which) out[which] = pads[i]!;
  });
  return out;
}

/**
 * Receptive fields of every tensor reachable from `input` with a spatial meaning; tensors
 * after a global pool or a flatten get the whole image (`imageSize`). `initializers` (the
 * graph's) let pads, scales and kernel shapes held in initializers be read; Constant nodes
 * are read without them.
 */
export function receptiveFields(
  nodes: onnx.NodeProto[],
  input: string,
  imageSize: number,
  initializers: onnx.ITensorProto[] = [],
): Map<string, ReceptiveField> {
  const inits = new Map<string, onnx.ITensorProto>();
  for (const t of initializers) if (t.name) inits.set(t.name, t);
  const folder = new ConstantFolder(nodes, inits);
  const unit: ReceptiveField = { size: 1, stride: 1, offset: 0 };
  const fields = new Map<string, Field2>([[input, { h: unit, w: unit }]]);
  const whole: ReceptiveField = { size: imageSize, stride: imageSize, offset: (imageSize - 1) / 2 };
  for (const node of nodes) {
    const inputs = node.input.map((t) => fields.get(t));
    const first = inputs[0];
    if (!first && !inputs.some(Boolean)) continue;
    let out: Field2 | undefined;
    const a = attributes(node);
    if ((WINDOWED.has(node.opType) || node.opType === 'ConvTranspose') && first) {
      // kernel_shape may be left out of a Conv: the weight's trailing dims give it.
      const weightDims = node.opType.startsWith('Conv') ? (inits.get(node.input[1] ?? '')?.dims ?? []).map(Number).slice(2) : [];
      const kernel = a.kernel_shape ?? (weightDims.length === 2 ? weightDims : [1, 1]);
      const axis = (i: 0 | 1): ReceptiveField => {
        const from = i === 0 ? first.h : first.w;
        const k = kernel[i] ?? kernel[0] ?? 1;
        const stride = a.strides?.[i] ?? 1;
        const dilation = a.dilations?.[i] ?? 1;
        let pad = a.pads?.[i] ?? 0;
        const autoPad = stringAttr(node, 'auto_pad');
        if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
          // total = max((ceil(in/s) - 1)*s + span - in, 0) depends on the input size; assume it is a
          // multiple of the stride (exact for stride 1). SAME_UPPER puts the odd pixel at the end.
          // ConvTranspose's total is the same span - s; which end gets its odd pixel has varied
          // between ONNX versions, so it is placed as for Conv.
          const span = dilation * (k - 1) + 1;
          const total = Math.max(span - stride, 0);
          pad = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
        }
        return node.opType === 'ConvTranspose' ? composeTransposed(from, k, stride, pad, dilation) : composeWindow(from, k, stride, pad, dilation);
      };
      out = { h: axis(0), w: axis(1) };
    } else if (GLOBAL.has(node.opType)) {
      out = { h: whole, w: whole };
    } else if (REDUCE.has(node.opType) && first) {
      // x.mean([2, 3]) and friends: a reduction over H or W (or over every axis) is global.
      const axes = a.axes ?? (node.input[1] ? folder.value(node.input[1])?.data : undefined);
      const noop = a.noop_with_empty_axes?.[0] === 1;
      const spatial = axes ? axes.some((ax) => spatialAxis(ax) !== undefined) : !noop;
      out = spatial ? { h: whole, w: whole } : first;
    } else if (node.opType === 'Pad' && first) {
      // Explicit padding shifts coordinates: cell 0 now sits `pad` cells before the input's,
      // exactly like a Conv's own begin pads. Reflect/edge modes change values, not geometry.
      const begins = padBegins(node, folder);
      // Pads computed at run time (from Shape etc.) cannot be read here: keep the field unshifted.
      out = begins ? { h: composePad(first.h, begins.h), w: composePad(first.w, begins.w) } : first;
    } else if ((node.opType === 'Resize' || node.opType === 'Upsample') && first) {
      out = resized(node, first, folder) ?? first;
    } else if (node.opType === 'Slice' && first) {
      out = sliced(node, first, folder);
    } else {
      out = widest(inputs);
    }
    if (out) for (const t of node.output) fields.set(t, out);
  }
  const result = new Map<string, ReceptiveField>();
  for (const [name, f] of fields) result.set(name, squareField(f));
  return result;
}

/**
 * Resize (scales in input 2 from opset 11, input 1 in opset 10) and Upsample (scales input in
 * opset 9, attribute before). Undefined when the factor is not a constant (given as `sizes`, or
 * computed at run time): the caller then passes the field through unchanged (stride not divided).
 */
function resized(node: onnx.NodeProto, first: Field2, folder: ConstantFolder): Field2 | undefined {
  let scales: number[] | undefined;
  if (node.opType === 'Upsample') {
    const attr = node.attribute.find((x) => x.name === 'scales');
    scales = attr?.floats && attr.floats.length > 0 ? attr.floats.map(Number) : folder.value(node.input[1])?.data;
  } else {
    scales = folder.value(node.input.length >= 3 ? node.input[2] : node.input[1])?.data;
  }
  if (!scales || scales.length !== 4 || scales[2]! <= 0 || scales[3]! <= 0) return undefined;
  const mode = stringAttr(node, 'mode') ?? 'nearest';
  const taps = mode === 'nearest' ? 1 : mode === 'cubic' ? 4 : 2;
  // Resize defaults to half_pixel; Upsample is asymmetric. align_corners depends on the sizes and
  // is approximated as asymmetric (exact at cell 0, stride off by a factor (in-1)/(out-1)*scale).
  const transform = node.opType === 'Upsample' ? 'asymmetric' : (stringAttr(node, 'coordinate_transformation_mode') ?? 'half_pixel');
  const halfPixel = transform === 'half_pixel' || transform === 'pytorch_half_pixel';
  return { h: composeResize(first.h, scales[2]!, halfPixel, taps), w: composeResize(first.w, scales[3]!, halfPixel, taps) };
}

/** Slice of a feature map: a spatial crop starting at cell `start` with step `step` shifts and strides it. */
function sliced(node: onnx.NodeProto, first: Field2, folder: ConstantFolder): Field2 {
  const a = attributes(node);
  const starts = a.starts ?? folder.value(node.input[1])?.data;
  const axes = a.axes ?? (node.input[3] ? folder.value(node.input[3])?.data : starts?.map((_, i) => i));
  const steps = (node.input[4] ? folder.value(node.input[4])?.data : undefined) ?? starts?.map(() => 1);
  // Unknown starts: leave the field as it is (a channel split, the common case, does not move it).
  if (!starts || !axes || !steps) return first;
  const out = { ...first };
  for (let j = 0; j < starts.length; j++) {
    const which = spatialAxis(axes[j]!);
    if (!which) continue;
    const start = starts[j]!;
    const step = steps[j]!;
    // A negative start counts from the end, whose size is not known here; reversing is not spatial.
    if (start < 0 || step <= 0) continue;
    const f = out[which];
    out[which] = { size: f.size, stride: f.stride * step, offset: f.offset + start * f.stride };
  }
  return out;
}

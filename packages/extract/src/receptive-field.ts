import type { ReceptiveField } from '@cnnpipe/core';
import type { onnx } from '@cnnpipe/core';
import { ConstantFolder } from './constant-folder.js';
import { attributes, stringAttr } from './node-attributes.js';

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

import { AttributeType, ElemType, encodeModel, intAttribute, valueInfo, type onnx } from '../onnx/graph.js';
import { GraphBuilder } from '../onnx/graph-builder.js';
import { ort } from '../onnx/session.js';
import { KERNEL_SESSION_OPTIONS } from './kernels.js';

/**
 * Float64 cross products of float32 blocks through exact int8 matrix products (an Ozaki-style
 * "error-free slicing"): onnxruntime's MatMulInteger runs on the CPU's AMX tiles where it has
 * them (Sapphire Rapids: ~1.4 int8 TOPS on 2 cores against ~54 GFLOP/s for float64 Gemm).
 * Measured at 4096 x 2048 -> 2048 per block on 2 cores: 0.57 s + 0.05 s of JavaScript adds
 * with 4 digits each, 1.35 s + 0.14 s with the default (7, 6), float64 Gemm 0.76 s.
 *
 * Per block and column j, 2^E_j >= max_n |x_nj| (exact, from the column maxima), and
 * Z = x 2^(6-E_j) (exact: a power of two) is cut into S digits of 7 bits:
 * q_1 = round(Z), q_{k+1} = round((Z - q_1 - ...) 2^(7k)) ∈ [-64, 64], so
 * Z ≈ Σ_k q_k 2^(-7(k-1)) with |error| <= 2^(-7(S-1)-1), i.e. at most 2^-(7S-1) of the
 * column's block maximum (S = 4: 7.5e-9, S = 7: 3.6e-15; float32's own rounding of the data
 * is 6e-8 relative). The products q_k'q_l are exact in int32; pairs of one level m = k + l are
 * concatenated along K into one MatMulInteger, and levels m <= S + 1 are kept (the dropped
 * ones weigh 2^-7S or less). int32 → float64 and the powers of two are exact; only the sum
 * of the few levels and the block sums round, in float64.
 */

/** Digit counts: `x` for the left (Gram) side, `y` for the right side of X'Y. */
export interface SliceDigits {
  x: number;
  y: number;
}

/**
 * Digit counts chosen by measurement, the fewest where lstsq's predictions agree with numpy's
 * to 1e-7 relative on float32 data of condition number up to 1e4 (int8-gram.test.ts; the
 * normal equations square it, so the Gram needs ~double precision): with (4, 4) the zoo's
 * DenseNet features (cond ~2.5e3) were 2.4e-5 off, (5, 4) 7e-8 there but 1.1e-5 at cond
 * 1e4, (6, 5) 9e-7 at cond 1e4, (7, 6) within 1e-7 everywhere. X's digits count most.
 */
export const DEFAULT_SLICE_DIGITS: SliceDigits = { x: 7, y: 6 };

/**
 * The statistics of one block, in a form added into a float64 Gram: the digit products stay
 * int32 (exact) until addGramTo/addCrossTo scale and add them.
 */
export interface SlicedGramBlock {
  /** Adds the block's X'X, upper triangle (i <= j), into target[i * stride + j]. */
  addGramTo(target: Float64Array, stride: number): void;
  /** Adds the block's X'Y (d x e) into target[i * e + j]. */
  addCrossTo(target: Float64Array): void;
  sumX: Float64Array;
  sumY: Float64Array;
  sumYY: Float64Array;
}

/** Digits of 7 bits: int32 sums of K products of |q| <= 64 stay exact while K < 2^31 / 2^12. */
const MAX_PRODUCT_TERMS = 2 ** 19;

/** Most rows a block may have for `digits` digits (a level concatenates up to `digits` blocks along K). */
export function maxSlicedBlockRows(digits: SliceDigits): number {
  return Math.floor(MAX_PRODUCT_TERMS / Math.max(digits.x, digits.y)) - 1;
}

/**
 * The exponents E_j, smallest with 2^E_j >= m_j (0 for an all-zero column), from float32
 * column maxima; clamped to [-120, 128] so that 2^(6-E) is a normal float32 (a column below
 * 2^-120 loses digits: its values are under 2^-120, absolutely).
 */
export function columnExponents(maxAbs: Float32Array): Int32Array {
  const out = new Int32Array(maxAbs.length);
  for (let j = 0; j < maxAbs.length; j++) {
    const m = maxAbs[j]!;
    if (!(m > 0)) continue;
    // log2 can be off by one next to a power of two: corrected exactly.
    let e = Math.ceil(Math.log2(m));
    while (2 ** e < m) e++;
    while (2 ** (e - 1) >= m) e--;
    out[j] = Math.max(-120, Math.min(128, e));
  }
  return out;
}

/** Digit k's weight 2^-7(k-1) (k from 1) in units of the first digit. */
const weight = (k: number) => 2 ** (-7 * (k - 1));

/**
 * The digits of a float32 block `x` with column scales `scale` = 2^(6-E_j): int8 q_k (rows x
 * cols) and, when `left`, the transposed unsigned q_k + 128 (cols x rows: the left factor of
 * MatMulInteger, whose fast kernels take uint8 with a zero point). QuantizeLinear by the
 * digit's power-of-two weight rounds (half to even) and casts in one pass; the remainder
 * r - q_k w_k is exact in float32.
 */
function digitsOf(g: GraphBuilder, scaled: string, digits: number, left: boolean): { q: string[]; u: string[] } {
  const zero8 = g.int8([0], []);
  const zeroU8 = g.int8([128], [], 'uint8');
  const q: string[] = [];
  const u: string[] = [];
  let r = scaled;
  for (let k = 1; k <= digits; k++) {
    const w = g.scalar(weight(k));
    const qk = g.op('QuantizeLinear', [r, w, zero8]);
    q.push(qk);
    if (left) u.push(g.op('Transpose', [g.op('QuantizeLinear', [r, w, zeroU8])], [{ name: 'perm', type: AttributeType.INTS, ints: [1, 0] }]));
    if (k < digits) r = g.op('Sub', [r, g.op('DequantizeLinear', [qk, w, zero8])]);
  }
  return { q, u };
}

/** A product to compute: left digits `ks` (concatenated along K) against right digits level - k, one output. */
interface Product {
  name: string;
  level: number;
  ks: number[];
}

/** The left digits k of level m's pairs (k, m - k), k <= kMax, m - k <= lMax. */
function levelPairs(m: number, kMax: number, lMax: number): number[] {
  const ks: number[] = [];
  for (let k = Math.max(1, m - lMax); k <= Math.min(kMax, m - 1); k++) ks.push(k);
  return ks;
}

/**
 * X'X's products: level m = k + l sums q_k'q_l, a symmetric matrix, so only pairs k < l are
 * multiplied (T_m, added with its transpose) and the square q_{m/2}'q_{m/2} (D_m), 6
 * products for 4 digits instead of 10.
 */
function gramProducts(digits: SliceDigits): { transposed: Product[]; square: Product[] } {
  const transposed: Product[] = [];
  const square: Product[] = [];
  for (let m = 2; m <= digits.x + 1; m++) {
    const ks = levelPairs(m, digits.x, digits.x);
    const below = ks.filter((k) => 2 * k < m);
    if (below.length > 0) transposed.push({ name: `T${m}`, level: m, ks: below });
    if (ks.includes(m / 2)) square.push({ name: `D${m}`, level: m, ks: [m / 2] });
  }
  return { transposed, square };
}

/** X'Y's products: level m = k + l <= max digits + 1, k <= x digits, l <= y digits. */
function crossProducts(digits: SliceDigits): Product[] {
  const out: Product[] = [];
  for (let m = 2; m <= Math.max(digits.x, digits.y) + 1; m++) {
    const ks = levelPairs(m, digits.x, digits.y);
    if (ks.length > 0) out.push({ name: `C${m}`, level: m, ks });
  }
  return out;
}

/** A block graph and its output buffers, reused block after block (no allocation, no GC of ~150 MB per block). */
interface SlicedSession {
  session: ort.InferenceSession;
  outputs: Record<string, ort.Tensor>;
}

const sessions = new Map<string, Promise<SlicedSession>>();

function slicedSession(d: number, e: number, digits: SliceDigits): Promise<SlicedSession> {
  const key = `${d}:${e}:${digits.x}:${digits.y}`;
  let session = sessions.get(key);
  if (session) return session;
  const g = new GraphBuilder('int8_gram');
  const f64 = ElemType.float64;
  // X padded by zero columns to a row stride of d + GRAM_PAD: addGram's transposed reads of
  // X'X's products then do not all fall into one cache set (d a power of two).
  const padded = g.op('Pad', [g.op('Mul', ['X', 'scaleX']), g.int64([0, 0, 0, GRAM_PAD])]);
  const xs = digitsOf(g, padded, digits.x, true);
  const ys = digitsOf(g, g.op('Mul', ['Y', 'scaleY']), digits.y, false);
  const zp = g.int8([128], [], 'uint8');
  const concatenated = new Map<string, string>();
  const concat = (parts: string[], axis: number) => {
    if (parts.length === 1) return parts[0]!;
    const key = `${axis}:${parts.join(',')}`;
    let t = concatenated.get(key);
    if (!t) concatenated.set(key, (t = g.op('Concat', parts, [intAttribute('axis', axis)])));
    return t;
  };
  const output: onnx.IValueInfoProto[] = [];
  const multiply = (p: Product, right: string[], cols: number | string) => {
    const { ks } = p;
    const a = concat(ks.map((k) => xs.u[k - 1]!), 1);
    const b = concat(ks.map((k) => right[p.level - k - 1]!), 0);
    g.opNamed(p.name, 'MatMulInteger', [a, b, zp]);
    output.push(valueInfo(p.name, ElemType.int32, [d + GRAM_PAD, cols]));
  };
  const gp = gramProducts(digits);
  for (const p of [...gp.transposed, ...gp.square]) multiply(p, xs.q, d + GRAM_PAD);
  for (const p of crossProducts(digits)) multiply(p, ys.q, e);
  const ax0 = g.int64([0]);
  const xd = g.op('Cast', ['X'], [intAttribute('to', f64)]);
  const yd = g.op('Cast', ['Y'], [intAttribute('to', f64)]);
  g.opNamed('SX', 'ReduceSum', [xd, ax0], [intAttribute('keepdims', 0)]);
  g.opNamed('SY', 'ReduceSum', [yd, ax0], [intAttribute('keepdims', 0)]);
  g.opNamed('YY', 'ReduceSum', [g.op('Mul', [yd, yd]), ax0], [intAttribute('keepdims', 0)]);
  output.push(valueInfo('SX', f64, [d]), valueInfo('SY', f64, [e]), valueInfo('YY', f64, [e]));
  const input = [valueInfo('X', ElemType.float32, ['b', d]), valueInfo('Y', ElemType.float32, ['b', e]), valueInfo('scaleX', ElemType.float32, [d]), valueInfo('scaleY', ElemType.float32, [e])];
  const model = encodeModel({ name: 'cnnpipe_sliced_int8_gram', node: g.nodes, initializer: g.initializers, input, output });
  session = ort.InferenceSession.create(model, KERNEL_SESSION_OPTIONS).then((created) => ({
    session: created,
    outputs: Object.fromEntries(
      output.map((o) => {
        const dims = o.type!.tensorType!.shape!.dim!.map((dim) => Number(dim.dimValue));
        const size = dims.reduce((a, b) => a * b, 1);
        const int = o.type!.tensorType!.elemType === ElemType.int32;
        return [o.name!, int ? new ort.Tensor('int32', new Int32Array(size), dims) : new ort.Tensor('float64', new Float64Array(size), dims)];
      }),
    ),
  }));
  sessions.set(key, session);
  return session;
}

const digitSessions = new Map<number, Promise<ort.InferenceSession>>();

/**
 * The int8 digits q_1..q_S of a float32 block (rows x cols) and its column exponents:
 * x ≈ 2^(E_j - 6) Σ_k q_k 2^(-7(k-1)), what slicedGramBlock multiplies (for tests and checks).
 */
export async function sliceDigits(x: Float32Array, rows: number, cols: number, digits: number): Promise<{ digits: Int8Array[]; exponents: Int32Array }> {
  let session = digitSessions.get(digits);
  if (!session) {
    const g = new GraphBuilder('int8_digits');
    const { q } = digitsOf(g, g.op('Mul', ['X', 'scale']), digits, false);
    q.forEach((qk, k) => g.opNamed(`Q${k + 1}`, 'Identity', [qk]));
    const output = q.map((_, k) => valueInfo(`Q${k + 1}`, ElemType.int8, ['b', 'd']));
    const input = [valueInfo('X', ElemType.float32, ['b', 'd']), valueInfo('scale', ElemType.float32, ['d'])];
    session = ort.InferenceSession.create(encodeModel({ name: 'cnnpipe_slice_digits', node: g.nodes, initializer: g.initializers, input, output }), KERNEL_SESSION_OPTIONS);
    digitSessions.set(digits, session);
  }
  const exponents = columnExponents(await columnMaxAbs(x, rows, cols));
  const out = await (await session).run({
    X: new ort.Tensor('float32', x.subarray(0, rows * cols), [rows, cols]),
    scale: new ort.Tensor('float32', scales(exponents).scale, [cols]),
  });
  return { digits: Array.from({ length: digits }, (_, k) => out[`Q${k + 1}`]!.data as Int8Array), exponents };
}

let maxSession: Promise<ort.InferenceSession> | undefined;

/** max_n |x_nj| of a rows x cols float32 block, per column, in onnxruntime; NaN for a column holding NaN or ±Inf (or summing past float32). */
export async function columnMaxAbs(x: Float32Array, rows: number, cols: number): Promise<Float32Array> {
  maxSession ??= ort.InferenceSession.create(
    encodeModel({
      name: 'cnnpipe_column_max_abs',
      // max(max x, -min x): two reductions, no |x| copy of the block.
      node: [
        { opType: 'ReduceMax', input: ['X'], output: ['Hi'], attribute: [intAttribute('keepdims', 0), { name: 'axes', type: AttributeType.INTS, ints: [0] }] },
        { opType: 'ReduceMin', input: ['X'], output: ['Lo'], attribute: [intAttribute('keepdims', 0), { name: 'axes', type: AttributeType.INTS, ints: [0] }] },
        { opType: 'Neg', input: ['Lo'], output: ['NegLo'] },
        { opType: 'Max', input: ['Hi', 'NegLo'], output: ['Mx'] },
        // ReduceMax/Min skip NaN; a column sum does not (nor ±Inf): M is NaN there.
        { opType: 'ReduceSum', input: ['X', 'axis0'], output: ['S'], attribute: [intAttribute('keepdims', 0)] },
        { opType: 'Mul', input: ['S', 'zero'], output: ['S0'] },
        { opType: 'Add', input: ['Mx', 'S0'], output: ['M'] },
      ],
      initializer: [
        { name: 'axis0', dataType: ElemType.int64, dims: [1], int64Data: [0] },
        { name: 'zero', dataType: ElemType.float32, dims: [], floatData: [0] },
      ],
      input: [valueInfo('X', ElemType.float32, ['b', 'd'])],
      output: [valueInfo('M', ElemType.float32, ['d'])],
    }),
    KERNEL_SESSION_OPTIONS,
  );
  const out = await (await maxSession).run({ X: new ort.Tensor('float32', x.subarray(0, rows * cols), [rows, cols]) });
  return out.M!.data as Float32Array;
}

function scales(exponents: Int32Array): { scale: Float32Array; unscale: Float64Array } {
  const scale = new Float32Array(exponents.length);
  const unscale = new Float64Array(exponents.length);
  for (let j = 0; j < exponents.length; j++) {
    scale[j] = 2 ** (6 - exponents[j]!);
    unscale[j] = 2 ** (exponents[j]! - 6);
  }
  return { scale, unscale };
}

/** Tiles of the transposed reads in addGram: 64 x 64 int32 per level stay in L1/L2. */
const TILE = 64;

/** Zero columns padding X (its products' row stride d + 16). */
const GRAM_PAD = 16;

/** Levels `size` at a time (a fixed arity keeps V8's loop fast: 3x a loop over a list); missing ones repeat the first at weight 0. */
function groupsOf(size: number, levels: [number, Int32Array][]): [number, Int32Array][][] {
  const groups: [number, Int32Array][][] = [];
  for (let g = 0; g < levels.length; g += size) {
    const group = levels.slice(g, g + size);
    while (group.length < size) group.push([0, group[0]![1]]);
    groups.push(group);
  }
  return groups;
}

/**
 * target[i, j] += c_i c_j Σ w (T[i, j] + T[j, i]) over i <= j, the Gram's upper triangle
 * (a symmetric D enters as T with half its weight), tile by tile for the transposed reads.
 */
function addGram(target: Float64Array, stride: number, d: number, c: Float64Array, levels: [number, Int32Array][]): void {
  const ld = d + GRAM_PAD;
  for (const [[w0, t0], [w1, t1], [w2, t2], [w3, t3], [w4, t4], [w5, t5], [w6, t6], [w7, t7]] of groupsOf(8, levels)) {
    for (let i0 = 0; i0 < d; i0 += TILE) {
      const i1 = Math.min(d, i0 + TILE);
      for (let j0 = i0; j0 < d; j0 += TILE) {
        const j1 = Math.min(d, j0 + TILE);
        for (let i = i0; i < i1; i++) {
          const ci = c[i]!;
          const row = i * ld;
          const out = i * stride;
          for (let j = Math.max(i, j0); j < j1; j++) {
            const a = row + j;
            const b = j * ld + i;
            const v =
              w0 * (t0[a]! + t0[b]!) +
              w1 * (t1[a]! + t1[b]!) +
              w2 * (t2[a]! + t2[b]!) +
              w3 * (t3[a]! + t3[b]!) +
              w4 * (t4[a]! + t4[b]!) +
              w5 * (t5[a]! + t5[b]!) +
              w6 * (t6[a]! + t6[b]!) +
              w7 * (t7[a]! + t7[b]!);
            target[out + j]! += ci * c[j]! * v;
          }
        }
      }
    }
  }
}

/** target[i, j] += cx_i cy_j Σ w L[i, j]. */
function addCross(target: Float64Array, d: number, e: number, cx: Float64Array, cy: Float64Array, levels: [number, Int32Array][]): void {
  for (const [[w0, l0], [w1, l1], [w2, l2], [w3, l3], [w4, l4], [w5, l5]] of groupsOf(6, levels)) {
    for (let i = 0; i < d; i++) {
      const o = i * e;
      const ci = cx[i]!;
      for (let j = 0; j < e; j++) {
        const k = o + j;
        target[k]! += ci * cy[j]! * (w0 * l0[k]! + w1 * l1[k]! + w2 * l2[k]! + w3 * l3[k]! + w4 * l4[k]! + w5 * l5[k]!);
      }
    }
  }
}

/**
 * The float64 statistics of a float32 block (x rows x d, y rows x e, row-major) through int8
 * digit products: X'X, X'Y, sums and Σy². Returns undefined when a column holds NaN or ±Inf
 * (the caller's float64 path handles those). The block's arrays are reused by the next call
 * with the same sizes: add them into the Gram before that.
 */
export async function slicedGramBlock(
  x: Float32Array,
  y: Float32Array,
  rows: number,
  d: number,
  e: number,
  digits: SliceDigits = DEFAULT_SLICE_DIGITS,
): Promise<SlicedGramBlock | undefined> {
  if (rows > maxSlicedBlockRows(digits)) throw new Error(`slicedGramBlock: ${rows} rows exceed ${maxSlicedBlockRows(digits)} (int32 products would overflow)`);
  const [mx, my] = [await columnMaxAbs(x, rows, d), await columnMaxAbs(y, rows, e)];
  if (!mx.every(Number.isFinite) || !my.every(Number.isFinite)) return undefined;
  const sx = scales(columnExponents(mx));
  const sy = scales(columnExponents(my));
  const { session, outputs } = await slicedSession(d, e, digits);
  const out = await session.run({
    X: new ort.Tensor('float32', x.subarray(0, rows * d), [rows, d]),
    Y: new ort.Tensor('float32', y.subarray(0, rows * e), [rows, e]),
    scaleX: new ort.Tensor('float32', sx.scale, [d]),
    scaleY: new ort.Tensor('float32', sy.scale, [e]),
  }, outputs);
  // Level m's products weigh 2^-7(m-2) relative to q_1'q_1.
  const weighted = (p: Product, half = 1): [number, Int32Array] => [half * weight(p.level - 1), out[p.name]!.data as Int32Array];
  const gp = gramProducts(digits);
  return {
    // A square q_k'q_k is symmetric: entered as a T at half weight (exact: powers of two).
    addGramTo: (target, stride) => addGram(target, stride, d, sx.unscale, [...gp.transposed.map((p) => weighted(p)), ...gp.square.map((p) => weighted(p, 0.5))]),
    addCrossTo: (target) => addCross(target, d, e, sx.unscale, sy.unscale, crossProducts(digits).map((p) => weighted(p))),
    sumX: out.SX!.data as Float64Array,
    sumY: out.SY!.data as Float64Array,
    sumYY: out.YY!.data as Float64Array,
  };
}

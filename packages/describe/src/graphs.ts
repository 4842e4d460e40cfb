import { AttributeType, ElemType, encodeModel, intAttribute, ort, valueInfo, type onnx } from '@cnnpipe/core';

/**
 * The onnxruntime graphs behind `describe`'s heavy products, one session per graph and
 * precision, built once and run once per block of concepts:
 *
 *   logSumExp:   L[x]   = logsumexp_t (Ê·(aT̂_b)ᵀ)[x, t]            (the softmax normaliser, per block)
 *   softmaxRows: S[x,t] = exp((Ê·(aT̂_b)ᵀ)[x, t] − lse[x])          (softmax(a·P) over all concepts)
 *   cubedCosine: O      = Âᵀ · cube-normalised(centred(Ê·T̂_bᵀ))    (cos_similarity_cubed)
 *
 * float64 by default, so the scores match CLIP-Dissect's formulas evaluated exactly (the
 * numpy reference, 1e-6). float32 products (CLIP-Dissect's own precision; the sums stay
 * float64) move the best scores by ~1e-6 (3k images x 3k concepts: 8.7e-7; the float32
 * numpy script, whose sums are float32 too, is 2.2e-4 off) and halve the Gemm's cost:
 * 10k x 512 x 419 takes ~58 ms of CPU in float32 and ~119 ms in float64 here, one thread.
 */

export type Precision = 'float32' | 'float64';
export type Floats = Float32Array | Float64Array;

function intsAttribute(name: string, ints: number[]): onnx.IAttributeProto {
  return { name, type: AttributeType.INTS, ints };
}

const projection: onnx.INodeProto = { opType: 'Gemm', input: ['E', 'T'], output: ['P'], attribute: [intAttribute('transB', 1)] };
const projectionInputs = (el: number) => [valueInfo('E', el, ['n', 'd']), valueInfo('T', el, ['b', 'd'])];

const GRAPHS = {
  logSumExp: (el: number) =>
    encodeModel({
      name: 'describe_logsumexp',
      node: [
        projection,
        { opType: 'ReduceLogSumExp', input: ['P'], output: ['L'], attribute: [intsAttribute('axes', [1]), intAttribute('keepdims', 0)] },
      ],
      input: projectionInputs(el),
      output: [valueInfo('L', el, ['n'])],
    }),
  shiftedExp: (el: number) =>
    encodeModel({
      name: 'describe_shifted_exp',
      node: [
        { opType: 'Gemm', input: ['E', 'T', 'negShift'], output: ['Y'], attribute: [intAttribute('transB', 1)] },
        { opType: 'Exp', input: ['Y'], output: ['S'] },
        { opType: 'ReduceSum', input: ['S', 'axis'], output: ['Z'], attribute: [intAttribute('keepdims', 0)] },
      ],
      input: [...projectionInputs(el), valueInfo('negShift', el, [1]), valueInfo('axis', ElemType.int64, [1])],
      output: [valueInfo('S', el, ['n', 'b']), valueInfo('Z', el, ['n'])],
    }),
  softmaxRows: (el: number) =>
    encodeModel({
      name: 'describe_softmax',
      node: [
        // Gemm's C term subtracts the normaliser while the product is written: no extra pass.
        { opType: 'Gemm', input: ['E', 'T', 'negLse'], output: ['Y'], attribute: [intAttribute('transB', 1)] },
        { opType: 'Exp', input: ['Y'], output: ['S'] },
      ],
      input: [...projectionInputs(el), valueInfo('negLse', el, ['n', 1])],
      output: [valueInfo('S', el, ['n', 'b'])],
    }),
  cubedCosine: (el: number) =>
    encodeModel({
      name: 'describe_cos3',
      node: [
        projection,
        { opType: 'ReduceMean', input: ['P'], output: ['M'], attribute: [intsAttribute('axes', [0]), intAttribute('keepdims', 1)] },
        { opType: 'Sub', input: ['P', 'M'], output: ['C'] },
        { opType: 'Mul', input: ['C', 'C'], output: ['C2'] },
        { opType: 'Mul', input: ['C2', 'C'], output: ['C3'] },
        { opType: 'ReduceL2', input: ['C3'], output: ['N'], attribute: [intsAttribute('axes', [0]), intAttribute('keepdims', 1)] },
        { opType: 'Max', input: ['N', 'floor'], output: ['Nf'] },
        { opType: 'Div', input: ['C3', 'Nf'], output: ['Q'] },
        { opType: 'MatMul', input: ['A', 'Q'], output: ['O'] },
      ],
      input: [...projectionInputs(el), valueInfo('floor', el, [1]), valueInfo('A', el, ['k', 'n'])],
      output: [valueInfo('O', el, ['k', 'b'])],
    }),
} as const;

type GraphName = keyof typeof GRAPHS;

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function session(name: GraphName, precision: Precision): Promise<ort.InferenceSession> {
  const key = `${name}:${precision}`;
  let s = sessions.get(key);
  if (!s) {
    s = ort.InferenceSession.create(GRAPHS[name](ElemType[precision]), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
    sessions.set(key, s);
  }
  return s;
}

const precisionOf = (data: Floats): Precision => (data instanceof Float32Array ? 'float32' : 'float64');

/** A tensor over `data` (no copy), in the array's precision. */
export const tensor = (data: Floats, dims: number[]): ort.Tensor => new ort.Tensor(precisionOf(data), data, dims);

/** `values` in the given precision (the same array when it already is). */
export function inPrecision(values: Floats, precision: Precision): Floats {
  if (precisionOf(values) === precision) return values;
  return precision === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
}

async function runAll(name: GraphName, feeds: Record<string, ort.Tensor>): Promise<Record<string, Floats>> {
  const precision = feeds.E!.type as Precision;
  const result = await (await session(name, precision)).run(feeds);
  return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, v.data as Floats]));
}

async function run(name: GraphName, feeds: Record<string, ort.Tensor>, output: string): Promise<Floats> {
  return (await runAll(name, feeds))[output]!;
}

const axisOne = new ort.Tensor('int64', BigInt64Array.of(1n), [1]);

/**
 * exp(E·Tᵀ − shift) and its row sums: softmax(a·P)'s terms before the normaliser is known,
 * kept by `--cache-mb` so the second pass need not recompute them. `negShift` is −shift [1].
 */
export async function shiftedExp(e: ort.Tensor, t: ort.Tensor, negShift: ort.Tensor): Promise<{ s: Floats; z: Floats }> {
  const out = await runAll('shiftedExp', { E: e, T: t, negShift, axis: axisOne });
  return { s: out.S!, z: out.Z! };
}

/** logsumexp over the block's concepts of E·Tᵀ, per image (n); T carries the factor a. */
export function logSumExp(e: ort.Tensor, t: ort.Tensor): Promise<Floats> {
  return run('logSumExp', { E: e, T: t }, 'L');
}

/** exp(E·Tᵀ − lse), the block's columns of softmax(a·P) (n x b, row-major); `negLse` is −lse (n x 1). */
export function softmaxRows(e: ort.Tensor, t: ort.Tensor, negLse: ort.Tensor): Promise<Floats> {
  return run('softmaxRows', { E: e, T: t, negLse }, 'S');
}

/** Âᵀ·(centred P)³/max(‖·‖, floor) for the block (k x b, row-major); `A` is k x n. */
export function cubedCosine(e: ort.Tensor, t: ort.Tensor, floor: ort.Tensor, a: ort.Tensor): Promise<Floats> {
  return run('cubedCosine', { E: e, T: t, floor, A: a }, 'O');
}

import { AttributeType, ElemType, encodeModel, intAttribute, ort, valueInfo, type onnx } from '@cnnpipe/core';

/**
 * The onnxruntime graphs behind `describe`'s heavy products, one session per graph, built
 * once and run once per block of concepts. Everything is float64: the scores are
 * differences of sums of a hundred logarithms (soft-WPMI) and float32 would move them by
 * ~1e-5 against CLIP-Dissect's formulas evaluated exactly; in onnxruntime the float64 Gemm
 * runs at ~50 GFLOP/s here against ~65 for float32 (10k x 512 x 256: 50 ms vs 39 ms).
 *
 *   logSumExp:   L[x]   = logsumexp_t a·(Ê·T̂_bᵀ)[x, t]            (the softmax normaliser, per block)
 *   softmaxRows: S[x,t] = exp(a·(Ê·T̂_bᵀ)[x, t] − lse[x])          (softmax(a·P) over all concepts)
 *   cubedCosine: O      = Âᵀ · cube-normalised(centred(Ê·T̂_bᵀ))    (cos_similarity_cubed)
 */

const F64 = ElemType.float64;

function intsAttribute(name: string, ints: number[]): onnx.IAttributeProto {
  return { name, type: AttributeType.INTS, ints };
}

const projection: onnx.INodeProto = { opType: 'Gemm', input: ['E', 'T'], output: ['P'], attribute: [intAttribute('transB', 1)] };
const projectionInputs = [valueInfo('E', F64, ['n', 'd']), valueInfo('T', F64, ['b', 'd'])];

const GRAPHS = {
  logSumExp: () =>
    encodeModel({
      name: 'describe_logsumexp',
      node: [
        projection,
        { opType: 'Mul', input: ['P', 'a'], output: ['Z'] },
        { opType: 'ReduceLogSumExp', input: ['Z'], output: ['L'], attribute: [intsAttribute('axes', [1]), intAttribute('keepdims', 0)] },
      ],
      input: [...projectionInputs, valueInfo('a', F64, [1])],
      output: [valueInfo('L', F64, ['n'])],
    }),
  softmaxRows: () =>
    encodeModel({
      name: 'describe_softmax',
      node: [
        projection,
        { opType: 'Mul', input: ['P', 'a'], output: ['Z'] },
        { opType: 'Sub', input: ['Z', 'lse'], output: ['Y'] },
        { opType: 'Exp', input: ['Y'], output: ['S'] },
      ],
      input: [...projectionInputs, valueInfo('a', F64, [1]), valueInfo('lse', F64, ['n', 1])],
      output: [valueInfo('S', F64, ['n', 'b'])],
    }),
  cubedCosine: () =>
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
      input: [...projectionInputs, valueInfo('floor', F64, [1]), valueInfo('A', F64, ['k', 'n'])],
      output: [valueInfo('O', F64, ['k', 'b'])],
    }),
} as const;

type GraphName = keyof typeof GRAPHS;

const sessions = new Map<GraphName, Promise<ort.InferenceSession>>();

function session(name: GraphName): Promise<ort.InferenceSession> {
  let s = sessions.get(name);
  if (!s) {
    s = ort.InferenceSession.create(GRAPHS[name](), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
    sessions.set(name, s);
  }
  return s;
}

export const tensor = (data: Float64Array, dims: number[]): ort.Tensor => new ort.Tensor('float64', data, dims);
export const scalar = (value: number): ort.Tensor => tensor(Float64Array.of(value), [1]);

async function run(name: GraphName, feeds: Record<string, ort.Tensor>, output: string): Promise<Float64Array> {
  const result = await (await session(name)).run(feeds);
  return result[output]!.data as Float64Array;
}

/** logsumexp over the block's concepts of a·P, per image (n). */
export function logSumExp(e: ort.Tensor, t: ort.Tensor, a: ort.Tensor): Promise<Float64Array> {
  return run('logSumExp', { E: e, T: t, a }, 'L');
}

/** exp(a·P − lse), the block's columns of softmax(a·P) (n x b, row-major). */
export function softmaxRows(e: ort.Tensor, t: ort.Tensor, a: ort.Tensor, lse: ort.Tensor): Promise<Float64Array> {
  return run('softmaxRows', { E: e, T: t, a, lse }, 'S');
}

/** Âᵀ·(centred P)³/max(‖·‖, floor) for the block (k x b, row-major); `A` is k x n. */
export function cubedCosine(e: ort.Tensor, t: ort.Tensor, floor: ort.Tensor, a: ort.Tensor): Promise<Float64Array> {
  return run('cubedCosine', { E: e, T: t, floor, A: a }, 'O');
}

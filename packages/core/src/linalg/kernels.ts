import { ElemType, encodeModel, intAttribute, valueInfo } from '../onnx/graph.js';
import { ort } from '../onnx/session.js';

/**
 * Session options of a kernel graph: CPU, every optimisation, and worker threads that sleep
 * between calls instead of spinning. A solve makes hundreds of calls with JavaScript between
 * them; spinning cost lstsq's 1024-wide solve 0.8 CPU s instead of 0.5 and its Gram blocks
 * 0.3 CPU s more at 20k x 1024 -> 1536 (same wall time on this 2-core machine).
 */
export const KERNEL_SESSION_OPTIONS = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
} as const satisfies Parameters<typeof ort.InferenceSession.create>[1];

export type FloatArray = Float32Array | Float64Array;

/** A dense row-major matrix. */
export interface Matrix<T extends FloatArray = FloatArray> {
  data: T;
  rows: number;
  cols: number;
}

export function matrix<T extends FloatArray>(data: T, rows: number, cols: number): Matrix<T> {
  if (data.length !== rows * cols) {
    throw new Error(`matrix data has ${data.length} values, expected ${rows}x${cols}=${rows * cols}`);
  }
  return { data, rows, cols };
}

type Precision = 'float32' | 'float64';

function precisionOf(data: FloatArray): Precision {
  return data instanceof Float64Array ? 'float64' : 'float32';
}

/** One Gemm graph per (precision, transA, transB), with symbolic sizes: built once, reused. */
const sessions = new Map<string, Promise<ort.InferenceSession>>();

function gemmSession(precision: Precision, transA: boolean, transB: boolean): Promise<ort.InferenceSession> {
  const key = `${precision}:${transA}:${transB}`;
  let session = sessions.get(key);
  if (!session) {
    const elem = ElemType[precision];
    const model = encodeModel({
      name: 'cnnpipe_gemm',
      node: [
        {
          opType: 'Gemm',
          input: ['A', 'B'],
          output: ['Y'],
          attribute: [intAttribute('transA', transA ? 1 : 0), intAttribute('transB', transB ? 1 : 0)],
        },
      ],
      input: [
        valueInfo('A', elem, transA ? ['k', 'm'] : ['m', 'k']),
        valueInfo('B', elem, transB ? ['n', 'k'] : ['k', 'n']),
      ],
      output: [valueInfo('Y', elem, ['m', 'n'])],
    });
    session = ort.InferenceSession.create(model, KERNEL_SESSION_OPTIONS);
    sessions.set(key, session);
  }
  return session;
}

export interface GemmOptions {
  /** Use A' instead of A. */
  transA?: boolean;
  /** Use B' instead of B. */
  transB?: boolean;
}

/**
 * op(A)·op(B) in native code (onnxruntime's Gemm, multithreaded BLAS-like kernels), in the
 * precision of the inputs: Float64Array in, Float64Array out. The workhorse for X'X, X'Y,
 * X·W of the statistics tools.
 */
export async function gemm<T extends FloatArray>(a: Matrix<T>, b: Matrix<T>, options: GemmOptions = {}): Promise<Matrix<T>> {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const precision = precisionOf(a.data);
  if (precisionOf(b.data) !== precision) throw new Error('gemm: A and B must have the same precision');
  const [m, kA] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const [kB, n] = transB ? [b.cols, b.rows] : [b.rows, b.cols];
  if (kA !== kB) throw new Error(`gemm: inner dimensions differ (${m}x${kA} times ${kB}x${n})`);
  if (m === 0 || n === 0 || kA === 0) {
    const empty = (precision === 'float64' ? new Float64Array(m * n) : new Float32Array(m * n)) as T;
    return { data: empty, rows: m, cols: n };
  }
  const session = await gemmSession(precision, transA, transB);
  const feeds = {
    A: new ort.Tensor(precision, a.data, [a.rows, a.cols]),
    B: new ort.Tensor(precision, b.data, [b.rows, b.cols]),
  };
  const result = await session.run(feeds);
  const y = result.Y!;
  return { data: y.data as T, rows: m, cols: n };
}

/** X'X of a row-major block (rows = samples): the Gram matrix of its columns. */
export function crossProduct<T extends FloatArray>(x: Matrix<T>): Promise<Matrix<T>> {
  return gemm(x, x, { transA: true });
}

/** X'Y of two row-major blocks with the same rows. */
export function crossProductOf<T extends FloatArray>(x: Matrix<T>, y: Matrix<T>): Promise<Matrix<T>> {
  if (x.rows !== y.rows) throw new Error(`crossProductOf: ${x.rows} rows against ${y.rows}`);
  return gemm(x, y, { transA: true });
}

/** Naive triple loop, as a reference for tests and tiny sizes. */
export function naiveProduct(a: Matrix<Float64Array>, b: Matrix<Float64Array>): Matrix<Float64Array> {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < a.cols; k++) {
      const aik = a.data[i * a.cols + k]!;
      for (let j = 0; j < b.cols; j++) out[i * b.cols + j] += aik * b.data[k * b.cols + j]!;
    }
  }
  return { data: out, rows: a.rows, cols: b.cols };
}

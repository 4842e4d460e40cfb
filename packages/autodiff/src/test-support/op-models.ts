import { ElemType, decodeModel, encodeModel, mulberry32, ort, valueInfo, type onnx } from '@cnnpipe/core';
import type { LoadedModel } from '@cnnpipe/extract';
import { gradientGraph } from '../gradient-graph.js';
import { createGradientSession } from '../session.js';

/** Small one-operator models and a directional-derivative check of their gradient graphs. */

export interface OpModel {
  /** One image's input [C, S, S] (square: gradientGraph builds for S x S). */
  input: [number, number, number];
  /** Nodes reading `x` and writing `y`. */
  nodes: onnx.INodeProto[];
  /** Random float32 weights by name and dims, or given values. */
  weights?: Record<string, number[] | { dims: number[]; values: number[]; type?: 'int64' | 'float32' }>;
  opset?: number;
}

export function opModel(spec: OpModel): LoadedModel {
  const random = mulberry32(7);
  const initializer: onnx.ITensorProto[] = Object.entries(spec.weights ?? {}).map(([name, w]) => {
    if (Array.isArray(w)) {
      const size = w.reduce((p, d) => p * d, 1);
      const values = Float32Array.from({ length: size }, () => random() * 2 - 1);
      return { name, dims: w, dataType: ElemType.float32, rawData: new Uint8Array(values.buffer) };
    }
    return w.type === 'int64'
      ? { name, dims: w.dims, dataType: ElemType.int64, int64Data: w.values }
      : { name, dims: w.dims, dataType: ElemType.float32, floatData: w.values };
  });
  const proto = decodeModel(
    encodeModel(
      {
        name: 'op',
        node: spec.nodes.map((n, i) => ({ name: n.name ?? `/block/op${i}/${n.opType}`, ...n })),
        input: [valueInfo('x', ElemType.float32, ['N', ...spec.input])],
        output: [valueInfo('y', ElemType.float32, [])],
        initializer,
      },
      spec.opset ?? 13,
    ),
  );
  const graph = proto.graph as onnx.GraphProto;
  return {
    path: 'op.onnx',
    proto,
    nodes: graph.node as onnx.NodeProto[],
    inputs: graph.input,
    outputs: ['y'],
    initializers: new Set(initializer.map((t) => t.name!)),
  };
}

export interface CheckOptions {
  /** Finite-difference step (1 for linear maps: the identity is then exact). */
  eps: number;
  /** Distinct inputs on a grid of this spacing, away from 0 (piecewise-linear ops stay on one piece). */
  grid?: boolean;
  batch?: number;
}

/**
 * ⟨(f(x+εv) − f(x−εv))/2ε, g⟩ against ⟨v, Jᵀg⟩ for random seeds g and directions v:
 * the relative gap, worst over three directions.
 */
export async function adjointGap(model: LoadedModel, options: CheckOptions): Promise<number> {
  const random = mulberry32(11);
  const graph = await gradientGraph(model, ['y']);
  const { session } = await createGradientSession(graph);
  const n = options.batch ?? 2;
  const per = graph.inputShape.reduce((p, d) => p * d, 1);
  const count = n * per;
  const x = new Float32Array(count);
  if (options.grid) {
    const order = Array.from({ length: count }, (_, i) => i).sort(() => random() - 0.5);
    order.forEach((k, i) => (x[i] = (k - count / 2 + 0.5) * 0.01));
  } else for (let i = 0; i < count; i++) x[i] = random() * 4 - 2;
  const tapSize = n * graph.tapShapes[0]!.reduce((p, d) => p * d, 1);
  const seed = Float32Array.from({ length: tapSize }, () => random() * 2 - 1);
  const run = async (input: Float32Array) => {
    const out = await session.run({
      [graph.input]: new ort.Tensor('float32', input, [n, ...graph.inputShape]),
      [graph.seeds[0]!]: new ort.Tensor('float32', seed, [n, ...graph.tapShapes[0]!]),
    });
    return { value: out[graph.values[0]!]!.data as Float32Array, gradient: out[graph.gradient]!.data as Float32Array };
  };
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
  };
  const { gradient } = await run(x);
  let worst = 0;
  try {
    for (let k = 0; k < 3; k++) {
      const v = Float32Array.from({ length: count }, () => random() * 2 - 1);
      const step = options.grid ? options.eps * 0.4 : options.eps;
      const plus = await run(x.map((xi, i) => xi + step * v[i]!));
      const minus = await run(x.map((xi, i) => xi - step * v[i]!));
      const numeric = (dot(plus.value, seed) - dot(minus.value, seed)) / (2 * step);
      const analytic = dot(v, gradient);
      worst = Math.max(worst, Math.abs(numeric - analytic) / Math.max(Math.abs(numeric), Math.abs(analytic), 1e-12));
    }
  } finally {
    await session.release();
  }
  return worst;
}

import { AttributeType, ElemType, KERNEL_SESSION_OPTIONS, encodeModel, intAttribute, ort, valueInfo, type onnx } from '@cnnpipe/core';

/**
 * One onnxruntime graph that turns a block of rows into its float64 sufficient statistics:
 * X and Y arrive as they come out of Arrow (float32, no JavaScript copy or conversion), are
 * cast to float64 inside the graph, and leave as the upper block triangle of X'X (P row
 * panels: panel p is X[:, s_p:e_p]' X[:, s_p:], so the Gram's symmetry saves (P-1)/2P of its
 * flops), X'Y, the column sums of X and Y and Σy². Everything runs in native code; a
 * JavaScript cast-and-copy of the block (the former GramAccumulator) cost as much as the
 * Gemms at 20k x 1024 -> 1536.
 */

export type Precision = 'float32' | 'float64';

export interface GramBlock {
  /** Panel p: (e_p - s_p) x (d - s_p), row-major. */
  panels: Float64Array[];
  xty: Float64Array;
  sumX: Float64Array;
  sumY: Float64Array;
  sumYY: Float64Array;
}

/** Panel boundaries over d columns: up to `count` panels of equal width (at least 64 wide). */
export function panelStarts(d: number, count = 4): number[] {
  const p = Math.max(1, Math.min(count, Math.floor(d / 64)));
  return Array.from({ length: p + 1 }, (_, i) => Math.round((i * d) / p));
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function gramSession(px: Precision, py: Precision, panels: number): Promise<ort.InferenceSession> {
  const key = `${px}:${py}:${panels}`;
  let session = sessions.get(key);
  if (!session) {
    const f64 = ElemType.float64;
    const node: onnx.INodeProto[] = [
      { opType: 'Cast', input: ['X'], output: ['Xd'], attribute: [intAttribute('to', f64)] },
      { opType: 'Cast', input: ['Y'], output: ['Yd'], attribute: [intAttribute('to', f64)] },
      { opType: 'Gemm', input: ['Xd', 'Yd'], output: ['XtY'], attribute: [intAttribute('transA', 1)] },
      { opType: 'ReduceSum', input: ['Xd', 'axis0'], output: ['SX'], attribute: [intAttribute('keepdims', 0)] },
      { opType: 'ReduceSum', input: ['Yd', 'axis0'], output: ['SY'], attribute: [intAttribute('keepdims', 0)] },
      {
        opType: 'ReduceSumSquare',
        input: ['Yd'],
        output: ['YY'],
        attribute: [intAttribute('keepdims', 0), { name: 'axes', type: AttributeType.INTS, ints: [0] }],
      },
    ];
    const input = [valueInfo('X', ElemType[px], ['b', 'd']), valueInfo('Y', ElemType[py], ['b', 'e']), valueInfo('axis0', ElemType.int64, [1]), valueInfo('axis1', ElemType.int64, [1]), valueInfo('dEnd', ElemType.int64, [1])];
    const output = [valueInfo('XtY', f64, ['d', 'e']), valueInfo('SX', f64, ['d']), valueInfo('SY', f64, ['e']), valueInfo('YY', f64, ['e'])];
    for (let p = 0; p < panels; p++) {
      input.push(valueInfo(`s${p}`, ElemType.int64, [1]), valueInfo(`e${p}`, ElemType.int64, [1]));
      // Panel 0's right factor is all of X: no Slice (a copy of the block) for it.
      const right = p === 0 ? 'Xd' : `B${p}`;
      node.push({ opType: 'Slice', input: ['Xd', `s${p}`, `e${p}`, 'axis1'], output: [`A${p}`] });
      if (p > 0) node.push({ opType: 'Slice', input: ['Xd', `s${p}`, 'dEnd', 'axis1'], output: [right] });
      node.push({ opType: 'Gemm', input: [`A${p}`, right], output: [`G${p}`], attribute: [intAttribute('transA', 1)] });
      output.push(valueInfo(`G${p}`, f64, [`h${p}`, `w${p}`]));
    }
    const model = encodeModel({ name: 'cnnpipe_gram_block', node, input, output });
    // Threads sleep between blocks while JavaScript gathers the next one (core's kernel options).
    session = ort.InferenceSession.create(model, KERNEL_SESSION_OPTIONS);
    sessions.set(key, session);
  }
  return session;
}

const int64 = (v: number) => new ort.Tensor('int64', BigInt64Array.of(BigInt(v)), [1]);

/** The statistics of `rows` rows of X (rows x d) and Y (rows x e), row-major. */
export async function gramBlock(
  x: Float32Array | Float64Array,
  y: Float32Array | Float64Array,
  rows: number,
  d: number,
  e: number,
  starts: number[],
): Promise<GramBlock> {
  const px: Precision = x instanceof Float64Array ? 'float64' : 'float32';
  const py: Precision = y instanceof Float64Array ? 'float64' : 'float32';
  const panels = starts.length - 1;
  const session = await gramSession(px, py, panels);
  const feeds: Record<string, ort.Tensor> = {
    X: new ort.Tensor(px, x.subarray(0, rows * d), [rows, d]),
    Y: new ort.Tensor(py, y.subarray(0, rows * e), [rows, e]),
    axis0: int64(0),
    axis1: int64(1),
    dEnd: int64(d),
  };
  for (let p = 0; p < panels; p++) {
    feeds[`s${p}`] = int64(starts[p]!);
    feeds[`e${p}`] = int64(starts[p + 1]!);
  }
  const out = await session.run(feeds);
  return {
    panels: Array.from({ length: panels }, (_, p) => out[`G${p}`]!.data as Float64Array),
    xty: out.XtY!.data as Float64Array,
    sumX: out.SX!.data as Float64Array,
    sumY: out.SY!.data as Float64Array,
    sumYY: out.YY!.data as Float64Array,
  };
}

// The network side of dream: @cnnpipe/autodiff's gradient graph of the model up to the tap,
// run by onnxruntime (forward and backward in one session). Only the input side of the
// chain rule is here; the parameterisation and transforms stay in JavaScript.
import { createGradientSession, gradientGraph, type GradientModel } from '@cnnpipe/autodiff';
import { ort, type ExecutionProvider } from '@cnnpipe/core';
import type { LoadedModel } from '@cnnpipe/extract';
import type { GradientEngine } from './render.js';

export interface EngineOptions {
  /** Side of the network input the graph is built for (extract's crop size). */
  size: number;
  ep: ExecutionProvider;
  /** Also build DeepDream's in-graph mean-of-squares objective. */
  meanSquare: boolean;
  onFallback?: (message: string) => void;
  intraOpThreads?: number;
}

interface Graph {
  model: GradientModel;
  session: ort.InferenceSession;
}

export class OnnxEngine implements GradientEngine {
  readonly tapShape: number[];
  readonly inputShape: number[];
  readonly ep: ExecutionProvider;
  private readonly per: number;
  private readonly tapSize: number;

  private constructor(
    private readonly seeded: Graph,
    private readonly squared: Graph | undefined,
    ep: ExecutionProvider,
  ) {
    this.tapShape = seeded.model.tapShapes[0]!;
    this.inputShape = seeded.model.inputShape;
    this.per = this.inputShape.reduce((a, b) => a * b, 1);
    this.tapSize = this.tapShape.reduce((a, b) => a * b, 1);
    this.ep = ep;
  }

  static async create(model: LoadedModel, tap: string, options: EngineOptions): Promise<OnnxEngine> {
    const open = async (objective: 'seed' | 'mean-square'): Promise<Graph> => {
      const graph = await gradientGraph(model, [tap], { size: options.size, objectives: [objective] });
      const { session, ep } = await createGradientSession(graph, {
        ep: options.ep,
        ...(options.onFallback ? { onFallback: options.onFallback } : {}),
        ...(options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {}),
      });
      lastEp = ep;
      return { model: graph, session };
    };
    let lastEp: ExecutionProvider = options.ep;
    const seeded = await open('seed');
    const squared = options.meanSquare ? await open('mean-square') : undefined;
    return new OnnxEngine(seeded, squared, lastEp);
  }

  /** Runs `graph` on `batch` images in chunks of the batch the model fixes (if it fixes one). */
  private async run(
    graph: Graph,
    input: Float32Array,
    batch: number,
    seed: Float32Array | undefined,
    withGradient: boolean,
  ): Promise<{ values: Float32Array; gradient: Float32Array }> {
    const { model, session } = graph;
    const chunk = model.batch ?? batch;
    const values = new Float32Array(batch * this.tapSize);
    const gradient = new Float32Array(withGradient ? batch * this.per : 0);
    for (let start = 0; start < batch; start += chunk) {
      const n = Math.min(chunk, batch - start);
      const rows = model.batch ?? n;
      let x = input.subarray(start * this.per, (start + n) * this.per);
      if (rows !== n) {
        const padded = new Float32Array(rows * this.per);
        padded.set(x);
        x = padded;
      }
      const feeds: Record<string, ort.Tensor> = { [model.input]: new ort.Tensor('float32', x, [rows, ...this.inputShape]) };
      const seedName = model.seeds[0];
      if (seedName) {
        const s = new Float32Array(rows * this.tapSize);
        if (seed) s.set(seed.subarray(start * this.tapSize, (start + n) * this.tapSize));
        feeds[seedName] = new ort.Tensor('float32', s, [rows, ...this.tapShape]);
      }
      const fetch = withGradient ? [model.values[0]!, model.gradient] : [model.values[0]!];
      const out = await session.run(feeds, fetch);
      values.set((out[model.values[0]!]!.data as Float32Array).subarray(0, n * this.tapSize), start * this.tapSize);
      if (withGradient) gradient.set((out[model.gradient]!.data as Float32Array).subarray(0, n * this.per), start * this.per);
    }
    return { values, gradient };
  }

  async values(input: Float32Array, batch: number): Promise<Float32Array> {
    return (await this.run(this.seeded, input, batch, undefined, false)).values;
  }

  gradient(input: Float32Array, batch: number, seed: Float32Array): Promise<{ values: Float32Array; gradient: Float32Array }> {
    return this.run(this.seeded, input, batch, seed, true);
  }

  meanSquareGradient(input: Float32Array, batch: number): Promise<{ values: Float32Array; gradient: Float32Array }> {
    if (!this.squared) throw new Error('the mean-square graph was not built (meanSquare: false)');
    return this.run(this.squared, input, batch, undefined, true);
  }
}

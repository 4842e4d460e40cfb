// The network side of dream: @cnnpipe/autodiff's gradient graph of the model up to the tap,
// run by onnxruntime (forward and backward in one session). Only the input side of the
// chain rule is here; the parameterisation and transforms stay in JavaScript.
//
// A tap that is a ReLU's output (most layers of a CNN) gets Lucid's redirected ReLU gradient
// (lucid/optvis/redirected_relu_grad.py) at that one ReLU: where the ReLU passes no gradient
// at all for an image (the unit is off at every position, as at a gray start), the step is
// differentiated at the ReLU's input instead, with the seed kept wherever it pushes the input
// up. Otherwise the gradient is exactly the ReLU output's, and the second graph (at the
// ReLU's input) is built only the first time an image needs it. Without it, a unit that is off on the
// initial image never moves (zoo VGG block1, 64 steps: 3 of 16 units stayed at 0).
import { createGradientSession, gradientGraph, type GradientModel } from '@cnnpipe/autodiff';
import { ort, type ExecutionProvider } from '@cnnpipe/core';
import type { LoadedModel } from '@cnnpipe/extract';
import type { GradientEngine } from './render.js';

export interface EngineOptions {
  /** Lucid's redirected gradient at the tap's own ReLU (see above); default true. */
  redirectRelu?: boolean;
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

  private preReluGraph: Promise<Graph> | undefined;

  private constructor(
    private readonly seeded: Graph,
    private readonly squared: Graph | undefined,
    ep: ExecutionProvider,
    /** Opens the gradient graph at the input of the ReLU whose output is the tap (undefined: no such ReLU). */
    private readonly openPreRelu: (() => Promise<Graph>) | undefined,
  ) {
    this.tapShape = seeded.model.tapShapes[0]!;
    this.inputShape = seeded.model.inputShape;
    this.per = this.inputShape.reduce((a, b) => a * b, 1);
    this.tapSize = this.tapShape.reduce((a, b) => a * b, 1);
    this.ep = ep;
  }

  static async create(model: LoadedModel, tap: string, options: EngineOptions): Promise<OnnxEngine> {
    const relu = options.redirectRelu === false ? undefined : model.nodes.find((n) => n.opType === 'Relu' && n.output[0] === tap);
    const open = async (objective: 'seed' | 'mean-square', at = tap): Promise<Graph> => {
      const graph = await gradientGraph(model, [at], { size: options.size, objectives: [objective] });
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
    const reluInput = relu?.input[0];
    return new OnnxEngine(seeded, squared, lastEp, reluInput ? () => open('seed', reluInput) : undefined);
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

  async gradient(input: Float32Array, batch: number, seed: Float32Array): Promise<{ values: Float32Array; gradient: Float32Array }> {
    const result = await this.run(this.seeded, input, batch, seed, true);
    if (!this.openPreRelu) return result;
    const dead = deadImages(result.values, seed, batch);
    if (dead.length === 0) return result;
    // Those images again, differentiated at the ReLU's input with the redirected seed.
    this.preReluGraph ??= this.openPreRelu();
    const graph = await this.preReluGraph;
    const pre = (await this.run(graph, input, batch, undefined, false)).values;
    const redirected = redirectedReluSeed(pre, seed, dead, this.tapSize);
    const { gradient } = await this.run(graph, input, batch, redirected, true);
    for (const b of dead) result.gradient.set(gradient.subarray(b * this.per, (b + 1) * this.per), b * this.per);
    return result;
  }

  get meanSquareGradient(): ((input: Float32Array, batch: number) => Promise<{ values: Float32Array; gradient: Float32Array }>) | undefined {
    const squared = this.squared;
    return squared ? (input, batch) => this.run(squared, input, batch, undefined, true) : undefined;
  }
}

/** The images whose ReLU output passes none of the seed (the unit is off wherever the seed is). */
export function deadImages(values: Float32Array, seed: Float32Array, batch: number): number[] {
  const per = values.length / batch;
  const dead: number[] = [];
  for (let b = 0; b < batch; b++) {
    let passed = false;
    for (let i = b * per; i < (b + 1) * per && !passed; i++) passed = values[i]! > 0 && seed[i] !== 0;
    if (!passed) dead.push(b);
  }
  return dead;
}

/**
 * Lucid's redirected gradient at a ReLU's input for images `dead` (zero elsewhere): the
 * output's seed wherever the input is positive or the seed pushes it up.
 */
export function redirectedReluSeed(pre: Float32Array, seed: Float32Array, dead: number[], per: number): Float32Array {
  const out = new Float32Array(seed.length);
  for (const b of dead) for (let i = b * per; i < (b + 1) * per; i++) if (pre[i]! > 0 || seed[i]! > 0) out[i] = seed[i]!;
  return out;
}

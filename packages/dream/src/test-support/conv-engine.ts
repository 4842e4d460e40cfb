// A tiny network in plain JavaScript for tests that must not wait on onnxruntime:
// tap = relu(conv3x3(x, weights) + bias), stride 1, zero padding 1, with its exact adjoint.
import { gaussian, seededRng } from '../random.js';
import type { GradientEngine } from '../render.js';

export class ConvEngine implements GradientEngine {
  readonly tapShape: number[];
  readonly weights: Float32Array;
  readonly bias: Float32Array;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly size: number,
    seed = 1,
  ) {
    this.tapShape = [outChannels, size, size];
    this.weights = gaussian(seededRng(seed), outChannels * inChannels * 9, 0.5);
    this.bias = gaussian(seededRng(seed + 1), outChannels, 0.1);
  }

  private pre(input: Float32Array, batch: number): Float32Array {
    const { inChannels: I, outChannels: O, size: S } = this;
    const out = new Float32Array(batch * O * S * S);
    for (let b = 0; b < batch; b++)
      for (let o = 0; o < O; o++)
        for (let y = 0; y < S; y++)
          for (let x = 0; x < S; x++) {
            let s = this.bias[o]!;
            for (let i = 0; i < I; i++)
              for (let dy = -1; dy <= 1; dy++)
                for (let dx = -1; dx <= 1; dx++) {
                  const yy = y + dy;
                  const xx = x + dx;
                  if (yy < 0 || xx < 0 || yy >= S || xx >= S) continue;
                  s += this.weights[((o * I + i) * 3 + dy + 1) * 3 + dx + 1]! * input[((b * I + i) * S + yy) * S + xx]!;
                }
            out[((b * O + o) * S + y) * S + x] = s;
          }
    return out;
  }

  async values(input: Float32Array, batch: number): Promise<Float32Array> {
    return this.pre(input, batch).map((v) => Math.max(0, v));
  }

  async gradient(input: Float32Array, batch: number, seed: Float32Array): Promise<{ values: Float32Array; gradient: Float32Array }> {
    const { inChannels: I, outChannels: O, size: S } = this;
    const pre = this.pre(input, batch);
    const gradient = new Float32Array(input.length);
    for (let b = 0; b < batch; b++)
      for (let o = 0; o < O; o++)
        for (let y = 0; y < S; y++)
          for (let x = 0; x < S; x++) {
            const at = ((b * O + o) * S + y) * S + x;
            if (pre[at]! <= 0) continue;
            const g = seed[at]!;
            for (let i = 0; i < I; i++)
              for (let dy = -1; dy <= 1; dy++)
                for (let dx = -1; dx <= 1; dx++) {
                  const yy = y + dy;
                  const xx = x + dx;
                  if (yy < 0 || xx < 0 || yy >= S || xx >= S) continue;
                  gradient[((b * I + i) * S + yy) * S + xx] += this.weights[((o * I + i) * 3 + dy + 1) * 3 + dx + 1]! * g;
                }
          }
    return { values: pre.map((v) => Math.max(0, v)), gradient };
  }
}

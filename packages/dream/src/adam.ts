// torch.optim.Adam (Lucent's optimiser, lr 0.05), in float32 as PyTorch keeps its state:
// m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2, p -= lr / (1-b1^t) * m / (sqrt(v) / sqrt(1-b2^t) + eps).
// Lucent minimises -objective; `ascend` takes d objective / d p and moves p up it, the same step.
export class Adam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;

  constructor(
    size: number,
    readonly lr = 0.05,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly eps = 1e-8,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  ascend(params: Float32Array, grad: Float32Array): void {
    this.t++;
    const { m, v, beta1, beta2 } = this;
    const bc1 = 1 - beta1 ** this.t;
    const bc2 = Math.sqrt(1 - beta2 ** this.t);
    const step = this.lr / bc1;
    for (let i = 0; i < params.length; i++) {
      // Minimising the loss -objective: its gradient is -grad.
      const g = -grad[i]!;
      m[i] = beta1 * m[i]! + (1 - beta1) * g;
      v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
      params[i] = params[i]! - (step * m[i]!) / (Math.sqrt(v[i]!) / bc2 + this.eps);
    }
  }
}

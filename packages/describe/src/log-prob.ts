/**
 * log p(t | E_k) of (soft-)WPMI for one block of concepts, every neuron at once:
 *
 *   soft-wpmi:  Σ_i log(1 + p_i·(S[x_ki, t] − 1) + minProb)     (x_ki: neuron k's i-th top image)
 *   wpmi:       Σ_i log(S[x_ki, t] + minProb)
 *
 * This is the tool's inner loop: neurons x top x concepts terms (512 x 100 x 20k = 1e9).
 * The logarithm dominates a term-by-term evaluation, so the factors are multiplied and one
 * log is taken per `chunk` factors — a product that cannot under- or overflow float64 for
 * the factors' bounds (soft-wpmi's factors are ≥ 1 − max p_i + minProb = 0.002: all 100 in
 * one product) — and the loop is fused, reading S once per (image, concept) without the
 * neurons x top x concepts gather that onnxruntime's Gather + Log + ReduceSum would write
 * (~110 ms per 256 concepts for 51,200 top entries there, ~45 ms here).
 */
export interface LogProbPlan {
  /** neurons x top rows of S (the top images, strongest first). */
  rows: Int32Array;
  neurons: number;
  top: number;
  /** soft-wpmi's p_i (length top); null for wpmi. */
  weights: Float64Array | null;
  minProb: number;
  /** Factors per logarithm. */
  chunk: number;
}

/** How many factors in [lo, hi] multiply safely in float64 (|log| of the product ≤ 650). */
export function safeChunk(lo: number, hi: number, top: number): number {
  if (!(lo > 0)) return 1;
  const bound = Math.max(Math.abs(Math.log(lo)), Math.abs(Math.log(hi)), 1e-300);
  return Math.max(1, Math.min(top, Math.floor(650 / bound)));
}

/**
 * Fills `out` (neurons x b) from S (rows x b, row-major); `prod` is scratch of length b.
 */
export function logProbGivenNeuron(plan: LogProbPlan, s: Float64Array, b: number, out: Float64Array, prod: Float64Array): void {
  const { rows, neurons, top, weights, minProb, chunk } = plan;
  for (let k = 0; k < neurons; k++) {
    const o = k * b;
    out.fill(0, o, o + b);
    prod.fill(1, 0, b);
    let pending = 0;
    for (let i = 0; i < top; i++) {
      const base = rows[k * top + i]! * b;
      if (weights) {
        const p = weights[i]!;
        for (let t = 0; t < b; t++) prod[t]! *= 1 + p * (s[base + t]! - 1) + minProb;
      } else {
        for (let t = 0; t < b; t++) prod[t]! *= s[base + t]! + minProb;
      }
      if (++pending === chunk) {
        for (let t = 0; t < b; t++) {
          out[o + t]! += Math.log(prod[t]!);
          prod[t] = 1;
        }
        pending = 0;
      }
    }
    if (pending > 0) for (let t = 0; t < b; t++) out[o + t]! += Math.log(prod[t]!);
  }
}

/**
 * log p(t | E_k) of (soft-)WPMI for one block of concepts, every neuron at once:
 *
 *   soft-wpmi:  Σ_i log(1 + p_i·(S[x_ki, t] − 1) + minProb)     (x_ki: neuron k's i-th top image)
 *   wpmi:       Σ_i log(S[x_ki, t] + minProb)
 *
 * This is the tool's inner loop: neurons x top x concepts terms (512 x 100 x 20k = 1e9).
 * Two choices make it cheap, measured on 512 neurons x 100 top images x 419 concepts:
 * - the factors are multiplied and one log is taken per `chunk` factors, a product that
 *   cannot under- or overflow float64 for the factors' bounds (soft-wpmi's factors are
 *   ≥ 1 − max p_i + minProb = 0.002: all 100 in one product); a log per term was ~4x slower;
 * - S is read once, row by row, each row updating the neurons whose top images include that
 *   image (the entries grouped by image, CSR-like), instead of once per (neuron, rank): 172 MB
 *   of scattered row reads per block become 34 MB read in order.
 */
export interface LogProbPlan {
  /** Entries of S row r: start[r] .. start[r+1]. */
  start: Int32Array;
  /** Each entry's neuron. */
  neuron: Int32Array;
  /** Each entry's p_i (soft-wpmi); unused for wpmi. */
  weight: Float64Array;
  neurons: number;
  soft: boolean;
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
 * The plan for neurons x top image rows (`rows[k·top + i]`: neuron k's i-th image, a row of
 * S among `u`), with weights[i] = p_i (soft-wpmi) or null (wpmi).
 */
export function logProbPlan(
  rows: Int32Array,
  neurons: number,
  top: number,
  u: number,
  weights: Float64Array | null,
  minProb: number,
  chunk: number,
): LogProbPlan {
  const start = new Int32Array(u + 1);
  for (const r of rows) start[r + 1]!++;
  for (let r = 0; r < u; r++) start[r + 1]! += start[r]!;
  const fill = start.slice(0, u);
  const neuron = new Int32Array(rows.length);
  const weight = new Float64Array(rows.length);
  for (let k = 0; k < neurons; k++) {
    for (let i = 0; i < top; i++) {
      const e = fill[rows[k * top + i]!]!++;
      neuron[e] = k;
      weight[e] = weights ? weights[i]! : 1;
    }
  }
  return { start, neuron, weight, neurons, soft: weights !== null, minProb, chunk };
}

export interface LogProbScratch {
  prod: Float64Array;
  count: Int32Array;
}

export function logProbScratch(neurons: number, b: number): LogProbScratch {
  return { prod: new Float64Array(neurons * b), count: new Int32Array(neurons) };
}

/** Fills `out` (neurons x b) from S (u x b, row-major). */
export function logProbGivenNeuron(plan: LogProbPlan, s: Float32Array | Float64Array, b: number, out: Float64Array, scratch: LogProbScratch): void {
  const { start, neuron, weight, neurons, soft, minProb, chunk } = plan;
  const { prod, count } = scratch;
  const u = start.length - 1;
  out.fill(0, 0, neurons * b);
  prod.fill(1, 0, neurons * b);
  count.fill(0);
  for (let r = 0; r < u; r++) {
    const base = r * b;
    for (let e = start[r]!; e < start[r + 1]!; e++) {
      const k = neuron[e]!;
      const o = k * b;
      if (soft) {
        const p = weight[e]!;
        for (let t = 0; t < b; t++) prod[o + t]! *= 1 + p * (s[base + t]! - 1) + minProb;
      } else {
        for (let t = 0; t < b; t++) prod[o + t]! *= s[base + t]! + minProb;
      }
      if (++count[k]! === chunk) {
        for (let t = 0; t < b; t++) {
          out[o + t]! += Math.log(prod[o + t]!);
          prod[o + t] = 1;
        }
        count[k] = 0;
      }
    }
  }
  for (let k = 0; k < neurons; k++) {
    if (count[k] === 0) continue;
    const o = k * b;
    for (let t = 0; t < b; t++) out[o + t]! += Math.log(prod[o + t]!);
  }
}

/**
 * log p(t | E_k) of (soft-)WPMI for one block of concepts, every neuron at once:
 *
 *   soft-wpmi:  Σ_i log(1 + p_i·(S[x_ki, t] − 1) + minProb)     (x_ki: neuron k's i-th top image)
 *   wpmi:       Σ_i log(S[x_ki, t] + minProb)
 *
 * This is the tool's inner loop: neurons x top x concepts terms (512 x 100 x 20k = 1e9).
 * Three choices make it cheap (measured on 512 neurons x 100 top images x 419 concepts):
 * - each factor is written p_i·(γ_i + S) with γ_i = (1 − p_i + minProb)/p_i, so the
 *   constant Σ_i log p_i comes out of the sum and the loop does one add and one multiply
 *   per term (wpmi: p_i = 1, γ_i = minProb), the same loop for both;
 * - the factors are multiplied and one log is taken per `chunk` factors, a product that
 *   cannot under- or overflow float64 for the factors' bounds (soft-wpmi's are ≥ 0.002:
 *   all 100 in one product); a log per term was ~4x slower;
 * - S is read once, row by row, each row updating the neurons whose top images include that
 *   image (the entries grouped by image, CSR-like), instead of once per (neuron, rank): 172 MB
 *   of scattered row reads per block become 34 MB read in order.
 * The factored form differs from the original's rounding by ~1e-15 relative.
 */
export interface LogProbPlan {
  /** Entries of S row r: start[r] .. start[r+1]. */
  start: Int32Array;
  /** Each entry's neuron. */
  neuron: Int32Array;
  /** Each entry's γ_i. */
  gamma: Float64Array;
  /** Per neuron, Σ_i log p_i plus the log of the factors with p_i = 0 (1 + minProb each). */
  offset: Float64Array;
  neurons: number;
  /** Factors per logarithm. */
  chunk: number;
}

/** How many factors in [lo, hi] multiply safely in float64 (|log| of the product ≤ 650). */
export function safeChunk(lo: number, hi: number, top: number): number {
  if (!(lo > 0) || !Number.isFinite(hi)) return 1;
  const bound = Math.max(Math.abs(Math.log(lo)), Math.abs(Math.log(hi)), 1e-300);
  return Math.max(1, Math.min(top, Math.floor(650 / bound)));
}

/**
 * The plan for neurons x top image rows (`rows[k·top + i]`: neuron k's i-th image, a row of
 * S among `u`), with weights[i] = p_i (soft-wpmi) or null (wpmi: every p_i = 1).
 */
export function logProbPlan(rows: Int32Array, neurons: number, top: number, u: number, weights: Float64Array | null, minProb: number): LogProbPlan {
  const p = (i: number) => (weights ? weights[i]! : 1);
  const kept = (i: number) => p(i) > 0;
  const start = new Int32Array(u + 1);
  for (let k = 0; k < neurons; k++) for (let i = 0; i < top; i++) if (kept(i)) start[rows[k * top + i]! + 1]!++;
  for (let r = 0; r < u; r++) start[r + 1]! += start[r]!;
  const fill = start.slice(0, u);
  const neuron = new Int32Array(start[u]!);
  const gamma = new Float64Array(start[u]!);
  let constant = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (let i = 0; i < top; i++) {
    if (kept(i)) {
      const g = (1 - p(i) + minProb) / p(i);
      lo = Math.min(lo, g);
      hi = Math.max(hi, g + 1);
      constant += Math.log(p(i));
    } else constant += Math.log(1 + minProb);
  }
  for (let k = 0; k < neurons; k++) {
    for (let i = 0; i < top; i++) {
      if (!kept(i)) continue;
      const e = fill[rows[k * top + i]!]!++;
      neuron[e] = k;
      gamma[e] = (1 - p(i) + minProb) / p(i);
    }
  }
  return { start, neuron, gamma, offset: new Float64Array(neurons).fill(constant), neurons, chunk: safeChunk(lo, hi, top) };
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
  const { start, neuron, gamma, offset, neurons, chunk } = plan;
  const { prod, count } = scratch;
  const u = start.length - 1;
  for (let k = 0; k < neurons; k++) out.fill(offset[k]!, k * b, (k + 1) * b);
  prod.fill(1, 0, neurons * b);
  count.fill(0);
  for (let r = 0; r < u; r++) {
    const base = r * b;
    for (let e = start[r]!; e < start[r + 1]!; e++) {
      const k = neuron[e]!;
      const o = k * b;
      const g = gamma[e]!;
      for (let t = 0; t < b; t++) prod[o + t]! *= g + s[base + t]!;
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

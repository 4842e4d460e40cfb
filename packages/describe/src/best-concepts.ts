/**
 * Each neuron's `size` best concepts so far, best first, over blocks of concepts seen in
 * order: torch.max's description plus the runner-ups. A concept replaces a kept one only
 * with a strictly larger score, so equal scores keep the earlier concept first (as
 * torch.max and a stable sort do). NaN scores are never kept.
 */
export class BestConcepts {
  readonly concept: Int32Array;
  readonly score: Float64Array;

  constructor(
    readonly neurons: number,
    readonly size: number,
  ) {
    this.concept = new Int32Array(neurons * size).fill(-1);
    this.score = new Float64Array(neurons * size).fill(Number.NEGATIVE_INFINITY);
  }

  /** Offers neuron `k` the scores `scores[offset .. offset+count)` of concepts `first ..`. */
  offer(k: number, scores: Float32Array | Float64Array, offset: number, count: number, first: number): void {
    const size = this.size;
    const base = k * size;
    const score = this.score;
    const concept = this.concept;
    let worst = score[base + size - 1]!;
    for (let t = 0; t < count; t++) {
      const s = scores[offset + t]!;
      if (!(s > worst)) continue;
      let j = base + size - 1;
      while (j > base && s > score[j - 1]!) {
        score[j] = score[j - 1]!;
        concept[j] = concept[j - 1]!;
        j--;
      }
      score[j] = s;
      concept[j] = first + t;
      worst = score[base + size - 1]!;
    }
  }
}

/**
 * The exact per-unit threshold T_k = the (1 - q) quantile of unit k's activations over all
 * images and positions (numpy's default 'linear' method), from a mergeable summary: the
 * `keep` largest values of each unit, where keep = n - floor((n - 1)(1 - q)) for the
 * dataset's n values per unit. n is known before the pass (images x H x W from the probe's
 * index), so each shard keeps the same `keep`; the union of the shards' top-`keep` values
 * contains the global top `keep` (a value in the global top `keep` has fewer than `keep`
 * larger values in its own shard), so merging is exact: error bound 0. Memory and the
 * summary's size: units x keep float32 per layer (~q of the layer's activations: Broden's
 * 63k images at 7x7 x 512 units keep ~32 MB), with a buffer of twice that while streaming.
 */
export function keepCount(n: number, q: number): number {
  return n - Math.floor((n - 1) * (1 - q));
}

/** numpy.quantile's linear interpolation (numpy >= 1.22 `_lerp`) between order statistics a <= b. */
export function lerp(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * The threshold from a unit's kept values sorted ascending (at least the top `keep`):
 * the order statistics at floor(h) and floor(h)+1, h = (n - 1)(1 - q).
 */
export function thresholdFromTop(sortedTop: Float32Array, n: number, q: number): number {
  const h = (n - 1) * (1 - q);
  const lo = Math.floor(h);
  const keep = n - lo;
  const base = sortedTop.length - keep; // sortedTop may hold more than keep values
  const a = sortedTop[base]!;
  const b = lo + 1 < n ? sortedTop[base + 1]! : a;
  return lerp(a, b, h - lo);
}

/** Streaming top-`keep` values per unit, in one flat buffer of twice that per unit. */
export class TopValues {
  readonly buffer: Float32Array;
  readonly lengths: Int32Array;
  private readonly cutoff: Float32Array;
  private readonly capacity: number;

  constructor(
    readonly units: number,
    readonly keep: number,
  ) {
    this.capacity = Math.max(2 * keep, 64);
    this.buffer = new Float32Array(units * this.capacity);
    this.lengths = new Int32Array(units);
    this.cutoff = new Float32Array(units).fill(Number.NEGATIVE_INFINITY);
  }

  /** Adds a batch [B, units, hw] (float32, NCHW as onnxruntime returns it). */
  addBatch(data: Float32Array, batch: number, hw: number): void {
    const { units, capacity, buffer, lengths, cutoff } = this;
    for (let b = 0; b < batch; b++) {
      for (let k = 0; k < units; k++) {
        const start = (b * units + k) * hw;
        const slot = k * capacity;
        let cut = cutoff[k]!;
        let len = lengths[k]!;
        for (let j = start, end = start + hw; j < end; j++) {
          const v = data[j]!;
          // Equal to the cutoff adds nothing: the top-keep multiset of values is the same.
          if (v > cut) {
            buffer[slot + len++] = v;
            if (len === capacity) {
              len = this.compact(k, len);
              cut = cutoff[k]!;
            }
          }
        }
        lengths[k] = len;
      }
    }
  }

  /** Adds another summary's values for unit k. */
  addValues(k: number, values: Float32Array): void {
    const slot = k * this.capacity;
    let len = this.lengths[k]!;
    for (let j = 0; j < values.length; j++) {
      const v = values[j]!;
      if (v > this.cutoff[k]!) {
        this.buffer[slot + len++] = v;
        if (len === this.capacity) len = this.compact(k, len);
      }
    }
    this.lengths[k] = len;
  }

  /** Keeps the largest `keep` (a native numeric sort of 2 keep values per keep values added: O(log keep) each). */
  private compact(k: number, len: number): number {
    const slot = k * this.capacity;
    this.buffer.subarray(slot, slot + len).sort();
    if (len <= this.keep) return len;
    this.buffer.copyWithin(slot, slot + len - this.keep, slot + len);
    this.cutoff[k] = this.buffer[slot]!;
    return this.keep;
  }

  /** Unit k's kept values, ascending (the top `keep`, or all if fewer were seen). */
  top(k: number): Float32Array {
    const len = this.compact(k, this.lengths[k]!);
    this.lengths[k] = len;
    const slot = k * this.capacity;
    return this.buffer.slice(slot, slot + len);
  }

  /** Thresholds for n values per unit (n must be what was added, across every shard merged in). */
  thresholds(n: number, q: number): Float64Array {
    const out = new Float64Array(this.units);
    for (let k = 0; k < this.units; k++) {
      const top = this.top(k);
      if (top.length < Math.min(this.keep, n)) throw new Error(`unit ${k}: ${top.length} values kept, ${this.keep} needed (n = ${n})`);
      out[k] = thresholdFromTop(top, n, q);
    }
    return out;
  }
}

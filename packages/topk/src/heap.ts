/**
 * Bounded top-K selection per neuron over a stream of rows, in typed arrays.
 *
 * Each neuron keeps a min-heap of its K best entries, keyed by (key, seq): a larger key is
 * better, and among equal keys the smaller sequence number (the earlier image) is better.
 * Rows arrive in increasing `seq`, so a new value can only displace the heap's worst entry
 * when its key is strictly above the current threshold (the root's key): one comparison
 * per (row, neuron) in the common case, a heap operation only when it wins.
 * For --bottom the key is the negated value, so the same code keeps the K smallest.
 */

/** What is kept for one selected entry beside its value: the row's payload. */
export interface Entry<P> {
  /** The activation (for --bottom: still the activation, not the negated key). */
  value: number;
  /** Stream order: smaller is earlier. */
  seq: number;
  /** The per-neuron extra (argmax), or -1 / null sentinel when none. */
  extra: number;
  payload: P;
}

export class NeuronHeaps<P> {
  /** Keys (value, or -value for bottom) of each neuron's heap: neurons x k. */
  private keys: Float64Array;
  private seqs: Float64Array;
  private extras: Int32Array;
  private payloads: (P | undefined)[];
  /** Entries held by each neuron. */
  private counts: Int32Array;
  /** Per neuron: the key a new entry must beat (-Infinity while the heap is not full). */
  readonly threshold: Float64Array;
  neurons: number;

  constructor(
    neurons: number,
    readonly k: number,
    readonly bottom = false,
  ) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
    this.neurons = neurons;
    this.keys = new Float64Array(neurons * k);
    this.seqs = new Float64Array(neurons * k);
    this.extras = new Int32Array(neurons * k);
    this.payloads = new Array<P | undefined>(neurons * k);
    this.counts = new Int32Array(neurons);
    this.threshold = new Float64Array(neurons).fill(-Infinity);
  }

  /** Makes room for at least `neurons` neurons (topk tables do not say how many up front). */
  grow(neurons: number): void {
    if (neurons <= this.neurons) return;
    const k = this.k;
    const grown = (a: Float64Array) => {
      const b = new Float64Array(neurons * k);
      b.set(a);
      return b;
    };
    this.keys = grown(this.keys);
    this.seqs = grown(this.seqs);
    const extras = new Int32Array(neurons * k);
    extras.set(this.extras);
    this.extras = extras;
    this.payloads.length = neurons * k;
    const counts = new Int32Array(neurons);
    counts.set(this.counts);
    this.counts = counts;
    const threshold = new Float64Array(neurons).fill(-Infinity);
    threshold.set(this.threshold);
    (this as { threshold: Float64Array }).threshold = threshold;
    this.neurons = neurons;
  }

  /** The key of a value: larger is better. */
  keyOf(value: number): number {
    return this.bottom ? -value : value;
  }

  /**
   * Offers (value, seq) to `neuron`. Sequence numbers must not decrease between calls for
   * one neuron. NaN never enters. Returns whether it was kept.
   */
  offer(neuron: number, value: number, seq: number, extra: number, payload: P): boolean {
    const key = this.bottom ? -value : value;
    if (!(key > this.threshold[neuron]!)) return false;
    this.insert(neuron, key, seq, extra, payload);
    return true;
  }

  /** (a worse than b): smaller key, or equal key and later seq. */
  private worse(i: number, j: number): boolean {
    const ki = this.keys[i]!;
    const kj = this.keys[j]!;
    return ki < kj || (ki === kj && this.seqs[i]! > this.seqs[j]!);
  }

  private swap(i: number, j: number): void {
    const { keys, seqs, extras, payloads } = this;
    let t = keys[i]!;
    keys[i] = keys[j]!;
    keys[j] = t;
    t = seqs[i]!;
    seqs[i] = seqs[j]!;
    seqs[j] = t;
    const e = extras[i]!;
    extras[i] = extras[j]!;
    extras[j] = e;
    const p = payloads[i];
    payloads[i] = payloads[j];
    payloads[j] = p;
  }

  private insert(neuron: number, key: number, seq: number, extra: number, payload: P): void {
    const k = this.k;
    const base = neuron * k;
    const count = this.counts[neuron]!;
    if (count < k) {
      // Append and sift up.
      let i = count;
      const at = base + i;
      this.keys[at] = key;
      this.seqs[at] = seq;
      this.extras[at] = extra;
      this.payloads[at] = payload;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(base + i, base + parent)) break;
        this.swap(base + i, base + parent);
        i = parent;
      }
      this.counts[neuron] = count + 1;
      if (count + 1 === k) this.threshold[neuron] = this.keys[base]!;
      return;
    }
    // Replace the root (the worst) and sift down.
    this.keys[base] = key;
    this.seqs[base] = seq;
    this.extras[base] = extra;
    this.payloads[base] = payload;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= k) break;
      const right = left + 1;
      let worst = left;
      if (right < k && this.worse(base + right, base + left)) worst = right;
      if (!this.worse(base + worst, base + i)) break;
      this.swap(base + i, base + worst);
      i = worst;
    }
    this.threshold[neuron] = this.keys[base]!;
  }

  /** Entries held by `neuron`. */
  count(neuron: number): number {
    return this.counts[neuron]!;
  }

  /** The neuron's entries, best first (rank 1 = strongest; ties: earlier seq first). */
  sorted(neuron: number): Entry<P>[] {
    const base = neuron * this.k;
    const n = this.counts[neuron]!;
    const out: Entry<P>[] = [];
    for (let i = 0; i < n; i++) {
      const key = this.keys[base + i]!;
      out.push({
        value: this.bottom ? -key : key,
        seq: this.seqs[base + i]!,
        extra: this.extras[base + i]!,
        payload: this.payloads[base + i] as P,
      });
    }
    const sign = this.bottom ? -1 : 1;
    out.sort((a, b) => sign * (b.value - a.value) || a.seq - b.seq);
    return out;
  }
}

/**
 * Offers a block of rows (rows x neurons, row-major) to the heaps: the hot loop of topk.
 * `payloadOf(r)` is called only for rows that enter some heap; `extras` (same shape,
 * optional) is each entry's argmax.
 */
export function offerBlock<P>(
  heaps: NeuronHeaps<P>,
  values: Float32Array | Float64Array,
  rows: number,
  firstSeq: number,
  payloadOf: (row: number) => P,
  extras?: Int32Array,
): void {
  const c = heaps.neurons;
  if (values.length < rows * c) throw new Error(`offerBlock: ${values.length} values for ${rows}x${c}`);
  const threshold = heaps.threshold;
  const bottom = heaps.bottom;
  for (let r = 0; r < rows; r++) {
    const base = r * c;
    for (let n = 0; n < c; n++) {
      const v = values[base + n]!;
      // Inline threshold test; only winners pay for the heap operation.
      if (bottom ? -v > threshold[n]! : v > threshold[n]!) {
        heaps.offer(n, v, firstSeq + r, extras ? extras[base + n]! : -1, payloadOf(r));
      }
    }
  }
}

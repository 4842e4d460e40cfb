/**
 * Bounded top-K selection per neuron over a stream of rows, in typed arrays.
 *
 * Each neuron keeps a min-heap of its K best entries, keyed by (key, tie, seq): a larger key
 * is better; among equal keys the smaller tie string (the image path) is better, then the
 * smaller sequence number. Ties by path rather than arrival order make a sharded run merged
 * (`concat parts | topk`) equal the single run byte for byte, dead units (all zeros)
 * included. A new value displaces the heap's worst entry when its key is above the current
 * threshold (the root's key), or equal to it with a smaller tie: one comparison per
 * (row, neuron) in the common case; a string comparison only on an exact tie.
 * For --bottom the key is the negated value, so the same code keeps the K smallest.
 */

/** What is kept for one selected entry beside its value: the row's payload. */
export interface Entry<P> {
  /** The activation (for --bottom: still the activation, not the negated key). */
  value: number;
  /** Stream order: smaller is earlier. */
  seq: number;
  /** The tie key (image path), null when the row has none. */
  tie: string | null;
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
  private ties: (string | null)[];
  /** Entries held by each neuron. */
  private counts: Int32Array;
  /** Per neuron: the key a new entry must beat (-Infinity while the heap is not full). */
  readonly threshold: Float64Array;
  neurons: number;

  constructor(
    neurons: number,
    readonly k: number,
    readonly bottom = false,
    /** The tie key of a payload (topk: the image path); none: ties by seq alone. */
    readonly tieOf: (payload: P) => string | null = () => null,
  ) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
    this.neurons = neurons;
    this.keys = new Float64Array(neurons * k);
    this.seqs = new Float64Array(neurons * k);
    this.extras = new Int32Array(neurons * k);
    this.payloads = new Array<P | undefined>(neurons * k);
    this.ties = new Array<string | null>(neurons * k).fill(null);
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
    const ties = this.ties;
    this.ties = new Array<string | null>(neurons * k).fill(null);
    for (let i = 0; i < ties.length; i++) this.ties[i] = ties[i]!;
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
    const t = this.threshold[neuron]!;
    if (!(key > t) && !(key === t && this.beatsRoot(neuron, key, seq, payload))) return false;
    this.insert(neuron, key, seq, extra, payload);
    return true;
  }

  /** Whether (key, tie, seq) beats a full heap's worst entry (the caller saw key === threshold). */
  beatsRoot(neuron: number, key: number, seq: number, payload: P): boolean {
    if (this.counts[neuron]! < this.k) return false;
    const base = neuron * this.k;
    return worse(this.keys[base]!, this.ties[base]!, this.seqs[base]!, key, this.tieOf(payload), seq);
  }

  /**
   * Puts (key, seq) into the neuron's heap; the caller has checked `key > threshold`.
   * Sifting moves a hole rather than swapping, so each level writes one entry, not two;
   * the decisions (and so the resulting heap) are those of the textbook swap version.
   */
  insert(neuron: number, key: number, seq: number, extra: number, payload: P): void {
    const k = this.k;
    const base = neuron * k;
    const { keys, seqs, extras, payloads, ties } = this;
    const tie = this.tieOf(payload);
    const count = this.counts[neuron]!;
    if (count < k) {
      // Append and sift up: move the parent down while the new entry is worse than it.
      let i = count;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const pk = keys[base + parent]!;
        if (!(key < pk || (key === pk && worse(key, tie, seq, pk, ties[base + parent]!, seqs[base + parent]!)))) break;
        keys[base + i] = pk;
        seqs[base + i] = seqs[base + parent]!;
        extras[base + i] = extras[base + parent]!;
        payloads[base + i] = payloads[base + parent];
        ties[base + i] = ties[base + parent]!;
        i = parent;
      }
      keys[base + i] = key;
      seqs[base + i] = seq;
      extras[base + i] = extra;
      payloads[base + i] = payload;
      ties[base + i] = tie;
      this.counts[neuron] = count + 1;
      if (count + 1 === k) this.threshold[neuron] = keys[base]!;
      return;
    }
    // Replace the root (the worst) and sift down: move the worse child up while it is
    // worse than the new entry.
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= k) break;
      const right = left + 1;
      let worst = left;
      let wk = keys[base + left]!;
      let ws = seqs[base + left]!;
      let wt = ties[base + left]!;
      if (right < k) {
        const rk = keys[base + right]!;
        const rs = seqs[base + right]!;
        const rt = ties[base + right]!;
        if (rk < wk || (rk === wk && worse(rk, rt, rs, wk, wt, ws))) {
          worst = right;
          wk = rk;
          ws = rs;
          wt = rt;
        }
      }
      if (!(wk < key || (wk === key && worse(wk, wt, ws, key, tie, seq)))) break;
      keys[base + i] = wk;
      seqs[base + i] = ws;
      extras[base + i] = extras[base + worst]!;
      payloads[base + i] = payloads[base + worst];
      ties[base + i] = wt;
      i = worst;
    }
    keys[base + i] = key;
    seqs[base + i] = seq;
    extras[base + i] = extra;
    payloads[base + i] = payload;
    ties[base + i] = tie;
    this.threshold[neuron] = keys[base]!;
  }

  /** Entries held by `neuron`. */
  count(neuron: number): number {
    return this.counts[neuron]!;
  }

  /** The neuron's entries, best first (rank 1 = strongest; ties: smaller path, then earlier seq). */
  sorted(neuron: number): Entry<P>[] {
    const base = neuron * this.k;
    const n = this.counts[neuron]!;
    const out: Entry<P>[] = [];
    for (let i = 0; i < n; i++) {
      const key = this.keys[base + i]!;
      out.push({
        value: this.bottom ? -key : key,
        seq: this.seqs[base + i]!,
        tie: this.ties[base + i]!,
        extra: this.extras[base + i]!,
        payload: this.payloads[base + i] as P,
      });
    }
    const sign = this.bottom ? -1 : 1;
    out.sort((a, b) => sign * (b.value - a.value) || compareTies(a.tie, b.tie) || a.seq - b.seq);
    return out;
  }
}

/** Tie keys in code-unit order, a missing one after every string. */
function compareTies(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

/** Whether entry a = (key, tie, seq) ranks below entry b. */
function worse(ak: number, at: string | null, as: number, bk: number, bt: string | null, bs: number): boolean {
  if (ak !== bk) return ak < bk;
  const c = compareTies(at, bt);
  return c !== 0 ? c > 0 : as > bs;
}

/**
 * Offers a block of rows (rows x neurons, row-major) to the heaps: the hot loop of topk.
 * `payloadOf(r)` is called at most once per row, and only for rows that enter some heap;
 * `extras` (same shape, optional) is each entry's argmax. The threshold test is the only
 * work for a value that does not enter, in a loop specialised for top/bottom.
 * Returns the first row holding NaN or ±Infinity (-1: none), from a running sum per row that
 * rides along the threshold test (no measurable cost; tools/bench/nonfinite.js); the caller
 * applies core's NaN/Inf policy to such a block.
 */
export function offerBlock<P>(
  heaps: NeuronHeaps<P>,
  values: Float32Array | Float64Array,
  rows: number,
  firstSeq: number,
  payloadOf: (row: number) => P,
  extras?: Int32Array,
): number {
  const c = heaps.neurons;
  if (values.length < rows * c) throw new Error(`offerBlock: ${values.length} values for ${rows}x${c}`);
  const threshold = heaps.threshold;
  const sign = heaps.bottom ? -1 : 1;
  let firstNonFinite = -1;
  for (let r = 0; r < rows; r++) {
    const base = r * c;
    let payload: P | undefined;
    let got = false;
    let sum = 0;
    if (sign === 1) {
      for (let n = 0; n < c; n++) {
        const v = values[base + n]!;
        sum += v;
        const t = threshold[n]!;
        if (v >= t) {
          if (!got) {
            payload = payloadOf(r);
            got = true;
          }
          // An exact tie with the worst kept entry is settled by the image path.
          if (v > t || heaps.beatsRoot(n, v, firstSeq + r, payload as P)) heaps.insert(n, v, firstSeq + r, extras ? extras[base + n]! : -1, payload as P);
        }
      }
    } else {
      for (let n = 0; n < c; n++) {
        const key = -values[base + n]!;
        sum += key;
        const t = threshold[n]!;
        if (key >= t) {
          if (!got) {
            payload = payloadOf(r);
            got = true;
          }
          // An exact tie with the worst kept entry is settled by the image path.
          if (key > t || heaps.beatsRoot(n, key, firstSeq + r, payload as P)) heaps.insert(n, key, firstSeq + r, extras ? extras[base + n]! : -1, payload as P);
        }
      }
    }
    // NaN or ±Inf makes the sum non-finite; float32 values cannot overflow it.
    if (firstNonFinite < 0 && sum - sum !== 0) firstNonFinite = r;
  }
  return firstNonFinite;
}

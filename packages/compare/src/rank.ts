/**
 * Average ranks of a float64 vector (1-based; ties share their mean rank, as
 * scipy.stats.rankdata), for Spearman RSA over the n(n−1)/2 pairs of an RDM.
 * JavaScript has no argsort, and a comparator sort of 2 million indices took ~1.3 s (binary
 * searches into a sorted copy ~1.2 s, an 11-bit radix sort ~1.1 s, all cache misses). So the
 * order comes from the native Float64Array sort: each value carries its index in the lowest
 * mantissa bits (b = ⌈log2 n⌉ of 52), which changes the order only among values equal in
 * their upper bits; those short runs are then put in exact order by value. ~0.2 s for 2M.
 */
export function rankAverage(v: Float64Array): Float64Array {
  const n = v.length;
  let b = 1;
  while (2 ** b < n) b++;
  if (b > 32) throw new Error(`rankAverage: ${n} values (at most 2^32)`);
  const low = b === 32 ? 0xffffffff : 2 ** b - 1;
  const keys = new Float64Array(n);
  const kb = new Uint32Array(keys.buffer);
  const vb = new Uint32Array(v.buffer, v.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    if (x === 0) {
      kb[2 * i + 1] = 0; // −0 and +0 are one value
      kb[2 * i] = i;
    } else {
      kb[2 * i + 1] = vb[2 * i + 1]!;
      kb[2 * i] = ((vb[2 * i]! & ~low) | i) >>> 0;
    }
  }
  keys.sort();
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = (kb[2 * i]! & low) >>> 0;
  // Runs of one truncated key: order their indices by the exact values (insertion sort).
  let start = 0;
  while (start < n) {
    let end = start + 1;
    const hi = kb[2 * start + 1]!;
    const top = b === 32 ? 0 : kb[2 * start]! >>> b;
    while (end < n && kb[2 * end + 1] === hi && (b === 32 ? 0 : kb[2 * end]! >>> b) === top) end++;
    for (let k = start + 1; k < end; k++) {
      const id = order[k]!;
      const x = v[id]!;
      let j = k - 1;
      while (j >= start && v[order[j]!]! > x) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = id;
    }
    start = end;
  }
  // Ties share the mean of their positions.
  const ranks = new Float64Array(n);
  start = 0;
  while (start < n) {
    const value = v[order[start]!]!;
    let end = start + 1;
    while (end < n && v[order[end]!] === value) end++;
    const rank = (start + end + 1) / 2;
    for (let k = start; k < end; k++) ranks[order[k]!] = rank;
    start = end;
  }
  return ranks;
}

import { makeData, Utf8, type Data } from 'apache-arrow';

/**
 * A Utf8 column from JavaScript strings, encoded straight into one value buffer with
 * TextEncoder.encodeInto — the same column as `utf8Data`, without Arrow's generic builder
 * (which costs microseconds per string: a 50k-row topk table spent more time building its
 * three string columns than selecting its rows). A string equal to the previous one (a
 * layer name repeated down a column) is copied from the bytes already written.
 */
export function utf8Column(values: readonly (string | null | undefined)[]): Data<Utf8> {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  let bytes = new Uint8Array(Math.max(64, n * 8));
  const encoder = new TextEncoder();
  let bitmap: Uint8Array | undefined;
  let nullCount = 0;
  let at = 0;
  let previous: string | undefined;
  let previousStart = 0;
  for (let i = 0; i < n; i++) {
    const s = values[i];
    if (s === null || s === undefined) {
      if (!bitmap) bitmap = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
      bitmap[i >> 3]! &= ~(1 << (i & 7));
      nullCount++;
      offsets[i + 1] = at;
      continue;
    }
    const need = s === previous ? offsets[i]! - previousStart : s.length * 3;
    if (at + need > bytes.length) {
      const grown = new Uint8Array(Math.max(bytes.length * 2, at + need));
      grown.set(bytes.subarray(0, at));
      bytes = grown;
    }
    if (s === previous) {
      const length = need;
      bytes.copyWithin(at, at - length, at);
      previousStart = at;
      at += length;
    } else {
      previousStart = at;
      at += encoder.encodeInto(s, bytes.subarray(at)).written;
      previous = s;
    }
    offsets[i + 1] = at;
  }
  if (bitmap && n % 8 !== 0) bitmap[bitmap.length - 1]! &= (1 << (n % 8)) - 1;
  return makeData({
    type: new Utf8(),
    length: n,
    nullCount,
    nullBitmap: nullCount > 0 ? bitmap : undefined,
    valueOffsets: offsets,
    data: bytes.subarray(0, at),
  });
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedSizeListData, int32Data, makeBatch, mulberry32, utf8Data } from '@cnnpipe/core';
import { tableToIPC, Table } from 'apache-arrow';

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'lstsq-test-'));
}

/** A deterministic PRNG (mulberry32) with normal draws. */
export function rng(seed: number) {
  const uniform = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(uniform() + 1e-300)) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** An activations table as IPC bytes, in batches of `batchRows`. */
export function activations(
  images: string[],
  features: Float32Array,
  width: number,
  options: { column?: string; model?: string; batchRows?: number; labels?: Int32Array; kind?: string } = {},
): Uint8Array {
  const column = options.column ?? 'features';
  const metadata = new Map([
    ['cnnpipe.kind', options.kind ?? 'activations'],
    ['cnnpipe.model', options.model ?? 'model.onnx'],
  ]);
  const step = options.batchRows ?? images.length;
  const batches = [];
  for (let s = 0; s < images.length; s += step) {
    const e = Math.min(images.length, s + step);
    const labels = options.labels ? options.labels.slice(s, e) : new Int32Array(e - s);
    batches.push(
      makeBatch(
        {
          image: utf8Data(images.slice(s, e)),
          label: int32Data(labels),
          class: utf8Data(Array.from(labels, (l) => `c${l}`)),
          [column]: fixedSizeListData(features.slice(s * width, e * width), width),
        },
        metadata,
      ),
    );
  }
  return tableToIPC(new Table(batches), 'stream');
}

/** numpy.linalg.lstsq on [X 1] → Y (default rcond): (DA+1) x DB coefficients (last row the bias), R², rank. */
export function numpyLstsq(x: Float64Array, y: Float64Array, n: number, da: number, db: number): { coef: Float64Array; r2: number; rank: number } {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'x.bin'), Buffer.from(x.buffer, x.byteOffset, x.byteLength));
    writeFileSync(join(dir, 'y.bin'), Buffer.from(y.buffer, y.byteOffset, y.byteLength));
    const script = `
import numpy as np, sys
d = sys.argv[1]; n, da, db = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
x = np.fromfile(d + '/x.bin', dtype=np.float64).reshape(n, da)
y = np.fromfile(d + '/y.bin', dtype=np.float64).reshape(n, db)
xa = np.hstack([x, np.ones((n, 1))])
coef, _, rank, _ = np.linalg.lstsq(xa, y, rcond=None)
res = ((y - xa @ coef) ** 2).sum(); tot = ((y - y.mean(0)) ** 2).sum()
coef.astype(np.float64).tofile(d + '/coef.bin')
print(1 - res / tot, rank)
`;
    const out = execFileSync('/usr/bin/python3', ['-c', script, dir, String(n), String(da), String(db)], { encoding: 'utf8' });
    const buf = readFileSync(join(dir, 'coef.bin'));
    const coef = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const [r2, rank] = out.trim().split(/\s+/).map(Number);
    return { coef, r2: r2!, rank: rank! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A map's weights (DB x DA) and bias as numpy's (DA+1) x DB coefficient layout. */
export function asNumpyCoef(weights: ArrayLike<number>, bias: ArrayLike<number>, da: number, db: number): Float64Array {
  const coef = new Float64Array((da + 1) * db);
  for (let j = 0; j < db; j++) {
    for (let k = 0; k < da; k++) coef[k * db + j] = weights[j * da + k]!;
    coef[da * db + j] = bias[j]!;
  }
  return coef;
}

/** [X 1]·coef for row-major X (n x da) and coef (da+1) x db. */
export function predict(x: ArrayLike<number>, coef: Float64Array, n: number, da: number, db: number): Float64Array {
  const out = new Float64Array(n * db);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < db; j++) {
      let s = coef[da * db + j]!;
      for (let k = 0; k < da; k++) s += x[i * da + k]! * coef[k * db + j]!;
      out[i * db + j] = s;
    }
  }
  return out;
}

/** max |a - b| / max |b|. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

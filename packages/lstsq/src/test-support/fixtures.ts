import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

/** numpy.linalg.lstsq on [X 1] → Y: returns (DA+1) x DB coefficients (last row the bias) and R². */
export function numpyLstsq(x: Float64Array, y: Float64Array, n: number, da: number, db: number): { coef: Float64Array; r2: number } {
  const dir = tempDir();
  writeFileSync(join(dir, 'x.bin'), Buffer.from(x.buffer, x.byteOffset, x.byteLength));
  writeFileSync(join(dir, 'y.bin'), Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  const script = `
import numpy as np, sys
d = sys.argv[1]; n, da, db = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
x = np.fromfile(d + '/x.bin', dtype=np.float64).reshape(n, da)
y = np.fromfile(d + '/y.bin', dtype=np.float64).reshape(n, db)
xa = np.hstack([x, np.ones((n, 1))])
coef = np.linalg.lstsq(xa, y, rcond=None)[0]
res = ((y - xa @ coef) ** 2).sum(); tot = ((y - y.mean(0)) ** 2).sum()
coef.astype(np.float64).tofile(d + '/coef.bin')
print(1 - res / tot)
`;
  const out = execFileSync('/usr/bin/python3', ['-c', script, dir, String(n), String(da), String(db)], { encoding: 'utf8' });
  const buf = readFileSync(join(dir, 'coef.bin'));
  const coef = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { coef, r2: Number(out.trim()) };
}

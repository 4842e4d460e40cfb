import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '@cnnpipe/core';

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

/** Whether the numpy/scipy reference can run here (CI installs both). */
export const hasScipy = spawnSync(PYTHON, ['-c', 'import numpy, scipy'], { encoding: 'utf8' }).status === 0;

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'compare-test-'));
}

export interface Layer {
  values: ArrayLike<number>;
  width: number;
}

/**
 * Runs reference.py on layers of A and B over the same n images: CKA by the centred Gram
 * formula, RSA with scipy, or scipy.stats.rankdata of A's first layer.
 */
export function reference(what: 'cka' | 'rsa' | 'rankdata', n: number, a: Layer[], b: Layer[], extra: Record<string, unknown> = {}): number[] {
  const dir = tempDir();
  try {
    const side = (layers: Layer[], tag: string) =>
      layers.map((l, i) => {
        const file = `${tag}${i}.bin`;
        const v = Float64Array.from(l.values);
        writeFileSync(join(dir, file), Buffer.from(v.buffer));
        return { file, width: l.width };
      });
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ n, a: side(a, 'a'), b: side(b, 'b'), ...extra }));
    const out = execFileSync(PYTHON, [join(here, 'reference.py'), what, dir], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return JSON.parse(out) as number[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A deterministic PRNG (mulberry32) with normal draws. */
export function rng(seed: number) {
  const uniform = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(uniform() + 1e-300)) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

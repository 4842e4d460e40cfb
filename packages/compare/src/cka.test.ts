import { addGram } from '@cnnpipe/lstsq';
import { describe, expect, it } from 'vitest';
import { CkaAccumulator, ckaFromGram, type CkaLayout } from './cka.js';
import { hasScipy, reference, rng, type Layer } from './test-support/reference.js';

function layoutOf(a: Layer[], b: Layer[]): CkaLayout {
  return {
    a: { model: 'a', layers: a.map((l, i) => ({ name: `a${i}`, width: l.width })) },
    b: { model: 'b', layers: b.map((l, i) => ({ name: `b${i}`, width: l.width })) },
  };
}

/** The Gram of rows [from, to) of every layer, fed in blocks of `step` rows. */
async function gramOf(a: Layer[], b: Layer[], from: number, to: number, step = 37, blockRows?: number) {
  const acc = new CkaAccumulator(layoutOf(a, b), blockRows);
  for (let s = from; s < to; s += step) {
    const e = Math.min(to, s + step);
    const view = (l: Layer) => Float64Array.from(l.values as ArrayLike<number>).subarray(s * l.width, e * l.width);
    await acc.add({ rows: e - s, a: a.map(view), b: b.map(view) });
  }
  return acc.finish();
}

async function ckaOf(a: Layer[], b: Layer[], n: number, debiased = false): Promise<Float64Array> {
  return ckaFromGram(await gramOf(a, b, 0, n), layoutOf(a, b), { debiased });
}

/** n x d float32 activations with per-feature scales and offsets (ReLU-like: mostly positive). */
function layer(seed: number, n: number, d: number, mix?: Layer): Layer {
  const r = rng(seed);
  const v = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      let x = r.normal() * (0.5 + (k % 5)) + 2 + (k % 3);
      // Shared structure with another layer, so CKA is far from 0 and from 1.
      if (mix) x += 1.5 * (mix.values[i * mix.width + (k % mix.width)] as number);
      v[i * d + k] = Math.max(0, x);
    }
  }
  return { values: v, width: d };
}

/** X·M for an n x d layer and a d x d matrix. */
function times(x: Layer, m: Float64Array, n: number): Layer {
  const d = x.width;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      const xik = x.values[i * d + k] as number;
      for (let j = 0; j < d; j++) out[i * d + j]! += xik * m[k * d + j]!;
    }
  }
  return { values: out, width: d };
}

/** A random orthogonal d x d matrix (Gram–Schmidt on normal columns). */
function orthogonal(seed: number, d: number): Float64Array {
  const r = rng(seed);
  const q = Float64Array.from({ length: d * d }, () => r.normal());
  for (let j = 0; j < d; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += q[i * d + j]! * q[i * d + p]!;
      for (let i = 0; i < d; i++) q[i * d + j]! -= dot * q[i * d + p]!;
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += q[i * d + j]! ** 2;
    for (let i = 0; i < d; i++) q[i * d + j]! /= Math.sqrt(norm);
  }
  return q;
}

const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => Math.max(...Array.from(x, (v, i) => Math.abs(v - (y[i] as number))));

const N = 300;
const base = layer(1, N, 6);
const A = [base, layer(2, N, 12, base), layer(3, N, 30, base)];
const B = [layer(4, N, 7, base), layer(5, N, 40)];

describe('linear CKA from streamed statistics', () => {
  it.skipIf(!hasScipy)('equals the numpy centred-Gram formula on random data (biased and debiased), to 1e-10', async () => {
    for (const debiased of [false, true]) {
      const ours = await ckaOf(A, B, N, debiased);
      const ref = reference('cka', N, A, B, { debiased });
      expect(ours.length).toBe(6);
      expect(maxDiff(ours, ref)).toBeLessThan(1e-10);
      // Not trivially 0 or 1: the layers share structure.
      expect(Math.min(...ours)).toBeLessThan(0.9);
      expect(Math.max(...ours.slice(0, 2))).toBeGreaterThan(0.05);
    }
  });

  it('CKA(X, X) = 1 for every layer, biased and debiased', async () => {
    for (const debiased of [false, true]) {
      const v = await ckaOf(A, A, N, debiased);
      for (let i = 0; i < A.length; i++) expect(Math.abs(v[i * A.length + i]! - 1)).toBeLessThan(1e-12);
    }
  });

  it('is invariant to orthogonal transforms and isotropic scaling of either side, and to translation', async () => {
    const before = await ckaOf(A, B, N);
    const beforeU = await ckaOf(A, B, N, true);
    const rotated = [times(B[0]!, orthogonal(9, 7), N), times(B[1]!, orthogonal(10, 40), N)];
    const scaled = A.map((l) => ({ values: Float64Array.from(l.values, (v) => 3.7 * v + 11), width: l.width }));
    expect(maxDiff(await ckaOf(A, rotated, N), before)).toBeLessThan(1e-10);
    expect(maxDiff(await ckaOf(scaled, B, N), before)).toBeLessThan(1e-10);
    expect(maxDiff(await ckaOf(scaled, rotated, N, true), beforeU)).toBeLessThan(1e-10);
  });

  it('is not invariant to an arbitrary invertible linear map', async () => {
    const d = 40;
    const r = rng(11);
    // Upper triangular with a wide-ranging diagonal: invertible, far from orthogonal.
    const m = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) m[i * d + j] = i === j ? 0.05 + (i % 4) * 3 : r.normal();
    const before = await ckaOf(A, B, N);
    const after = await ckaOf(A, [B[0]!, times(B[1]!, m, N)], N);
    expect(Math.max(...Array.from(after, (v, i) => Math.abs(v - before[i]!)).filter((_, i) => i % 2 === 1))).toBeGreaterThan(1e-3);
  });

  it('shards merged (gram sums added) give the single run values', async () => {
    const layout = layoutOf(A, B);
    let merged: Awaited<ReturnType<typeof gramOf>> | undefined;
    for (const [s, e] of [[0, 101], [101, 102], [102, N]] as const) {
      const g = await gramOf(A, B, s, e, 23);
      if (merged) addGram(merged, g);
      else merged = g;
    }
    expect(merged!.n).toBe(N);
    for (const debiased of [false, true]) {
      const single = ckaFromGram(await gramOf(A, B, 0, N, 64, 128), layout, { debiased });
      expect(maxDiff(ckaFromGram(merged!, layout, { debiased }), single)).toBeLessThan(1e-13);
    }
  });

  it('debiased: near 0 for independent layers at small n, where the biased estimate is far from it', async () => {
    const n = 24;
    const x = [layer(21, n, 60)];
    const y = [layer(22, n, 60)];
    const biased = (await ckaOf(x, y, n))[0]!;
    const debiased = (await ckaOf(x, y, n, true))[0]!;
    expect(biased).toBeGreaterThan(0.4);
    expect(Math.abs(debiased)).toBeLessThan(0.1);
  });

  it('says how many images it needs', async () => {
    const g = await gramOf(A, B, 0, 3);
    expect(() => ckaFromGram(g, layoutOf(A, B), { debiased: true })).toThrow('3 images (expected at least 4 for debiased CKA)');
    expect(ckaFromGram(g, layoutOf(A, B), { debiased: false }).every(Number.isFinite)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../util/index.js';
import { columnExponents, columnMaxAbs, sliceDigits, slicedGramBlock } from './sliced-int8-gram.js';

/** Exact float64 references in JavaScript (small sizes): upper triangle of X'X, X'Y, sums. */
function reference(x: Float32Array, y: Float32Array, rows: number, d: number, e: number) {
  const xtx = new Float64Array(d * d);
  const xty = new Float64Array(d * e);
  const sumX = new Float64Array(d);
  const sumY = new Float64Array(e);
  const sumYY = new Float64Array(e);
  for (let n = 0; n < rows; n++) {
    for (let i = 0; i < d; i++) {
      const xi = x[n * d + i]!;
      sumX[i]! += xi;
      for (let j = i; j < d; j++) xtx[i * d + j]! += xi * x[n * d + j]!;
      for (let j = 0; j < e; j++) xty[i * e + j]! += xi * y[n * e + j]!;
    }
    for (let j = 0; j < e; j++) {
      sumY[j]! += y[n * e + j]!;
      sumYY[j]! += y[n * e + j]! ** 2;
    }
  }
  return { xtx, xty, sumX, sumY, sumYY };
}

function columnMax(x: Float32Array, rows: number, d: number): Float64Array {
  const m = new Float64Array(d);
  for (let n = 0; n < rows; n++) for (let j = 0; j < d; j++) m[j] = Math.max(m[j]!, Math.abs(x[n * d + j]!));
  return m;
}

/**
 * The products of a block through the int8 digits, against the exact ones: every entry within
 * `slack` x rows x 2^-(7S-1) x M_i x M_j (the digit truncation of 2^-(7S-1) of each column's
 * block maximum M, on both sides) — far below what float32 Gemm would make (2^-24 relative).
 */
async function checkBlock(x: Float32Array, y: Float32Array, rows: number, d: number, e: number, digits = 4) {
  const block = (await slicedGramBlock(x, y, rows, d, e, { x: digits, y: digits }))!;
  expect(block).toBeDefined();
  const ref = reference(x, y, rows, d, e);
  const xtx = new Float64Array((d + 1) * (d + 1));
  block.addGramTo(xtx, d + 1);
  const xty = new Float64Array(d * e);
  block.addCrossTo(xty);
  const mx = columnMax(x, rows, d);
  const my = columnMax(y, rows, e);
  const unit = 2 * rows * 2 ** -(7 * digits - 1);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) expect(Math.abs(xtx[i * (d + 1) + j]! - ref.xtx[i * d + j]!)).toBeLessThanOrEqual(unit * mx[i]! * mx[j]!);
    // The lower triangle is left for the caller to mirror.
    for (let j = 0; j < i; j++) expect(xtx[i * (d + 1) + j]).toBe(0);
    for (let j = 0; j < e; j++) expect(Math.abs(xty[i * e + j]! - ref.xty[i * e + j]!)).toBeLessThanOrEqual(unit * mx[i]! * my[j]!);
  }
  for (let i = 0; i < d; i++) expect(block.sumX[i]).toBeCloseTo(ref.sumX[i]!, 10);
  for (let j = 0; j < e; j++) {
    expect(block.sumY[j]).toBeCloseTo(ref.sumY[j]!, 10);
    expect(Math.abs(block.sumYY[j]! - ref.sumYY[j]!)).toBeLessThanOrEqual(1e-12 * ref.sumYY[j]!);
  }
  return { xtx, xty, ref };
}

function randomBlock(rows: number, cols: number, seed: number, scale = 1): Float32Array {
  const u = mulberry32(seed);
  return Float32Array.from({ length: rows * cols }, () => scale * (u() - 0.3));
}

describe('columnExponents', () => {
  it('gives the smallest E with 2^E >= max |x| (exact at powers of two), 0 for a zero column, clamped below 2^-120', () => {
    const values = Float32Array.from([1, 0.75, 2 ** 20, 2 ** 20 + 1, 3e-5, 0, 2 ** -130, 1.5e38]);
    const e = columnExponents(values);
    for (let j = 0; j < values.length; j++) {
      const m = values[j]!;
      if (m === 0) expect(e[j]).toBe(0);
      else if (m < 2 ** -120) expect(e[j]).toBe(-120);
      else {
        expect(2 ** e[j]!).toBeGreaterThanOrEqual(m);
        expect(2 ** (e[j]! - 1)).toBeLessThan(m);
      }
    }
    expect(Array.from(e.slice(0, 4))).toEqual([0, 0, 20, 21]);
  });

  it('columnMaxAbs takes the largest magnitude of either sign', async () => {
    const x = Float32Array.from([1, -3, 0, 2, 5, 0, -7, 0.5, 0]);
    expect(Array.from(await columnMaxAbs(x, 3, 3))).toEqual([7, 5, 0]);
  });
});

describe('sliceDigits', () => {
  it('reconstructs x exactly when S digits hold it: integers below 2^20 in three digits, each in [-64, 64]', async () => {
    const rows = 200;
    const cols = 5;
    const u = mulberry32(3);
    const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.round((u() - 0.5) * 2 ** (4 + 4 * (i % cols))));
    const { digits, exponents } = await sliceDigits(x, rows, cols, 3);
    for (let n = 0; n < rows; n++) {
      for (let j = 0; j < cols; j++) {
        const i = n * cols + j;
        let z = 0;
        for (let k = 0; k < 3; k++) {
          const q = digits[k]![i]!;
          expect(Math.abs(q)).toBeLessThanOrEqual(64);
          z += q * 2 ** (-7 * k);
        }
        expect(z * 2 ** (exponents[j]! - 6) + 0).toBe(x[i]! + 0);
      }
    }
  });

  it('any float32 within 2^-(7S-1) of its column maximum with S = 4, exactly with S = 4 at 2^-20 of the maximum', async () => {
    const rows = 300;
    const cols = 4;
    const x = randomBlock(rows, cols, 9, 1e3);
    x[7 * cols + 2] = 5e6; // one outlier
    const { digits, exponents } = await sliceDigits(x, rows, cols, 4);
    const max = columnMax(x, rows, cols);
    for (let i = 0; i < rows * cols; i++) {
      const j = i % cols;
      let z = 0;
      for (let k = 0; k < 4; k++) z += digits[k]![i]! * 2 ** (-7 * k);
      const approx = z * 2 ** (exponents[j]! - 6);
      expect(Math.abs(approx - x[i]!)).toBeLessThanOrEqual(2 ** -27 * max[j]!);
    }
  });
});

describe('slicedGramBlock', () => {
  it('random float32 blocks of either sign: X\'X, X\'Y and sums within the digit bound of the exact ones', async () => {
    await checkBlock(randomBlock(300, 9, 1), randomBlock(300, 5, 2, 7), 300, 9, 5);
  });

  it('a column with an outlier 1e4 times the rest, an all-zero column and a constant one', async () => {
    const rows = 257;
    const d = 6;
    const x = randomBlock(rows, d, 4);
    for (let n = 0; n < rows; n++) {
      x[n * d + 1] = 0;
      x[n * d + 4] = 0.25;
    }
    x[100 * d + 2] = 1e4;
    const { xtx, ref } = await checkBlock(x, randomBlock(rows, 3, 5), rows, d, 3);
    for (let j = 0; j < d; j++) expect(xtx[1 * (d + 1) + Math.max(1, j)]).toBe(0);
    expect(xtx[4 * (d + 1) + 4]).toBe(ref.xtx[4 * d + 4]);
  });

  it('a block shorter than its buffer (the last block of a stream) reads only its rows', async () => {
    const full = randomBlock(400, 7, 6);
    const y = randomBlock(400, 4, 7);
    full.fill(1e6, 123 * 7);
    y.fill(-1e6, 123 * 4);
    await checkBlock(full, y, 123, 7, 4);
  });

  it('five digits: within 2^-34 of each column maximum, and the default seven and six', async () => {
    await checkBlock(randomBlock(200, 8, 8), randomBlock(200, 3, 9), 200, 8, 3, 5);
    const block = (await slicedGramBlock(randomBlock(64, 3, 14), randomBlock(64, 2, 15), 64, 3, 2))!;
    const xtx = new Float64Array(16);
    block.addGramTo(xtx, 4);
    const ref = reference(randomBlock(64, 3, 14), randomBlock(64, 2, 15), 64, 3, 2);
    for (let i = 0; i < 3; i++) for (let j = i; j < 3; j++) expect(Math.abs(xtx[i * 4 + j]! - ref.xtx[i * 3 + j]!)).toBeLessThanOrEqual(1e-13 * ref.xtx[i * 3 + i]!);
  });

  it('a NaN or an infinity leaves the block to the float64 path (undefined)', async () => {
    const x = randomBlock(10, 3, 10);
    x[4] = NaN;
    expect(await slicedGramBlock(x, randomBlock(10, 2, 11), 10, 3, 2)).toBeUndefined();
    const y = randomBlock(10, 2, 12);
    y[3] = Infinity;
    expect(await slicedGramBlock(randomBlock(10, 3, 13), y, 10, 3, 2)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { crossProduct, crossProductOf, gemm, matrix, naiveProduct, type Matrix } from './kernels.js';

function random(rows: number, cols: number, seed: number): Matrix<Float64Array> {
  // Small LCG: deterministic inputs without a dependency.
  let state = seed >>> 0;
  const data = Float64Array.from({ length: rows * cols }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
  return matrix(data, rows, cols);
}

function transpose(m: Matrix<Float64Array>): Matrix<Float64Array> {
  const out = new Float64Array(m.data.length);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = m.data[i * m.cols + j]!;
  return matrix(out, m.cols, m.rows);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('gemm through onnxruntime', () => {
  it('matches the naive product in float64 for odd sizes', async () => {
    const a = random(37, 53, 1);
    const b = random(53, 29, 2);
    const got = await gemm(a, b);
    expect(got.data).toBeInstanceOf(Float64Array);
    expect([got.rows, got.cols]).toEqual([37, 29]);
    expect(maxAbsDiff(got.data, naiveProduct(a, b).data)).toBeLessThan(1e-12);
  });

  it('honours transA and transB', async () => {
    const a = random(20, 7, 3);
    const b = random(11, 20, 4);
    const got = await gemm(a, b, { transA: true, transB: true });
    const want = naiveProduct(transpose(a), transpose(b));
    expect([got.rows, got.cols]).toEqual([7, 11]);
    expect(maxAbsDiff(got.data, want.data)).toBeLessThan(1e-12);
  });

  it("computes X'X symmetric and X'Y as the naive product", async () => {
    const x = random(100, 9, 5);
    const y = random(100, 4, 6);
    const xtx = await crossProduct(x);
    for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) expect(xtx.data[i * 9 + j]).toBeCloseTo(xtx.data[j * 9 + i]!, 12);
    expect(maxAbsDiff(xtx.data, naiveProduct(transpose(x), x).data)).toBeLessThan(1e-12);
    const xty = await crossProductOf(x, y);
    expect(maxAbsDiff(xty.data, naiveProduct(transpose(x), y).data)).toBeLessThan(1e-12);
  });

  it('works in float32 within float32 rounding', async () => {
    const a = random(64, 64, 7);
    const b = random(64, 16, 8);
    const got = await gemm(matrix(Float32Array.from(a.data), 64, 64), matrix(Float32Array.from(b.data), 64, 16));
    expect(got.data).toBeInstanceOf(Float32Array);
    expect(maxAbsDiff(got.data, naiveProduct(a, b).data)).toBeLessThan(1e-4);
  });

  it('rejects mismatched inner dimensions and handles empty blocks', async () => {
    await expect(gemm(random(2, 3, 1), random(4, 2, 2))).rejects.toThrow(/inner dimensions/);
    const empty = await gemm(matrix(new Float64Array(0), 0, 3), random(3, 2, 1));
    expect([empty.rows, empty.cols, empty.data.length]).toEqual([0, 2, 0]);
  });
});

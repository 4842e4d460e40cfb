import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readFinalLinear } from '../onnx/classifier.js';
import { fixedSizeListData, makeBatch, utf8Data } from './columns.js';
import { NonFiniteGuard, isNonFinite, nonFiniteRows, withoutRows } from './nonfinite.js';
import { ElemType, encodeModel, valueInfo } from '../onnx/graph.js';

describe('nonFiniteRows', () => {
  it('finds the rows holding NaN or ±Inf and counts the values', () => {
    const values = Float32Array.of(1, 2, NaN, 4, Infinity, -Infinity, 7, 8, 9, 0, -0, 3.4e38);
    expect(nonFiniteRows(values, 4, 3)).toEqual({ rows: [0, 1], values: 3 });
    expect(nonFiniteRows(values.subarray(6), 2, 3)).toBeNull();
  });

  it('does not flag a float64 row whose finite values overflow the sum', () => {
    expect(nonFiniteRows(Float64Array.of(1.7e308, 1.7e308), 1, 2)).toBeNull();
    expect(nonFiniteRows(Float64Array.of(1.7e308, 1.7e308, NaN), 1, 3)).toEqual({ rows: [0], values: 1 });
  });

  it('agrees with a value-by-value test on random blocks', () => {
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const specials = [NaN, Infinity, -Infinity];
    for (let trial = 0; trial < 20; trial++) {
      const rows = 1 + Math.floor(rand() * 30);
      const size = 1 + Math.floor(rand() * 9);
      const values = Float32Array.from({ length: rows * size }, () => (rand() < 0.03 ? specials[Math.floor(rand() * 3)]! : (rand() - 0.5) * 1e6));
      const expectedRows: number[] = [];
      let count = 0;
      for (let r = 0; r < rows; r++) {
        const n = Array.from(values.subarray(r * size, (r + 1) * size)).filter((v) => !Number.isFinite(v)).length;
        if (n > 0) expectedRows.push(r);
        count += n;
      }
      expect(nonFiniteRows(values, rows, size)).toEqual(expectedRows.length ? { rows: expectedRows, values: count } : null);
    }
    expect([0, -0, 1e-45, 3.4e38, NaN, Infinity, -Infinity].map(isNonFinite)).toEqual([false, false, false, false, true, true, true]);
  });
});

function activations(values: Float32Array, size: number) {
  const rows = values.length / size;
  return makeBatch({
    image: utf8Data(Array.from({ length: rows }, (_, i) => `img${i}.png`)),
    pool: fixedSizeListData(values, size),
  });
}

describe('NonFiniteGuard', () => {
  it('stops with one line naming the input, the column, the count, the first row and image', () => {
    const guard = new NonFiniteGuard('acts.arrows', false);
    const batch = activations(Float32Array.of(1, 2, 3, NaN, 5, Infinity, -Infinity, 0), 2);
    const kept = guard.filterBatch(batch, 10);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toBe(batch);
    expect(() => guard.finish()).toThrow(
      "acts.arrows: column 'pool' has 3 NaN/Inf values (first at row 12, image img1.png); --skip-nonfinite drops such rows",
    );
  });

  it('with skip, drops the rows and warns once with how many', () => {
    const warnings: string[] = [];
    const guard = new NonFiniteGuard('stdin', true, (m) => warnings.push(m));
    const batch = activations(Float32Array.of(NaN, 2, 3, 4, 5, Infinity, 7, 8, 9, 10), 2);
    const kept = guard.filterBatch(batch, 0);
    expect(kept.flatMap((b) => b.toArray().map((r) => String(r.image)))).toEqual(['img1.png', 'img3.png', 'img4.png']);
    guard.finish();
    expect(warnings).toEqual(["stdin: dropped 2 rows with NaN/Inf values ('pool': 2 values, first at row 1 (img0.png))"]);
  });

  it('ignores the value under a null slot and non-float columns', () => {
    const table = tableFromArrays({ n: Int32Array.of(1, 2), x: Float64Array.of(1, NaN) });
    const guard = new NonFiniteGuard('t', false);
    expect(guard.scanBatch(table.batches[0]!, 0, ['n'])).toBeNull();
    expect(guard.scanBatch(table.batches[0]!, 0)).toEqual([1]);
    expect(withoutRows(table.batches[0]!, [1]).map((b) => b.numRows)).toEqual([1]);
  });
});

describe("a model's final linear layer", () => {
  it('with NaN/Inf weights is refused where it is read (classify --model, lstsq logits)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-gemm-'));
    try {
      const model = (weights: number[]) =>
        encodeModel({
          name: 'fc',
          node: [{ opType: 'Gemm', name: '/fc/Gemm', input: ['x', 'w', 'b'], output: ['y'], attribute: [{ name: 'transB', type: 2, i: 1 }] }],
          input: [valueInfo('x', ElemType.float32, ['N', 2])],
          output: [valueInfo('y', ElemType.float32, ['N', 3])],
          initializer: [
            { name: 'w', dims: [3, 2], dataType: ElemType.float32, floatData: weights },
            { name: 'b', dims: [3], dataType: ElemType.float32, floatData: [0, 0, 0] },
          ],
        });
      writeFileSync(join(dir, 'good.onnx'), model([1, 2, 3, 4, 5, 6]));
      expect(Array.from(readFinalLinear(join(dir, 'good.onnx')).weights)).toEqual([1, 2, 3, 4, 5, 6]);
      writeFileSync(join(dir, 'bad.onnx'), model([1, 2, 3, NaN, Infinity, 6]));
      expect(() => readFinalLinear(join(dir, 'bad.onnx'))).toThrow(`${join(dir, 'bad.onnx')}: Gemm '/fc/Gemm' has 2 NaN/Inf weights (first in output 1)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

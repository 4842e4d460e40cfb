import { META, fixedSizeListData, int32Data, makeBatch, utf8Data } from '@cnnpipe/core';
import { runBin, toIPC } from '@cnnpipe/core/testing';
import { Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

/** A cof table whose counts are `values` (3 neurons x 2 classes). */
function cof(values: Int32Array | Float32Array): Table {
  return new Table([
    makeBatch(
      {
        layer: utf8Data(['conv', 'conv', 'conv']),
        neuron: int32Data(Int32Array.of(0, 1, 2)),
        counts: fixedSizeListData(values, 2),
        total: int32Data(Int32Array.of(3, 3, 3)),
      },
      new Map([[META.kind, 'cof'], [META.classes, JSON.stringify(['a', 'b'])]]),
    ),
  ]);
}

describe('similarity: its only numeric input is integer counts', () => {
  it('so NaN/Inf cannot reach it: float counts (here holding NaN, Inf, -Inf) are refused with one line, exit 1', async () => {
    const result = await runBin('similarity', [], toIPC(cof(Float32Array.of(1, NaN, Infinity, 2, -Infinity, 3))));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^similarity: error: stdin \(kind 'cof'\): column 'counts' has type FixedSizeList<float32>\[2\] \(expected FixedSizeList<int32>\)\n$/);
    expect(result.stdout.length).toBe(0);
  });

  it('and takes no --skip-nonfinite', async () => {
    const result = await runBin('similarity', ['--skip-nonfinite'], toIPC(cof(Int32Array.of(1, 2, 2, 1, 0, 3))));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("similarity: error: unknown option --skip-nonfinite (see 'similarity --help')\n");
  });
});

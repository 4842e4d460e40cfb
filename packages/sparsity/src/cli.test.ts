import { fixedSizeListData, int32Data, makeBatch, META, utf8Data } from '@cnnpipe/core';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { Table, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { flatness, gini } from './stats.js';

const counts = [
  [5, 0, 0, 0],
  [3, 2, 0, 0],
  [1, 1, 1, 2],
  [0, 0, 0, 0],
  [2, 2, 2, 2],
];
const batch = makeBatch(
  {
    layer: utf8Data(['l1', 'l1', 'l1', 'l2', 'l2']),
    neuron: int32Data(Int32Array.of(0, 1, 2, 0, 1)),
    counts: fixedSizeListData(Int32Array.from(counts.flat()), 4),
    total: int32Data(Int32Array.from(counts, (c) => c.reduce((a, b) => a + b))),
  },
  new Map([[META.kind, 'cof'], [META.model, 'm.onnx']]),
);
const input = tableToIPC(new Table([batch]), 'stream');

describe('sparsity', () => {
  it('writes gini, flatness, mf, mf_norm, facet, p_value per neuron, nulls (never NaN) where undefined', async () => {
    const result = await runBin('sparsity', [], input);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'sparsity: warning: 2 of 5 neurons have no response or zero sparsity: their mf, mf_norm, facet and p_value are null\n',
    );
    const table = fromIPC(result.stdout);
    expect(table.schema.metadata.get(META.kind)).toBe('neuron-stats');
    expect(table.schema.metadata.get(META.model)).toBe('m.onnx');
    const rows = table.toArray();
    expect(rows.map((r) => `${r.layer}/${r.neuron}`)).toEqual(['l1/0', 'l1/1', 'l1/2', 'l2/0', 'l2/1']);
    expect(rows[0].gini).toBeCloseTo(0.75, 14);
    rows.slice(0, 3).forEach((r, i) => {
      expect(r.flatness).toBeCloseTo(flatness(counts[i]!), 14);
      expect(r.mf).toBeCloseTo(flatness(counts[i]!) / gini(counts[i]!), 14);
    });
    expect(rows.map((r) => r.facet)).toEqual(['SF', 'SF', 'MF', null, null]);
    expect(rows[3].gini).toBeNull();
    expect(rows[3].flatness).toBe(-1);
    expect(rows[4].gini).toBe(0);
    for (const r of rows.slice(3)) {
      expect([r.mf, r.mf_norm, r.p_value]).toEqual([null, null, null]);
    }
    expect(rows.slice(0, 3).map((r) => r.mf_norm)).toEqual([0, expect.any(Number), 1]);
  });

  it('refuses the wrong kind, naming expected and got; --help has an example', async () => {
    const concepts = await runBin('csv', ['--to-arrow', '--kind', 'concepts'], 'layer,unit,concept,score\nfc,9,dog,0.5\n');
    const result = await runBin('sparsity', [], concepts.stdout);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("sparsity: error: stdin: wrong table kind (expected 'cof', got 'concepts')\n");
    const help = await runBin('sparsity', ['--help']);
    expect(help.stdout.toString()).toMatch(/cof \| sparsity/);
  });
});

import { fixedSizeListData, int32Data, makeBatch, META, utf8Data } from '@cnnpipe/core';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { Table, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

function cofIPC(layers: string[], neurons: number[], counts: number[][]) {
  const batch = makeBatch(
    {
      layer: utf8Data(layers),
      neuron: int32Data(Int32Array.from(neurons)),
      counts: fixedSizeListData(Int32Array.from(counts.flat()), counts[0]!.length),
      total: int32Data(Int32Array.from(counts, (c) => c.reduce((a, b) => a + b))),
    },
    new Map([[META.kind, 'cof'], [META.model, 'm.onnx'], [META.classes, '["a","b","c"]']]),
  );
  return tableToIPC(new Table([batch]), 'stream');
}

const input = cofIPC(['l1', 'l1', 'l2', 'l1', 'l2'], [2, 0, 0, 1, 1], [
  [3, 2, 1],
  [1, 2, 3],
  [0, 0, 5],
  [2, 4, 6],
  [5, 0, 0],
]);

describe('similarity', () => {
  it('writes each neuron row of its layer Pearson and Euclidean matrices, neurons ascending', async () => {
    const result = await runBin('similarity', [], input);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(table.schema.metadata.get(META.kind)).toBe('similarity');
    expect(table.schema.metadata.get(META.model)).toBe('m.onnx');
    const rows = table.toArray();
    expect(rows.map((r) => `${r.layer}/${r.neuron}`)).toEqual(['l1/0', 'l1/1', 'l1/2', 'l2/0', 'l2/1']);
    const pearson = rows.map((r) => [...r.values].map((v: number) => Math.round(v * 1e12) / 1e12));
    expect(pearson.slice(0, 3)).toEqual([
      [1, 1, -1],
      [1, 1, -1],
      [-1, -1, 1],
    ]);
    expect([...rows[3].euclidean]).toEqual([0, Math.sqrt(50)]);
  });

  it('--summary gives each layer mean off-diagonal similarity and distance', async () => {
    const result = await runBin('similarity', ['--summary'], input);
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(table.schema.metadata.get(META.kind)).toBe('similarity-summary');
    const rows = table.toArray();
    expect(rows.map((r) => r.layer)).toEqual(['l1', 'l2']);
    expect(rows[0].mean_pearson).toBeCloseTo(-1 / 3, 12);
    expect(rows[0].mean_euclidean).toBeCloseTo((Math.sqrt(14) + Math.sqrt(8) + Math.sqrt(1 + 4 + 25)) / 3, 12);
    expect(rows[1].mean_pearson).toBeCloseTo(-0.5, 12);
  });

  it('refuses the wrong kind, naming expected and got; --help has an example', async () => {
    const concepts = await runBin('csv', ['--to-arrow', '--kind', 'concepts'], 'layer,unit,concept,score\nfc,9,dog,0.5\n');
    const result = await runBin('similarity', [], concepts.stdout);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("similarity: error: stdin: wrong table kind (expected 'cof', got 'concepts')\n");
    const help = await runBin('similarity', ['--help']);
    expect(help.stdout.toString()).toMatch(/cof \| similarity --summary/);
  });
});

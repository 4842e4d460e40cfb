import { fixedSizeListData, float64Data, int32Data, makeBatch, META, utf8Data } from '@cnnpipe/core';
import { runBin } from '@cnnpipe/core/testing';
import { Table, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

const batch = makeBatch(
  {
    layer: utf8Data(['layer2', 'layer2', 'layer4']),
    neuron: int32Data(Int32Array.of(0, 1, 12)),
    score: float64Data(Float64Array.of(0.123456789, 2, -1.5)),
    counts: fixedSizeListData(Int32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 5),
  },
  new Map([[META.kind, 'cof'], [META.classes, '["a","b","c","d","e"]']]),
);
const bytes = tableToIPC(new Table([batch]), 'stream');

describe('show', () => {
  it('prints an aligned table, numbers right-aligned, vectors shortened', async () => {
    const result = await runBin('show', ['-n', '2'], bytes);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe(
      [
        'layer   neuron     score  counts',
        '------  ------  --------  -----------------',
        'layer2       0  0.123457  [1, 2, 3, 4, … 5]',
        'layer2       1         2  [6, 7, 8, 9, … 5]',
        '… (more rows)',
        '',
      ].join('\n'),
    );
  });

  it('--schema prints columns, types and metadata', async () => {
    const result = await runBin('show', ['--schema', '-n', '0'], bytes);
    expect(result.stdout.toString()).toContain('counts  FixedSizeList<int32>[5]');
    expect(result.stdout.toString()).toContain('cnnpipe.classes: ["a","b","c","d","e"]');
  });

  it('names a bad input', async () => {
    const result = await runBin('show', ['/nonexistent/x.arrows']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('show: error: /nonexistent/x.arrows: cannot read (ENOENT)\n');
  });
});

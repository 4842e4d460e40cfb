import { fixedSizeListData, float64Data, int32Data, makeBatch, META, utf8Data } from '@cnnpipe/core';
import { runBin } from '@cnnpipe/core/testing';
import { Table, tableToIPC } from 'apache-arrow';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
        '------  ------  --------  ------------------------',
        'layer2       0  0.123457  [1, 2, 3, 4, … 5 values]',
        'layer2       1         2  [6, 7, 8, 9, … 5 values]',
        '2 rows shown; more follow',
        '',
      ].join('\n'),
    );
  });

  it('fits the line width: fewer vector items first, then long text cut with …; a file ends with its row count', async () => {
    const rows = 12;
    const wide = makeBatch(
      {
        image: utf8Data(Array.from({ length: rows }, (_, i) => `examples/data/fashion-mnist/test/coat/very-long-name-${i}.png`)),
        layer4: fixedSizeListData(Float32Array.from({ length: rows * 512 }, (_, i) => (i % 512) / 8), 512),
      },
      new Map([[META.kind, 'activations']]),
    );
    const path = join(mkdtempSync(join(tmpdir(), 'cnnpipe-show-')), 'wide.arrow');
    writeFileSync(path, tableToIPC(new Table([wide]), 'file'));
    const result = await runBin('show', ['--columns', '60', '-n', '3', path]);
    const lines = result.stdout.toString().trimEnd().split('\n');
    rmSync(dirname(path), { recursive: true, force: true });
    expect(lines).toHaveLength(6);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(60);
    expect(lines[2]).toMatch(/^examples\/data\/fashion-mnist\/test\/co\S*…\s+\[0, … 512 values\]$/);
    expect(lines[5]).toBe('3 rows shown of 12 rows');
    const wideOpen = await runBin('show', ['--columns', '200', '-n', '1', '--all'], tableToIPC(new Table([wide]), 'stream'));
    expect(wideOpen.stdout.toString()).toContain('[0, 0.125, 0.25, 0.375, … 512 values]');
    expect(wideOpen.stdout.toString().trimEnd().split('\n').pop()).toBe('12 rows');
  });

  it('--schema prints columns, types and metadata', async () => {
    const result = await runBin('show', ['--schema', '-n', '0'], bytes);
    expect(result.stdout.toString()).toContain('counts  FixedSizeList<int32>[5]');
    expect(result.stdout.toString()).toContain('cnnpipe.classes: ["a","b","c","d","e"]');
  });

  it('refuses two streams glued by cat (stdin), even when it stops reading after its first rows', async () => {
    const message = 'show: error: stdin: 2 Arrow streams one after the other (cat a b?); join them with `concat a b`\n';
    const small = await runBin('show', ['-n', '1'], Buffer.concat([bytes, bytes]));
    expect([small.code, small.stderr, small.stdout.length]).toEqual([1, message, 0]);
    // A first stream of ~1.6 MB in 64 KiB pipe chunks: show has its one row long before the
    // second stream arrives.
    const many = makeBatch({ neuron: int32Data(Int32Array.from({ length: 400_000 }, (_, i) => i)) }, new Map([[META.kind, 'cof']]));
    const big = tableToIPC(new Table([many]), 'stream');
    const glued = await runBin('show', ['-n', '1'], Buffer.concat([big, bytes]));
    expect([glued.code, glued.stderr]).toEqual([1, message]);
    const single = await runBin('show', ['-n', '1'], big);
    expect([single.code, single.stderr, single.stdout.toString().trimEnd().split('\n').pop()]).toEqual([0, '', '1 row shown; more follow']);
  });

  it('names a bad input', async () => {
    const result = await runBin('show', ['/nonexistent/x.arrows']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('show: error: /nonexistent/x.arrows: cannot read: no such file\n');
  });
});

import { META } from '@cnnpipe/core';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { activationsIPC } from './test-support/activations.js';

const classes = ['cat', 'dog'];
const images = ['a.png', 'b.png', 'c.png', 'd.png'];
const labels = [0, 1, null, 1];
// conv: 2 channels; channel 1 has a tie between b and d.
const conv = Float32Array.of(1, 0, 4, 2, 3, -1, 2, 2);
const convArgmax = Int32Array.of(10, 11, 20, 21, 30, 31, 40, 41);
const fc = Float32Array.of(0.5, 0.25, 0.75, 0.125);
const input = activationsIPC(images, labels, classes, [
  { name: 'conv', values: conv, channels: 2, argmax: convArgmax },
  { name: 'fc', values: fc, channels: 1 },
], 3, { [META.model]: 'm.onnx' });

type Row = { layer: string; neuron: number; rank: number; image: string; label: number | null; class: string | null; value: number; argmax?: number | null };
const rows = (bytes: Uint8Array) => fromIPC(bytes).toArray().map((r) => ({ ...r }) as Row);
const short = (r: Row) => `${r.layer}/${r.neuron}#${r.rank}:${r.image}=${r.value}`;

describe('topk', () => {
  it('keeps each neuron top-K, sorted by layer, neuron, rank, with argmax and metadata', async () => {
    const result = await runBin('topk', ['-k', '2'], input);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(table.schema.metadata.get(META.kind)).toBe('topk');
    expect(table.schema.metadata.get(META.model)).toBe('m.onnx');
    expect(JSON.parse(table.schema.metadata.get(META.classes)!)).toEqual(classes);
    const out = rows(result.stdout);
    expect(out.map(short)).toEqual([
      'conv/0#1:b.png=4',
      'conv/0#2:c.png=3',
      'conv/1#1:b.png=2',
      'conv/1#2:d.png=2',
      'fc/0#1:c.png=0.75',
      'fc/0#2:a.png=0.5',
    ]);
    expect(out.map((r) => r.argmax)).toEqual([20, 30, 21, 41, null, null]);
    expect(out.map((r) => r.label)).toEqual([1, null, 1, 1, null, 0]);
    expect(out.map((r) => r.class)).toEqual(['dog', null, 'dog', 'dog', null, 'cat']);
  });

  it('--bottom keeps the weakest, --layer selects layers', async () => {
    const result = await runBin('topk', ['-k', '1', '--bottom', '--layer', 'conv'], input);
    expect(result.code).toBe(0);
    expect(rows(result.stdout).map(short)).toEqual(['conv/0#1:a.png=1', 'conv/1#1:c.png=-1']);
  });

  it('merges shards: topk of concatenated topk tables equals topk of the whole', async () => {
    const whole = await runBin('topk', ['-k', '2'], input);
    const first = activationsIPC(images.slice(0, 2), labels.slice(0, 2), classes, [
      { name: 'conv', values: conv.slice(0, 4), channels: 2, argmax: convArgmax.slice(0, 4) },
      { name: 'fc', values: fc.slice(0, 2), channels: 1 },
    ]);
    const second = activationsIPC(images.slice(2), labels.slice(2), classes, [
      { name: 'conv', values: conv.slice(4), channels: 2, argmax: convArgmax.slice(4) },
      { name: 'fc', values: fc.slice(2), channels: 1 },
    ]);
    const a = await runBin('topk', ['-k', '2'], first);
    const b = await runBin('topk', ['-k', '2'], second);
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-topk-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'a.arrows'), a.stdout);
    writeFileSync(join(dir, 'b.arrows'), b.stdout);
    const joined = await runBin('concat', [join(dir, 'a.arrows'), join(dir, 'b.arrows')]);
    const merged = await runBin('topk', ['-k', '2'], joined.stdout);
    expect(merged.code).toBe(0);
    expect(rows(merged.stdout)).toEqual(rows(whole.stdout));
  });

  it('refuses to merge bottom-k rows as top-k', async () => {
    const bottom = await runBin('topk', ['-k', '2', '--bottom'], input);
    const result = await runBin('topk', ['-k', '2'], bottom.stdout);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/holds bottom-k rows \(expected top-k rows to merge; add --bottom/);
    const again = await runBin('topk', ['-k', '1', '--bottom'], bottom.stdout);
    expect(again.code).toBe(0);
    expect(rows(again.stdout).map(short)).toEqual(['conv/0#1:a.png=1', 'conv/1#1:c.png=-1', 'fc/0#1:d.png=0.125']);
  });

  it('names a missing layer', async () => {
    const result = await runBin('topk', ['-k', '2', '--layer', 'nope'], input);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("topk: error: stdin: no layer column 'nope' (expected one of: conv, fc)\n");
  });

  it('refuses the wrong kind, naming expected and got', async () => {
    const cof = await runBin('csv', ['--to-arrow', '--kind', 'concepts'], 'layer,unit,concept,score\nfc,9,dog,0.5\n');
    const result = await runBin('topk', ['-k', '2'], cof.stdout);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("topk: error: stdin: wrong table kind (expected 'activations' or 'topk', got 'concepts')\n");
  });

  it('rejects -k 0 as a usage error, and shows help with an example', async () => {
    const bad = await runBin('topk', ['-k', '0'], input);
    expect(bad.code).toBe(2);
    const help = await runBin('topk', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/topk -k 100/);
  });
});

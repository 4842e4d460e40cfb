import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBin } from '@cnnpipe/core/testing';
import { describe, expect, it } from 'vitest';
import { NeuronHeaps, offerBlock } from './heap.js';
import { activationsIPC, rng } from './test-support/activations.js';

/** Reference: every row sorted by value (desc), ties by path, then by row index; take k. */
function reference(values: Float32Array, paths: string[], c: number, n: number, k: number): number[] {
  const idx = paths.map((_, r) => r);
  idx.sort((a, b) => values[b * c + n]! - values[a * c + n]! || (paths[a]! < paths[b]! ? -1 : paths[a]! > paths[b]! ? 1 : 0) || a - b);
  return idx.slice(0, k);
}

describe('topk ties', () => {
  it('the heap keeps the k best by (value, path, index), whatever the arrival order', () => {
    const r = rng(5);
    const rows = 300;
    const c = 4;
    // Values from a handful of levels (many exact ties); channel 3 is dead (all zeros).
    const values = new Float32Array(rows * c).map((_, i) => (i % c === 3 ? 0 : Math.floor(r() * 4)));
    const paths = Array.from({ length: rows }, (_, i) => `img/${String((i * 7919) % rows).padStart(4, '0')}.png`);
    const heaps = new NeuronHeaps<number>(c, 7, false, (row) => paths[row]!);
    for (let start = 0; start < rows; start += 64) {
      const end = Math.min(rows, start + 64);
      offerBlock(heaps, values.subarray(start * c, end * c), end - start, start, (row) => start + row);
    }
    for (let n = 0; n < c; n++) expect(heaps.sorted(n).map((e) => e.payload)).toEqual(reference(values, paths, c, n, 7));
  });

  it('shards merged (concat | topk) equal the single run byte for byte, a dead unit included', async () => {
    const r = rng(9);
    const rows = 96;
    const c = 3;
    // Unit 0: random; unit 1: dead (all zeros); unit 2: four levels, many ties.
    const values = new Float32Array(rows * c).map((_, i) => (i % c === 0 ? r() : i % c === 1 ? 0 : Math.floor(r() * 4)));
    const images = Array.from({ length: rows }, (_, i) => `test/${['bag', 'coat', 'shirt'][i % 3]}/${String((i * 37) % 101).padStart(5, '0')}.png`);
    const labels = images.map((_, i) => i % 3);
    const layer = (rowsOf: number[]) => ({
      name: 'conv',
      channels: c,
      values: Float32Array.from(rowsOf.flatMap((i) => Array.from(values.subarray(i * c, (i + 1) * c)))),
    });
    const part = (rowsOf: number[]) =>
      activationsIPC(rowsOf.map((i) => images[i]!), rowsOf.map((i) => labels[i]!), ['bag', 'coat', 'shirt'], [layer(rowsOf)], 16);
    const all = images.map((_, i) => i);
    const single = await runBin('topk', ['-k', '5'], part(all));
    expect(single.code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'topk-ties-'));
    try {
      // extract --shard I/4: images i with i % 4 == I, each shard its own topk.
      const files: string[] = [];
      for (let s = 0; s < 4; s++) {
        const shard = await runBin('topk', ['-k', '5'], part(all.filter((i) => i % 4 === s)));
        expect(shard.code).toBe(0);
        files.push(join(dir, `part${s}.arrows`));
        writeFileSync(files[s]!, shard.stdout);
      }
      // Any order of the parts gives the same bytes.
      for (const order of [files, [...files].reverse()]) {
        const joined = await runBin('concat', order);
        expect(joined.code).toBe(0);
        const merged = await runBin('topk', ['-k', '5'], joined.stdout);
        expect(merged.code).toBe(0);
        expect(Buffer.from(merged.stdout).equals(Buffer.from(single.stdout))).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

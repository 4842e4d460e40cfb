import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { float64Data, int32Data, makeBatch, META, utf8Data } from '@cnnpipe/core';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { Table, tableToIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-concat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function conceptsFile(name: string, layer: string, units: number[], extra: Record<string, string> = {}) {
  const batch = makeBatch(
    {
      layer: utf8Data(units.map(() => layer)),
      unit: int32Data(Int32Array.from(units)),
      concept: utf8Data(units.map((u) => `c${u}`)),
      score: float64Data(Float64Array.from(units, (u) => u / 10)),
    },
    new Map([[META.kind, 'concepts'], ...Object.entries(extra)]),
  );
  const path = join(dir, name);
  writeFileSync(path, tableToIPC(new Table([batch]), 'stream'));
  return path;
}

describe('concat', () => {
  it('streams the rows of every input, in order, with the first input metadata', async () => {
    const a = conceptsFile('a.arrows', 'layer2', [0, 1], { [META.model]: 'a.onnx' });
    const b = conceptsFile('b.arrows', 'layer4', [5], { [META.model]: 'b.onnx' });
    const result = await runBin('concat', [a, b]);
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(table.schema.metadata.get(META.model)).toBe('a.onnx');
    expect(table.toArray().map((r) => `${r.layer}:${r.unit}`)).toEqual(['layer2:0', 'layer2:1', 'layer4:5']);
  });

  it('reads stdin as -', async () => {
    const a = conceptsFile('c.arrows', 'layer2', [3]);
    const piped = await runBin('csv', ['--to-arrow', '--kind', 'concepts'], 'layer,unit,concept,score\nfc,9,dog,0.5\n');
    const result = await runBin('concat', [a, '-'], piped.stdout);
    expect(fromIPC(result.stdout).toArray().map((r) => r.concept)).toEqual(['c3', 'dog']);
  });

  it('refuses inputs whose columns differ, naming the file, before writing anything', async () => {
    const a = conceptsFile('d.arrows', 'layer2', [0]);
    const other = makeBatch({ layer: utf8Data(['x']), unit: int32Data(Int32Array.of(1)) }, new Map([[META.kind, 'concepts']]));
    const b = join(dir, 'other.arrows');
    writeFileSync(b, tableToIPC(new Table([other]), 'stream'));
    const result = await runBin('concat', [a, b]);
    expect(result.code).toBe(1);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toBe(
      `concat: error: ${b}: cannot concatenate with ${a}: it has columns layer,unit (expected layer,unit,concept,score, as the first input)\n`,
    );
  });

  it('refuses a different kind', async () => {
    const a = conceptsFile('e.arrows', 'layer2', [0]);
    // Columns of no kind (a table with concepts' columns would be taken as one: core's foreign tables).
    const plain = await runBin('csv', ['--to-arrow'], 'layer,unit,word,score\nfc,9,dog,0.5\n');
    const result = await runBin('concat', [a, '-'], plain.stdout);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/stdin: cannot concatenate .* it has kind 'none' \(expected 'concepts', as the first input\)/);
  });
});

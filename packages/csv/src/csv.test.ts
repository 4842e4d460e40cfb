import { existsSync, mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedSizeListData, float32Data, int32Data, makeBatch, META, utf8Data } from '@cnnpipe/core';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { tableToIPC, Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { formatFloat32 } from './to-csv.js';
import { inferType } from './infer.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('csv --to-arrow --kind concepts', () => {
  it('reads a CLIP-Dissect descriptions.csv', async () => {
    const text = 'layer,unit,description,similarity\nlayer2,0,dotted,0.2\nlayer4,7,"striped, red",0.35\n';
    const result = await runBin('csv', ['--to-arrow', '--kind', 'concepts', '-'], text);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(table.schema.metadata.get(META.kind)).toBe('concepts');
    expect(table.toArray().map((r) => r.toJSON())).toEqual([
      { layer: 'layer2', unit: 0, concept: 'dotted', score: 0.2 },
      { layer: 'layer4', unit: 7, concept: 'striped, red', score: 0.35 },
    ]);
  });

  it('reads a NetDissect tally with --layer, turning 1-based units 0-based', async () => {
    const text = 'unit,category,label,score,color-label\n1,texture,banded,0.08,red\n12,object,car,0.31,blue\n';
    const result = await runBin('csv', ['--to-arrow', '--kind', 'concepts', '--layer', 'layer4'], text);
    expect(result.code).toBe(0);
    const rows = fromIPC(result.stdout).toArray().map((r) => r.toJSON());
    expect(rows).toEqual([
      { layer: 'layer4', unit: 0, concept: 'banded', score: 0.08 },
      { layer: 'layer4', unit: 11, concept: 'car', score: 0.31 },
    ]);
  });

  it('asks for --layer when a tally has no layer column', async () => {
    const result = await runBin('csv', ['--to-arrow', '--kind', 'concepts'], 'unit,category,label,score\n1,texture,banded,0.08\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^csv: error: stdin: a NetDissect tally.csv has no layer column \(expected --layer NAME/);
  });

  it('names the expected headers for an unknown file', async () => {
    const result = await runBin('csv', ['--to-arrow', '--kind', 'concepts'], 'a,b\n1,2\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not a concepts file \(expected a header of .*CLIP-Dissect descriptions.csv \(layer,unit,description,similarity\).*got a,b\)/);
  });
});

describe('csv --to-arrow type inference', () => {
  it('infers the narrowest type per column', () => {
    expect(inferType(['1', '-2', ''])).toBe('int32');
    expect(inferType(['1', '2.5', 'nan'])).toBe('float64');
    expect(inferType(['3000000000'])).toBe('float64');
    expect(inferType(['true', 'False'])).toBe('bool');
    expect(inferType(['[1,2]', '[3]'])).toBe('List<float64>');
    expect(inferType(['1', 'x'])).toBe('utf8');
  });

  it('writes typed columns with nulls for empty cells', async () => {
    const result = await runBin('csv', ['--to-arrow'], 'n,x,name\n1,0.5,a\n,1e3,\n');
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(table.schema.fields.map((f) => String(f.type))).toEqual(['Int32', 'Float64', 'Utf8']);
    expect(table.toArray().map((r) => r.toJSON())).toEqual([
      { n: 1, x: 0.5, name: 'a' },
      { n: null, x: 1000, name: null },
    ]);
  });
});

describe('csv: Arrow to CSV', () => {
  const batch = makeBatch(
    {
      image: utf8Data(['a.png', 'b, "quoted".png']),
      label: int32Data(Int32Array.of(3, 0), (i) => i === 1),
      value: float32Data(Float32Array.of(0.3, 1 / 3)),
      layer2: fixedSizeListData(Float32Array.of(0.1, 2, -0.5, 7), 2),
    },
    new Map([[META.kind, 'activations']]),
  );
  const bytes = tableToIPC(new Table([batch]), 'stream');

  it('writes scalars, quoted text, nulls as empty and vectors as JSON arrays', async () => {
    const result = await runBin('csv', [], bytes);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe(
      'image,label,value,layer2\na.png,3,0.3,"[0.1,2]"\n"b, ""quoted"".png",,0.33333334,"[-0.5,7]"\n',
    );
  });

  it('prints float32 values as their shortest round-trip decimal', () => {
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(Math.fround(1 / 3))).toBe('0.33333334');
    expect(formatFloat32(Math.fround(1e-8))).toBe('1e-8');
  });

  it('ends quietly when the reader closes early (| head)', async () => {
    const n = 200_000;
    const big = makeBatch({ image: utf8Data(Array.from({ length: n }, (_, i) => `image-${i}.png`)) });
    const path = join(dir, 'big.arrows');
    writeFileSync(path, tableToIPC(new Table([big]), 'stream'));
    const { spawnSync } = await import('node:child_process');
    const bin = join(__dirname, '../bin/csv.js');
    const shell = spawnSync('bash', ['-o', 'pipefail', '-c', `node ${bin} ${path} | head -n 2`], { encoding: 'utf8' });
    expect(shell.stdout).toBe('image\nimage-0.png\n');
    expect(shell.stderr).toBe('');
    expect(shell.status).toBe(0);
  });
});

describe('csv: bad input', () => {
  it('a ragged CSV row: one line, exit 1, no partial -o file', async () => {
    const out = join(dir, 'ragged.arrows');
    const result = await runBin('csv', ['--to-arrow', '-o', out], 'a,b\n1,2\n3\n4,5\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('csv: error: stdin: row 3 has 1 fields (expected 2, as the header: a,b)\n');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('ragged'))).toEqual([]);
  });

  it('non-Arrow bytes on stdin', async () => {
    const result = await runBin('csv', [], 'hello, world\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "csv: error: stdin: not an Arrow IPC stream (expected an Arrow IPC stream, got text 'hello, world...'; for CSV use 'csv --to-arrow')\n",
    );
  });

  it('an empty stdin', async () => {
    const result = await runBin('csv', [], '');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('csv: error: stdin: empty input (expected an Arrow IPC stream)\n');
  });

  it('an unknown flag is a usage error (exit 2)', async () => {
    const result = await runBin('csv', ['--frobnicate'], '');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("csv: error: unknown option --frobnicate (see 'csv --help')\n");
  });

  it('--help shows usage and a runnable example, exit 0', async () => {
    const result = await runBin('csv', ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toMatch(/Usage: csv/);
    expect(result.stdout.toString()).toMatch(/Examples:\n[\s\S]*csv --to-arrow --kind concepts/);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatch } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { ArrowWriter } from '../arrow/output.js';
import { affineMapCodec, readAffineMap } from './affine-map.js';
import { emptyGram, gramCodec, readGramTable, type Gram } from './gram.js';
import { META } from './metadata.js';
import { checkColumns, KINDS } from './specs.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-lstsq-codecs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function write(name: string, batches: RecordBatch[]): Promise<string> {
  const path = join(dir, name);
  const writer = ArrowWriter.open(path, batches[0]!.schema);
  for (const b of batches) await writer.write(b);
  await writer.close();
  return path;
}

function gram(da: number, db: number, seed: number): Gram {
  const g = emptyGram(da, db);
  g.n = 10 + seed;
  g.xtx.forEach((_, i) => (g.xtx[i] = seed + i / 7));
  g.xty.forEach((_, i) => (g.xty[i] = seed - i / 3));
  g.yy.forEach((_, i) => (g.yy[i] = seed * i));
  return g;
}

describe('gram and affine-map codecs', () => {
  it('gram: two shards in two batches come back as two grams, exactly', async () => {
    const meta = new Map([[META.kind, 'gram']]);
    const a = gram(2, 3, 1);
    const b = gram(2, 3, 2);
    checkColumns(gramCodec.encode(a, meta).schema, KINDS.gram!.columns, 'gram');
    const { reader, grams } = await readGramTable(await write('g.arrows', [gramCodec.encode(a, meta), gramCodec.encode(b, meta)]));
    expect(reader.name).toMatch(/g\.arrows$/);
    expect(grams).toEqual([a, b]);
  });

  it('gram: sizes that do not match da and db, or a NaN, stop naming the file', async () => {
    const meta = new Map([[META.kind, 'gram']]);
    const wrong = { ...gram(2, 3, 1), da: 3 };
    await expect(readGramTable(await write('bad.arrows', [gramCodec.encode(wrong, meta)]))).rejects.toThrow(/bad\.arrows: gram sizes do not match da=3, db=3/);
    const nan = gram(2, 3, 1);
    nan.xty[4] = NaN;
    await expect(readGramTable(await write('nan.arrows', [gramCodec.encode(nan, meta)]))).rejects.toThrow(/nan\.arrows: column 'xty' has 1 NaN\/Inf value/);
  });

  it('affine-map: rows are placed by dim; r2 only when given; the empty shape has the columns', async () => {
    const meta = new Map([[META.kind, 'affine-map']]);
    const map = { da: 2, db: 3, weights: Float64Array.of(1, 2, 3, 4, 5, 6), bias: Float64Array.of(7, 8, 9), r2: Float64Array.of(0.5, 0.25, 1) };
    const batch = affineMapCodec.encode(map, meta);
    checkColumns(batch.schema, KINDS['affine-map']!.columns, 'affine-map');
    expect(batch.schema.fields.map((f) => f.name)).toEqual(['dim', 'weights', 'bias', 'r2']);
    expect(affineMapCodec.encode(affineMapCodec.empty({ da: 2, r2: false }), meta).schema.fields.map((f) => f.name)).toEqual(['dim', 'weights', 'bias']);
    // Written in reverse row order, over two batches: read back in dim order.
    const reversed = [2, 1, 0].map((j) => batch.slice(j, j + 1));
    const back = await readAffineMap(await write('map.arrows', reversed));
    expect([back.da, back.db]).toEqual([2, 3]);
    expect(Array.from(back.weights)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(back.bias)).toEqual([7, 8, 9]);
  });
});

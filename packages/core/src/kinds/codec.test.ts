import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { float64Data, makeBatch, primitiveValues, utf8Data } from '../arrow/columns.js';
import { NonFiniteGuard } from '../arrow/nonfinite.js';
import { openArrow } from '../arrow/input.js';
import { readRows, utf8Reader } from '../arrow/readers.js';
import { KindWriter, readKind, writeKind, type KindCodec } from './codec.js';
import { cofCodec as cof } from './cof.js';
import { META } from './metadata.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-codec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A kind of the tests' own: a name and a float score per row. */
interface Scores {
  name: string[];
  score: Float64Array;
}
const scores: KindCodec<Scores> = {
  kind: 'test-scores',
  decode: (columns) => ({
    name: readRows(utf8Reader(columns.getChild('name')), columns.numRows) as string[],
    score: Float64Array.from(primitiveValues(columns.getChild('score')!)),
  }),
  encode: (rows, metadata) => makeBatch({ name: utf8Data(rows.name), score: float64Data(rows.score) }, metadata),
  empty: () => ({ name: [], score: new Float64Array(0) }),
};

const cofRows = {
  layer: ['a', 'a', 'b'],
  neuron: Int32Array.of(0, 1, 0),
  counts: Int32Array.of(1, 2, 3, 0, 0, 5, 4, 4, 0),
  classes: 3,
  total: Int32Array.of(6, 5, 9),
};

describe('kind codecs', () => {
  for (const file of ['cof.arrows', 'cof.arrow', 'cof.parquet']) {
    it(`round-trips a cof table through ${file}, passing metadata on`, async () => {
      const path = join(dir, file);
      const from = makeBatch({ x: utf8Data([]) }, new Map([[META.kind, 'topk'], [META.classes, '["x","y","z"]'], ['user', 'kept']])).schema;
      await writeKind(cof, path, cofRows, { from, metadata: { user: null, 'cnnpipe.extra': '1' }, shape: { classes: 3 } });
      const reader = await readKind(cof, path);
      expect(reader.schema.metadata.get(META.kind)).toBe('cof');
      expect(reader.schema.metadata.get(META.classes)).toBe('["x","y","z"]');
      expect(reader.schema.metadata.get('cnnpipe.extra')).toBe('1');
      expect(reader.schema.metadata.has('user')).toBe(false);
      expect(await reader.all()).toEqual(cofRows);
    });
  }

  it('writes a well-formed empty table of the right shape when no rows come', async () => {
    const path = join(dir, 'empty.arrows');
    const writer = KindWriter.open(cof, path, { shape: { classes: 4 } });
    await writer.close();
    expect(readFileSync(path).length).toBeGreaterThan(8);
    const reader = await readKind(cof, path);
    const rows = await reader.all();
    expect(rows.layer).toEqual([]);
    expect(rows.classes).toBe(4);
    expect(rows.counts.length).toBe(0);
  });

  it('decodes batch by batch and concatenates them for the whole table', async () => {
    const path = join(dir, 'batches.arrows');
    const writer = KindWriter.open(scores, path, {});
    await writer.write({ name: ['p', 'q'], score: Float64Array.of(1, 2) });
    await writer.write({ name: ['r'], score: Float64Array.of(3) });
    await writer.close();
    const parts = [];
    for await (const batch of (await readKind(scores, path)).batches()) parts.push(batch);
    expect(parts.map((p) => p.name)).toEqual([['p', 'q'], ['r']]);
    expect(await (await readKind(scores, path)).all()).toEqual({ name: ['p', 'q', 'r'], score: Float64Array.of(1, 2, 3) });
  });

  it('refuses another kind, naming the input', async () => {
    const path = join(dir, 'kind.arrows');
    await writeKind(scores, path, { name: ['p'], score: Float64Array.of(1) }, {});
    await expect(readKind(cof, path)).rejects.toThrow(`${path}: wrong table kind (expected 'cof', got 'test-scores')`);
  });

  describe('the non-finite policy, rows counted by the guard', () => {
    const path = join(dir, 'nan.arrows');
    const write = async () => {
      const writer = KindWriter.open(scores, path, {});
      await writer.write({ name: ['p', 'q'], score: Float64Array.of(1, 2) });
      await writer.write({ name: ['r', 's', 't'], score: Float64Array.of(3, NaN, Infinity) });
      await writer.close();
    };

    it('stops by default, naming the column and the row in the whole input', async () => {
      await write();
      const reader = await readKind(scores, path, { guard: new NonFiniteGuard(path, false) });
      await expect(reader.all()).rejects.toThrow(`${path}: column 'score' has 2 NaN/Inf values (first at row 4)`);
    });

    it('drops the rows with --skip-nonfinite and says how many', async () => {
      await write();
      const warnings: string[] = [];
      const reader = await readKind(scores, path, { guard: new NonFiniteGuard(path, true, (m) => warnings.push(m)) });
      expect(await reader.all()).toEqual({ name: ['p', 'q', 'r'], score: Float64Array.of(1, 2, 3) });
      expect(warnings).toEqual([`${path}: dropped 2 rows with NaN/Inf values ('score': 2 values, first at row 4)`]);
    });

    it('leaves the scan to a fused algorithm unless rows are dropped', async () => {
      await write();
      const reader = await readKind(scores, path, { guard: new NonFiniteGuard(path, false), fused: true });
      let seen = 0;
      const consume = async () => {
        for await (const batch of reader.batches()) {
          seen += batch.name.length;
          if (batch.score.some((v) => !Number.isFinite(v))) reader.rescan(['score']);
        }
      };
      await expect(consume()).rejects.toThrow(`${path}: column 'score' has 2 NaN/Inf values (first at row 4)`);
      expect(seen).toBe(5);
    });
  });

  it('opens an input already open', async () => {
    const path = join(dir, 'open.arrows');
    await writeKind(scores, path, { name: ['p'], score: Float64Array.of(1) }, {});
    const reader = await readKind(scores, await openArrow(path));
    expect((await reader.all()).name).toEqual(['p']);
  });
});

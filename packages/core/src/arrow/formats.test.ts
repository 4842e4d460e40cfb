import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bool,
  CompressionType,
  compressionRegistry,
  Field,
  FixedSizeList,
  Float16,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Table,
  Utf8,
  vectorFromArray,
  type DataType,
} from 'apache-arrow';
import * as flechette from '@uwdata/flechette';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { fixedSizeListValues } from './columns.js';
import { adoptForeign, inferKind } from './foreign.js';
import { openArrow, readAllBatches } from './input.js';
import { KINDS } from '../kinds/specs.js';
import { META } from '../kinds/metadata.js';
import { ArrowWriter, ByteSink, outputFormat } from './output.js';
import { describeType, type TypeSpec } from '../kinds/column-types.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 7;
const item = (type: DataType) => new Field('item', type, false);

/** A column of `rows` values of a design type; values depend on the row and `seed`. */
function columnOf(spec: TypeSpec, rows: number, seed: number) {
  const f32 = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 0.37 + seed) * 10));
  switch (spec) {
    case 'utf8':
      return vectorFromArray(Array.from({ length: rows }, (_, i) => (i === 2 ? null : `v${seed}-${i}`)), new Utf8()).data[0]!;
    case 'int32':
    case 'integer':
      return makeData({ type: new Int32(), length: rows, data: Int32Array.from({ length: rows }, (_, i) => i * 3 - seed) });
    case 'float32':
      return makeData({ type: new Float32(), length: rows, data: f32(rows) });
    case 'float64':
    case 'number':
      return makeData({ type: new Float64(), length: rows, data: Float64Array.from(f32(rows), (v) => v / 3) });
    case 'bool':
      return vectorFromArray(Array.from({ length: rows }, (_, i) => i % 3 === 0), new Bool()).data[0]!;
    case 'FixedSizeList<float32>':
    case 'FixedSizeList|List<number>':
      return makeData({ type: new FixedSizeList(5, item(new Float32())), length: rows, nullCount: 0, child: makeData({ type: new Float32(), length: rows * 5, data: f32(rows * 5) }) });
    case 'FixedSizeList<float64>':
      return makeData({ type: new FixedSizeList(4, item(new Float64())), length: rows, nullCount: 0, child: makeData({ type: new Float64(), length: rows * 4, data: Float64Array.from(f32(rows * 4)) }) });
    case 'FixedSizeList<int32>':
      return makeData({ type: new FixedSizeList(3, item(new Int32())), length: rows, nullCount: 0, child: makeData({ type: new Int32(), length: rows * 3, data: Int32Array.from({ length: rows * 3 }, (_, i) => i + seed) }) });
    case 'List<float32>':
    case 'List<float64>': {
      const offsets = Int32Array.from({ length: rows + 1 }, (_, i) => (i * (i + 1)) / 2);
      const n = offsets[rows]!;
      const child = spec === 'List<float32>' ? makeData({ type: new Float32(), length: n, data: f32(n) }) : makeData({ type: new Float64(), length: n, data: Float64Array.from(f32(n)) });
      return makeData({ type: new List(item(child.type)), length: rows, nullCount: 0, valueOffsets: offsets, child });
    }
  }
}

/** A batch of every required (and optional) column of a kind, plus what its extra words ask. */
function sampleBatch(kind: string): RecordBatch {
  const spec = KINDS[kind]!;
  const columns: [string, ReturnType<typeof columnOf>][] = spec.columns.map((c, i) => [c.name, columnOf(c.type, ROWS, i)]);
  if (kind === 'activations') columns.push(['layer4', columnOf('FixedSizeList<float32>', ROWS, 9)], ['layer4:argmax', columnOf('FixedSizeList<int32>', ROWS, 3)]);
  if (columns.length === 0) columns.push(['set', columnOf('utf8', ROWS, 1)], ['size', columnOf('int32', ROWS, 2)]);
  const fields = columns.map(([name, data]) => new Field(name, data.type, true));
  const schema = new Schema(fields, new Map([[META.kind, kind], [META.classes, '["a","b"]'], ['user.note', 'kept']]));
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length: ROWS, nullCount: 0, children: columns.map(([, d]) => d) }));
}

/** Column values as plain JSON (typed arrays and nested vectors as arrays). */
function valuesOf(batches: RecordBatch[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  const plain = (v: unknown): unknown =>
    v === null || v === undefined ? null
    : typeof v === 'bigint' ? Number(v)
    : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>)
    : typeof v === 'object' && v !== null && 'toArray' in v ? plain((v as { toArray(): unknown }).toArray())
    : v;
  for (const batch of batches) {
    for (const field of batch.schema.fields) {
      (out[field.name] ??= []).push(...Array.from(batch.getChild(field.name)!, plain));
    }
  }
  return out;
}

async function writeBatches(path: string, batches: RecordBatch[], compress = false): Promise<void> {
  const writer = new ArrowWriter(ByteSink.open(path), batches[0]!.schema, outputFormat(path), compress);
  for (const batch of batches) await writer.write(batch);
  await writer.close();
}

const quiet = { compress: false, note: () => undefined };

describe('output format by name, input format by bytes', () => {
  it('names', () => {
    expect(outputFormat(undefined)).toBe('stream');
    expect(outputFormat('-')).toBe('stream');
    expect(outputFormat('a.arrows')).toBe('stream');
    expect(outputFormat('a.ARROW')).toBe('file');
    expect(outputFormat('a.feather')).toBe('file');
    expect(outputFormat('x/a.parquet')).toBe('parquet');
  });

  it.each(['arrows', 'arrow', 'feather', 'parquet'])('writes .%s with its magic bytes', async (ext) => {
    const path = join(dir, `magic.${ext}`);
    await writeBatches(path, [sampleBatch('topk')]);
    const bytes = readFileSync(path);
    const head = bytes.subarray(0, 6).toString('latin1');
    const tail = bytes.subarray(bytes.length - 6).toString('latin1');
    if (ext === 'parquet') expect([head.slice(0, 4), tail.slice(2)]).toEqual(['PAR1', 'PAR1']);
    else if (ext === 'arrows') expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    else expect([head, tail]).toEqual(['ARROW1', 'ARROW1']);
  });
});

describe('every kind round-trips as stream, file and Parquet', () => {
  const cases = Object.keys(KINDS).flatMap((kind) => ['arrows', 'arrow', 'parquet'].map((ext) => [kind, ext] as const));
  it.each(cases)('%s as .%s', async (kind, ext) => {
    const batch = sampleBatch(kind);
    const second = sampleBatch(kind).slice(2, 5);
    const path = join(dir, `${kind}.${ext}`);
    await writeBatches(path, [batch, second]);
    const input = await openArrow(path);
    expect(Object.fromEntries([...input.schema.metadata].filter(([k]) => k !== 'ARROW:schema'))).toEqual(Object.fromEntries(batch.schema.metadata));
    expect(input.schema.fields.map((f) => `${f.name}: ${describeType(f.type)}`)).toEqual(batch.schema.fields.map((f) => `${f.name}: ${describeType(f.type)}`));
    const read = await readAllBatches(input);
    expect(read.reduce((n, b) => n + b.numRows, 0)).toBe(ROWS + 3);
    expect(valuesOf(read)).toEqual(valuesOf([batch, second]));
  });

  it('an empty table keeps its schema and metadata in every format', async () => {
    const schema = sampleBatch('cof').schema;
    for (const ext of ['arrows', 'arrow', 'parquet']) {
      const path = join(dir, `empty.${ext}`);
      const writer = ArrowWriter.open(path, schema);
      await writer.close();
      const input = await openArrow(path);
      expect(input.schema.metadata.get(META.kind)).toBe('cof');
      expect(input.schema.fields.map((f) => f.name)).toEqual(schema.fields.map((f) => f.name));
      expect(await readAllBatches(input)).toEqual([]);
    }
  });

  it('a big table is written to Parquet in several row groups and read in several batches', async () => {
    // 3,000 rows x 8,192 floats = 98 MB: row groups of ~64 MB, batches of ~16 MB.
    const rows = 3000;
    const size = 8192;
    const values = new Float32Array(rows * size);
    for (let i = 0; i < values.length; i += 97) values[i] = i;
    const fields = [new Field('image', new Utf8(), true), new Field('layer', new FixedSizeList(size, item(new Float32())), false)];
    const schema = new Schema(fields, new Map([[META.kind, 'activations']]));
    const path = join(dir, 'big.parquet');
    const writer = ArrowWriter.open(path, schema);
    for (let at = 0; at < rows; at += 500) {
      const child = makeData({ type: new Float32(), length: 500 * size, data: values.subarray(at * size, (at + 500) * size) });
      const layer = makeData({ type: fields[1]!.type as FixedSizeList, length: 500, nullCount: 0, child });
      const image = vectorFromArray(Array.from({ length: 500 }, (_, i) => `i${at + i}`), new Utf8()).data[0]!;
      await writer.write(new RecordBatch(schema, makeData({ type: new Struct(fields), length: 500, nullCount: 0, children: [image, layer] })));
    }
    await writer.close();
    const meta = await parquetMetadataAsync(await asyncBufferFromFile(path));
    expect(meta.row_groups.length).toBeGreaterThan(1);
    const input = await openArrow(path);
    let count = 0;
    let batches = 0;
    for await (const batch of input.batches()) {
      const { values: got } = fixedSizeListValues(batch.getChild('layer')!);
      const want = values.subarray(count * size, (count + batch.numRows) * size);
      // (toEqual walks 16 MB arrays element by element for minutes.)
      expect(got.length).toBe(want.length);
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))).toBe(true);
      count += batch.numRows;
      batches++;
    }
    expect(count).toBe(rows);
    expect(batches).toBeGreaterThan(1);
  }, 60_000);
});

describe('independent readers open what we write', () => {
  it('hyparquet reads our Parquet: key-value metadata, fixed-size lists, values', async () => {
    const batch = sampleBatch('activations');
    const path = join(dir, 'independent.parquet');
    await writeBatches(path, [batch]);
    const file = await asyncBufferFromFile(path);
    const meta = await parquetMetadataAsync(file);
    const kv = Object.fromEntries((meta.key_value_metadata ?? []).map((e) => [e.key, e.value]));
    expect(kv[META.kind]).toBe('activations');
    expect(kv[META.classes]).toBe('["a","b"]');
    const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    const ours = valuesOf([batch]);
    expect(rows.map((r) => r.image)).toEqual(ours.image);
    expect(rows.map((r) => r.label)).toEqual(ours.label);
    expect(rows.map((r) => r.layer4)).toEqual(ours.layer4);
  });

  it('flechette reads our .arrow and .feather files: schema, metadata, fixed-size lists', async () => {
    const batch = sampleBatch('activations');
    for (const ext of ['arrow', 'feather']) {
      const path = join(dir, `independent.${ext}`);
      await writeBatches(path, [batch, batch]);
      const table = flechette.tableFromIPC(readFileSync(path));
      expect(table.numRows).toBe(2 * ROWS);
      expect(table.schema.metadata?.get(META.kind)).toBe('activations');
      const layer = table.getChild('layer4');
      expect(layer.type.typeId).toBe(flechette.Type.FixedSizeList);
      expect(Array.from(layer.at(ROWS + 1) as Float32Array)).toEqual((valuesOf([batch]).layer4 as number[][])[1]);
    }
  });
});

describe('foreign tables', () => {
  const images = ['a.png', 'b.png', 'c.png'];
  const vectors = [[0.1, 0.2, 0.3, 0.4], [1.5, -2, 3.25, 4], [1e-3, 5, 6, 7]];

  /** A pandas/polars-like table from flechette: int64 labels, float64 vectors, no metadata. */
  function flechetteBytes(format: 'stream' | 'file', listType: 'fixed' | 'list' | 'large'): Uint8Array {
    const f64 = flechette.float64();
    const vectorType = listType === 'fixed' ? flechette.fixedSizeList(f64, 4) : listType === 'list' ? flechette.list(f64) : flechette.largeList(f64);
    const table = flechette.tableFromArrays(
      { image: images, label: [0, 1, 0], class: ['bag', 'coat', 'bag'], block2: vectors },
      { types: { image: flechette.utf8(), label: flechette.int64(), class: flechette.utf8(), block2: vectorType } },
    );
    return flechette.tableToIPC(table, { format })!;
  }

  it.each([
    ['stream', 'fixed'],
    ['file', 'list'],
    ['stream', 'large'],
  ] as const)('a %s of %s float64 vectors and int64 labels, no metadata: activations, one note each', async (format, listType) => {
    const path = join(dir, `foreign-${format}-${listType}.${format === 'file' ? 'arrow' : 'arrows'}`);
    writeFileSync(path, flechetteBytes(format, listType));
    const notes: string[] = [];
    const raw = await openArrow(path, { foreign: false });
    expect(raw.schema.metadata.get(META.kind)).toBeUndefined();
    const input = await adoptForeign(raw, { compress: false, note: (m) => notes.push(m) });
    expect(input.schema.metadata.get(META.kind)).toBe('activations');
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/no cnnpipe\.kind metadata; assumed table kind 'activations'/);
    expect(notes[1]).toMatch(/converted columns label \(int64 -> int32\), block2 \(.*float64.* -> FixedSizeList<float32>\[4\]\)/);
    const [batch] = await readAllBatches(input);
    expect(describeType(batch!.getChild('block2')!.type)).toBe('FixedSizeList<float32>[4]');
    expect(Array.from(fixedSizeListValues(batch!.getChild('block2')!).values)).toEqual(vectors.flat().map(Math.fround));
    expect(Array.from(batch!.getChild('label')!.toArray() as Int32Array)).toEqual([0, 1, 0]);
  });

  it('lists of different lengths are refused with the column named', async () => {
    const table = flechette.tableFromArrays(
      { image: images, label: [0, 1, 0], class: ['bag', 'coat', 'bag'], block2: [[1, 2], [3, 4], [5]] },
      { types: { label: flechette.int32(), block2: flechette.list(flechette.float64()) } },
    );
    const path = join(dir, 'ragged.arrows');
    writeFileSync(path, flechette.tableToIPC(table, { format: 'stream' })!);
    const input = await adoptForeign(await openArrow(path, { foreign: false }), quiet);
    await expect(readAllBatches(input)).rejects.toThrow(/column 'block2'.*different lengths/);
  });

  it('float16 vectors become float32 with the exact values', async () => {
    // 1, -2, 0.5, 65504 (largest), 2^-24 (smallest subnormal), -0, +Inf, 0.1 (rounded)
    const bits = Uint16Array.of(0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x2e66);
    const expected = [1, -2, 0.5, 65504, 2 ** -24, -0, Infinity, Math.fround(0.0999755859375)];
    const child = makeData({ type: new Float16(), length: 8, data: bits });
    const layer = makeData({ type: new FixedSizeList(4, item(new Float16())), length: 2, nullCount: 0, child });
    const image = vectorFromArray(['x', 'y'], new Utf8()).data[0]!;
    const label = makeData({ type: new Int64(), length: 2, data: BigInt64Array.of(1n, 0n) });
    const cls = vectorFromArray(['b', 'a'], new Utf8()).data[0]!;
    const fields = [new Field('image', image.type), new Field('label', label.type), new Field('class', cls.type), new Field('conv', layer.type)];
    const batch = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: 2, nullCount: 0, children: [image, label, cls, layer] }));
    const path = join(dir, 'half.arrows');
    await writeBatches(path, [batch]);
    const [read] = await readAllBatches(await adoptForeign(await openArrow(path, { foreign: false }), quiet));
    expect(Array.from(fixedSizeListValues(read!.getChild('conv')!).values)).toEqual(expected);
  });

  it('a kind is assumed only when one fits; --kind names it otherwise', async () => {
    const schemaOf = (names: string[]) => new Schema(names.map((n) => new Field(n, n === 'neuron' || n === 'rank' || n === 'label' ? new Int64() : new Utf8())));
    expect(inferKind(sampleBatch('topk').schema)).toBe('topk');
    expect(inferKind(sampleBatch('cof').schema)).toBe('cof');
    expect(inferKind(sampleBatch('neuron-stats').schema)).toBe('neuron-stats');
    expect(inferKind(schemaOf(['image', 'label', 'class']))).toBeUndefined(); // no vector column
    expect(inferKind(schemaOf(['a', 'b']))).toBeUndefined();
    const path = join(dir, 'nokind.arrows');
    const batch = sampleBatch('similarity-summary');
    const plain = new RecordBatch(new Schema(batch.schema.fields), batch.data);
    await writeBatches(path, [plain]);
    const given = await adoptForeign(await openArrow(path, { foreign: false }), { ...quiet, kind: 'similarity-summary' });
    expect(given.schema.metadata.get(META.kind)).toBe('similarity-summary');
    await expect(adoptForeign(await openArrow(path, { foreign: false }), { ...quiet, kind: 'nonsense' })).rejects.toThrow(/--kind nonsense is not a table kind/);
  });

  it('a table of our own passes through untouched (no note, same batches)', async () => {
    const path = join(dir, 'own.arrows');
    await writeBatches(path, [sampleBatch('activations')]);
    const notes: string[] = [];
    const raw = await openArrow(path, { foreign: false });
    const input = await adoptForeign(raw, { compress: false, note: (m) => notes.push(m) });
    expect(input).toBe(raw);
    expect(notes).toEqual([]);
  });
});

describe('compressed Arrow IPC', () => {
  const hasTool = (tool: string) => {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  /** A compressed IPC stream whose buffers the reference C tools (lz4, zstd) compressed. */
  function compressedWithCli(type: CompressionType, tool: string, args: string[]): Uint8Array {
    compressionRegistry.set(type, { encode: (data) => new Uint8Array(execFileSync(tool, args, { input: data, maxBuffer: 1 << 30 })) });
    const writer = new RecordBatchStreamWriter({ compressionType: type });
    const batch = sampleBatch('activations');
    return writer.writeAll(new Table([batch, batch])).toUint8Array(true);
  }

  it.skipIf(!hasTool('lz4'))('LZ4 frame buffers from the lz4 tool read back to the same values', async () => {
    const path = join(dir, 'lz4.arrows');
    writeFileSync(path, compressedWithCli(CompressionType.LZ4_FRAME, 'lz4', ['-c', '-q', '--content-size']));
    const read = await readAllBatches(await openArrow(path));
    expect(valuesOf(read)).toEqual(valuesOf([sampleBatch('activations'), sampleBatch('activations')]));
  });

  it.skipIf(!hasTool('zstd'))('ZSTD buffers from the zstd tool read back to the same values', async () => {
    const path = join(dir, 'zstd.arrow.stream');
    writeFileSync(path, compressedWithCli(CompressionType.ZSTD, 'zstd', ['-c', '-q', '-19']));
    const read = await readAllBatches(await openArrow(path));
    expect(valuesOf(read)).toEqual(valuesOf([sampleBatch('activations'), sampleBatch('activations')]));
  });

  it('--compress writes LZ4 frame IPC (stream and file) that reads back, smaller', async () => {
    const rows = 2000;
    const fields = [new Field('layer', new FixedSizeList(64, item(new Float32())), false)];
    const schema = new Schema(fields, new Map([[META.kind, 'activations']]));
    const values = Float32Array.from({ length: rows * 64 }, (_, i) => (i % 64 < 48 ? 0 : i % 7)); // ReLU-like zeros
    const layer = makeData({ type: fields[0]!.type, length: rows, nullCount: 0, child: makeData({ type: new Float32(), length: values.length, data: values }) });
    const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children: [layer] }));
    for (const ext of ['arrows', 'feather', 'parquet']) {
      const plain = join(dir, `plain.${ext}`);
      const packed = join(dir, `packed.${ext}`);
      await writeBatches(plain, [batch]);
      await writeBatches(packed, [batch], true);
      expect(readFileSync(packed).length).toBeLessThan(readFileSync(plain).length / 3);
      const [read] = await readAllBatches(await openArrow(packed));
      const got = fixedSizeListValues(read!.getChild('layer')!).values;
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(values.buffer))).toBe(true);
    }
  });
});

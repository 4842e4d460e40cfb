import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromIPC, runBin, tempFolder } from '@cnnpipe/core/testing';
import * as flechette from '@uwdata/flechette';
import { CompressionType, compressionRegistry, RecordBatchStreamWriter, tableFromIPC, type Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fashionMnistDir, zooDir } from './index.js';

/**
 * Tables from outside (pandas, polars, pyarrow: no cnnpipe metadata, float64 vectors, int64
 * labels, lists, compressed IPC, Parquet, pandas' CSV) go through topk | cof | sparsity to
 * the same numbers as the table extract wrote.
 */
const folder = tempFolder();
const at = (name: string) => folder.path(name);
afterAll(() => folder.remove());

async function run(tool: string, args: string[], stdin?: Uint8Array | string): Promise<{ stdout: Buffer; stderr: string }> {
  const result = await runBin(tool, args, stdin);
  if (result.code !== 0) throw new Error(`${tool} ${args.join(' ')}: ${result.stderr}`);
  return result;
}

let native: Table;
let classes: string[];
const LAYERS = ['block2', 'block3'];

/** topk -k 3 | cof --classes | sparsity, each tool's output read back; stderr of all three. */
async function pipeline(input: string | Uint8Array): Promise<{ topk: Table; stats: Table; notes: string }> {
  const args = typeof input === 'string' ? [input] : [];
  const topk = await run('topk', ['-k', '3', ...args], typeof input === 'string' ? undefined : input);
  const cof = await run('cof', ['--classes', classes.join(',')], topk.stdout);
  const stats = await run('sparsity', [], cof.stdout);
  return { topk: fromIPC(topk.stdout), stats: fromIPC(stats.stdout), notes: topk.stderr + cof.stderr + stats.stderr };
}

/** A table's columns as plain values (not its metadata: a foreign table brings none). */
function values(table: Table, columns?: string[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const field of table.schema.fields) {
    if (columns && !columns.includes(field.name)) continue;
    out[field.name] = Array.from(table.getChild(field.name)!, (v: unknown) =>
      v !== null && typeof v === 'object' && 'toArray' in v ? Array.from((v as { toArray(): ArrayLike<number> }).toArray()) : v,
    );
  }
  return out;
}

let expected: { topk: Table; stats: Table };

beforeAll(async () => {
  const images = ['bag', 'coat'].flatMap((c) => readdirSync(join(fashionMnistDir, 'test', c)).slice(0, 6).map((f) => `${join(fashionMnistDir, 'test', c, f)},${c}`));
  writeFileSync(at('images.txt'), `${images.join('\n')}\n`);
  await run('extract', ['--model', join(zooDir, 'vgg.onnx'), '--layer', LAYERS[0]!, '--layer', LAYERS[1]!, `@${at('images.txt')}`, '-o', at('acts.arrows')]);
  native = tableFromIPC(readFileSync(at('acts.arrows')));
  classes = JSON.parse(native.schema.metadata.get('cnnpipe.classes')!) as string[];
  expected = await pipeline(at('acts.arrows'));
}, 180_000);

/** The native table's rows as JavaScript values. */
function rows() {
  const v = values(native);
  return {
    image: v.image as string[],
    label: v.label as (number | null)[],
    class: v.class as string[],
    layers: LAYERS.map((l) => (v[l] as number[][]).map((row) => Array.from(row))),
  };
}

function expectSameResults(got: { topk: Table; stats: Table }): void {
  expect(values(got.topk, ['layer', 'neuron', 'rank', 'image', 'label', 'class', 'value'])).toEqual(values(expected.topk, ['layer', 'neuron', 'rank', 'image', 'label', 'class', 'value']));
  expect(values(got.stats)).toEqual(values(expected.stats));
}

describe('foreign tables through topk | cof | sparsity', () => {
  it('our own Parquet and Arrow file (concat -o x.parquet / x.arrow), from a file and from stdin', async () => {
    await run('concat', [at('acts.arrows'), '-o', at('acts.parquet')]);
    await run('concat', [at('acts.arrows'), '-o', at('acts.arrow')]);
    expect(readFileSync(at('acts.parquet')).subarray(0, 4).toString()).toBe('PAR1');
    expect(readFileSync(at('acts.arrow')).subarray(0, 6).toString()).toBe('ARROW1');
    for (const file of ['acts.parquet', 'acts.arrow']) {
      const fromFile = await pipeline(at(file));
      expect(fromFile.notes).toBe('');
      expectSameResults(fromFile);
      expectSameResults(await pipeline(readFileSync(at(file))));
    }
  }, 120_000);

  it('a flechette stream without metadata: float64 vectors, int64 labels; the kind assumed, one note each', async () => {
    const r = rows();
    const f64 = flechette.float64();
    const table = flechette.tableFromArrays(
      { image: r.image, label: r.label, class: r.class, [LAYERS[0]!]: r.layers[0]!, [LAYERS[1]!]: r.layers[1]! },
      { types: { image: flechette.utf8(), label: flechette.int64(), class: flechette.utf8(), [LAYERS[0]!]: flechette.fixedSizeList(f64, r.layers[0]![0]!.length), [LAYERS[1]!]: flechette.fixedSizeList(f64, r.layers[1]![0]!.length) } },
    );
    const got = await pipeline(flechette.tableToIPC(table, { format: 'stream' })!);
    expect(got.notes.match(/assumed table kind 'activations'/g)).toHaveLength(1);
    expect(got.notes.match(/converted columns label \(int64 -> int32\), block2 \(FixedSizeList<float64>\[\d+\] -> FixedSizeList<float32>\[\d+\]\), block3/g)).toHaveLength(1);
    expectSameResults(got);
  }, 60_000);

  it('a flechette Arrow file of List<float64> vectors, no metadata', async () => {
    const r = rows();
    const list = flechette.list(flechette.float64());
    const table = flechette.tableFromArrays(
      { image: r.image, label: r.label, class: r.class, [LAYERS[0]!]: r.layers[0]!, [LAYERS[1]!]: r.layers[1]! },
      { types: { label: flechette.int32(), [LAYERS[0]!]: list, [LAYERS[1]!]: list } },
    );
    writeFileSync(at('lists.arrow'), flechette.tableToIPC(table, { format: 'file' })!);
    expectSameResults(await pipeline(at('lists.arrow')));
  }, 60_000);

  const hasLz4 = (() => {
    try {
      execFileSync('lz4', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasLz4)('LZ4-frame compressed IPC (buffers compressed by the lz4 tool), and our own --compress', async () => {
    compressionRegistry.set(CompressionType.LZ4_FRAME, { encode: (data) => new Uint8Array(execFileSync('lz4', ['-c', '-q'], { input: data })) });
    const bytes = new RecordBatchStreamWriter({ compressionType: CompressionType.LZ4_FRAME }).writeAll(native).toUint8Array(true);
    expectSameResults(await pipeline(bytes));
    await run('concat', ['--compress', at('acts.arrows'), '-o', at('packed.feather')]);
    expectSameResults(await pipeline(at('packed.feather')));
  }, 60_000);

  it("cnnpipe's own CSV and a pandas-style CSV (index column, numpy-printed arrays) through csv --to-arrow --kind activations", async () => {
    const own = await run('csv', [at('acts.arrows')]);
    const table = await run('csv', ['--to-arrow', '--kind', 'activations'], own.stdout);
    expect(values(fromIPC(table.stdout), LAYERS)).toEqual(values(native, LAYERS));
    expectSameResults(await pipeline(table.stdout));

    // pandas' to_csv of a frame with numpy float32 arrays: index first, arrays as numpy prints them.
    const lines = own.stdout.toString().trimEnd().split('\n');
    const numpyStyle = (cell: string) => `"${cell.replace(/^"|"$/g, '').replace(/,/g, ' ').replace(/(\S+ \S+ \S+ \S+) /g, '$1\n ')}"`;
    const pandas = [`,${lines[0]}`, ...lines.slice(1).map((line, i) => {
      const cells = line.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '')).slice(0, 3 + LAYERS.length);
      return [String(i), ...cells.slice(0, 3), ...cells.slice(3).map(numpyStyle)].join(',');
    })].join('\n');
    const fromPandas = await run('csv', ['--to-arrow', '--kind', 'activations'], pandas);
    expect(values(fromIPC(fromPandas.stdout), LAYERS)).toEqual(values(native, LAYERS));
    expectSameResults(await pipeline(fromPandas.stdout));
  }, 60_000);

  it('a table without class names: cof names the metadata key and the flag', async () => {
    const r = rows();
    const table = flechette.tableFromArrays({ image: r.image, label: r.label, class: r.class, [LAYERS[0]!]: r.layers[0]! }, { types: { label: flechette.int32(), [LAYERS[0]!]: flechette.fixedSizeList(flechette.float32(), r.layers[0]![0]!.length) } });
    const topk = await run('topk', ['-k', '2'], flechette.tableToIPC(table, { format: 'stream' })!);
    const cof = await runBin('cof', [], topk.stdout);
    expect(cof.code).toBe(1);
    expect(cof.stderr).toMatch(/^cof: error: stdin: no class names \(.*cnnpipe\.classes metadata, or --classes a,b,c or @file\)\n$/);
  }, 60_000);
});

import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Schema, tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { fixedSizeListData, fixedSizeListValues, int32Data, makeBatch, primitiveValues, utf8Data } from './columns.js';
import { openArrow, readAllBatches } from './input.js';
import { META, passMetadata } from '../kinds/metadata.js';
import { ArrowWriter } from './output.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function activationsBatch(rows: number, offset = 0) {
  const values = Float32Array.from({ length: rows * 3 }, (_, i) => i + offset * 3);
  return makeBatch(
    {
      image: utf8Data(Array.from({ length: rows }, (_, i) => `img${i + offset}.png`)),
      label: int32Data(Int32Array.from({ length: rows }, (_, i) => (i + offset) % 2), (i) => i === 0),
      layer2: fixedSizeListData(values, 3),
    },
    new Map([[META.kind, 'activations'], [META.classes, '["a","b"]']]),
  );
}

async function writeFile(path: string, batches: ReturnType<typeof activationsBatch>[]) {
  const writer = ArrowWriter.open(path, batches[0]!.schema);
  for (const batch of batches) await writer.write(batch);
  await writer.close();
}

describe('Arrow stream output and input', () => {
  it('round-trips batches, vectors, nulls and metadata through a file', async () => {
    const path = join(dir, 'roundtrip.arrows');
    await writeFile(path, [activationsBatch(4), activationsBatch(3, 4)]);
    const input = await openArrow(path);
    expect(input.schema.metadata.get(META.kind)).toBe('activations');
    const batches = await readAllBatches(input);
    expect(batches.map((b) => b.numRows)).toEqual([4, 3]);
    const second = fixedSizeListValues(batches[1]!.getChild('layer2')!);
    expect(second.size).toBe(3);
    expect(Array.from(second.values)).toEqual(Array.from({ length: 9 }, (_, i) => 12 + i));
    expect(batches[0]!.getChild('label')!.get(0)).toBeNull();
    expect(Array.from(primitiveValues(batches[1]!.getChild('label')!))).toEqual([0, 1, 0]);
  });

  it('reads a sliced batch from its own start', () => {
    const batch = activationsBatch(6).slice(2, 5);
    expect(Array.from(fixedSizeListValues(batch.getChild('layer2')!).values)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });

  it('writes the schema even with no rows', async () => {
    const path = join(dir, 'empty-table.arrows');
    const writer = ArrowWriter.open(path, activationsBatch(1).schema);
    await writer.close();
    const input = await openArrow(path);
    expect(input.schema.fields.map((f) => f.name)).toEqual(['image', 'label', 'layer2']);
    expect(await readAllBatches(input)).toHaveLength(0);
  });

  it('leaves no file behind when aborted', async () => {
    const path = join(dir, 'aborted.arrows');
    const writer = ArrowWriter.open(path, activationsBatch(1).schema);
    await writer.write(activationsBatch(2));
    writer.abort();
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('aborted'))).toEqual([]);
  });

  it('writes to /dev/null in place, leaving it a device', async () => {
    const writer = ArrowWriter.open('/dev/null', activationsBatch(1).schema);
    await writer.write(activationsBatch(2));
    await writer.close();
    const { statSync } = await import('node:fs');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('accepts the Arrow file format too', async () => {
    const path = join(dir, 'file-format.arrow');
    writeFileSync(path, tableToIPC(tableFromArrays({ x: Int32Array.from([1, 2, 3]) }), 'file'));
    const batches = await readAllBatches(await openArrow(path));
    expect(batches[0]!.getChild('x')!.toArray()).toEqual(Int32Array.from([1, 2, 3]));
  });

  describe('bad input gets one clear error naming the input', () => {
    const good = join(dir, 'good.arrows');
    const cases: [string, () => Buffer, RegExp][] = [
      ['empty', () => Buffer.alloc(0), /bad\.arrows: empty input \(expected an Arrow IPC stream\)/],
      ['text', () => Buffer.from('layer,unit\nlayer2,0\n'), /not an Arrow IPC stream .*got text 'layer,unit/],
      ['binary junk', () => Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), /not an Arrow IPC stream .*got bytes 0102/],
      ['truncated in a message', () => readFileSync(good).subarray(0, 300), /corrupt or truncated Arrow stream/],
      ['truncated before the end marker', () => { const b = readFileSync(good); return b.subarray(0, b.length - 8); }, /truncated Arrow stream/],
      ['two streams glued by cat', () => Buffer.concat([readFileSync(good), readFileSync(good)]), /bad\.arrows: 2 Arrow streams one after the other \(cat a b\?\); join them with `concat a b`/],
    ];
    for (const [name, bytes, message] of cases) {
      it(name, async () => {
        await writeFile(good, [activationsBatch(5)]);
        const path = join(dir, 'bad.arrows');
        writeFileSync(path, bytes());
        const attempt = async () => readAllBatches(await openArrow(path));
        await expect(attempt()).rejects.toThrow(message);
      });
    }
    it('a missing file', async () => {
      await expect(openArrow(join(dir, 'nope.arrows'))).rejects.toThrow(/nope\.arrows: cannot read: no such file$/);
    });
  });
});

describe('metadata pass-through', () => {
  it('keeps every input key and applies updates and removals', () => {
    const a = new Schema([], new Map([[META.kind, 'activations'], [META.classes, '["x"]'], [META.model, 'm.onnx']]));
    const out = passMetadata(a, { [META.kind]: 'topk', [META.model]: null });
    expect(Object.fromEntries(out)).toEqual({ [META.kind]: 'topk', [META.classes]: '["x"]' });
  });
});

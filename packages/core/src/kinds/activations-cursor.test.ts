import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openArrow } from '../arrow/input.js';
import { NonFiniteGuard } from '../arrow/nonfinite.js';
import { activationsCodec } from './activations.js';
import { ActivationsCursor } from './activations-cursor.js';
import { KindWriter } from './codec.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-cursor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An activations table of two batches (3 + 2 images), layer l of width 2; row 1 holds a NaN. */
async function table(): Promise<string> {
  const path = join(dir, 'a.arrows');
  const columns = [{ name: 'l', size: 2 }];
  const writer = KindWriter.open(activationsCodec, path, { shape: columns });
  const batch = (images: string[], values: number[]) => ({
    image: images,
    label: { values: new Int32Array(images.length) },
    class: images.map(() => null),
    columns: [{ name: 'l', values: Float32Array.from(values), size: 2 }],
  });
  await writer.write(batch(['a', 'b', 'c'], [0, 1, NaN, 3, 4, 5]));
  await writer.write(batch(['d', 'e'], [6, 7, 8, 9]));
  await writer.close();
  return path;
}

describe('ActivationsCursor', () => {
  it('walks the batches: images, views of the values, the NaN rows, the rest of the names', async () => {
    const path = await table();
    const guard = new NonFiniteGuard(path, true);
    const cursor = new ActivationsCursor(await openArrow(path), [{ name: 'l', width: 2 }], guard);
    expect(await cursor.available()).toBe(3);
    expect([cursor.image(0), cursor.image(2)]).toEqual(['a', 'c']);
    expect([cursor.spoiled(0), cursor.spoiled(1), cursor.anySpoiled(1), cursor.anySpoiled(2)]).toEqual([false, true, false, true]);
    expect(Array.from(cursor.view(2, 1)[0]!)).toEqual([4, 5]);
    cursor.advance(3);
    expect(cursor.row).toBe(3);
    expect(await cursor.available()).toBe(2);
    expect(cursor.spoiled(0)).toBe(false);
    expect(Array.from(cursor.view(0, 2)[0]!)).toEqual([6, 7, 8, 9]);
    cursor.advance(1);
    expect(await cursor.rest()).toEqual(['e']);
    expect(await cursor.available()).toBe(0);
  });
});

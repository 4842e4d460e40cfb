import { Readable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { RecordBatchStreamWriter, Table, tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { tempFolder } from '../testing-nonfinite.js';
import { openArrow } from './input.js';
import { StreamFrames } from './stream-frames.js';

/** A stream of `batches` batches of `rows` rows (int32, float32 and dictionary-encoded text). */
function stream(batches: number, rows: number, legacy = false, text = true): Uint8Array {
  const n = batches * rows;
  const whole = tableFromArrays({
    id: Int32Array.from({ length: n }, (_, i) => i),
    x: Float32Array.from({ length: n }, (_, i) => i / 7),
    ...(text ? { text: Array.from({ length: n }, (_, i) => `row ${i}`) } : {}),
  });
  const parts = Array.from({ length: batches }, (_, b) => whole.slice(b * rows, (b + 1) * rows).batches[0]!);
  if (!legacy) return tableToIPC(new Table(parts), 'stream');
  const writer = new RecordBatchStreamWriter({ writeLegacyIpcFormat: true });
  for (const part of parts) writer.write(part);
  writer.finish();
  return writer.toUint8Array(true);
}

function scan(bytes: Uint8Array, chunk = bytes.length): StreamFrames {
  const frames = new StreamFrames();
  for (let at = 0; at < bytes.length; at += chunk) frames.feed(bytes.subarray(at, at + chunk));
  return frames;
}

const glued = (a: Uint8Array, b: Uint8Array) => Buffer.concat([a, b]);

describe('StreamFrames: where the first stream ends, and whether another follows', () => {
  for (const legacy of [false, true]) {
    const format = legacy ? 'pre-0.15 framing' : 'current framing';
    it(`one stream: ended, no second (${format}), whatever the chunking`, () => {
      const one = stream(3, 5, legacy);
      for (const chunk of [one.length, 1, 3, 7, 64]) {
        const frames = scan(one, chunk);
        expect([frames.firstEnded, frames.secondStream]).toEqual([true, false]);
      }
    });
    it(`two streams glued: the second one's schema is seen (${format}), whatever the chunking`, () => {
      const two = glued(stream(3, 5, legacy), stream(1, 2, legacy));
      for (const chunk of [two.length, 1, 5, 13, 100]) {
        expect(scan(two, chunk).secondStream).toBe(true);
      }
    });
  }
  it('a stream cut short has not ended', () => {
    const one = stream(2, 5);
    expect(scan(one.subarray(0, one.length - 8)).firstEnded).toBe(false);
  });
});

describe('openArrow refuses a second stream after the first (cat a b)', () => {
  const folder = tempFolder();
  afterAll(() => folder.remove());
  const message = /glued\.arrows: 2 Arrow streams one after the other \(cat a b\?\); join them with `concat a b`$/;

  it('when the whole input is read', async () => {
    const path = folder.path('glued.arrows');
    writeFileSync(path, glued(stream(2, 4), stream(2, 4)));
    const read = async () => {
      const input = await openArrow(path, { foreign: false });
      for await (const _ of input.batches());
    };
    await expect(read()).rejects.toThrow(message);
  });

  it('when the reader stops after its first batch, the second stream starting megabytes later', async () => {
    // 20 batches of 10,000 rows (~1.6 MB): beyond the first 1 MiB read, so the second schema
    // is only seen by reading on after the stop.
    const first = stream(20, 10_000, false, false);
    expect(first.length).toBeGreaterThan(1.5e6);
    const path = folder.path('glued.arrows');
    writeFileSync(path, glued(first, stream(1, 3)));
    const input = await openArrow(path, { foreign: false });
    const headOnly = async () => {
      for await (const batch of input.batches()) {
        expect(batch.numRows).toBe(10_000);
        break;
      }
    };
    await expect(headOnly()).rejects.toThrow(message);
  });

  it('a single stream read head-only passes, and so does a producer that keeps the pipe open', async () => {
    const one = stream(3, 5);
    // A source that gives one stream, then never ends (a live producer): the reader stops
    // after its first batch and returns within the look-past budget.
    async function* live(): AsyncGenerator<Uint8Array> {
      yield one;
      await new Promise(() => undefined);
    }
    const stdin = Object.getOwnPropertyDescriptor(process, 'stdin')!;
    const fake = Readable.from(live());
    Object.defineProperty(process, 'stdin', { value: fake, configurable: true });
    try {
      const input = await openArrow(undefined, { foreign: false });
      let rows = 0;
      for await (const batch of input.batches()) {
        rows += batch.numRows;
        break;
      }
      expect(rows).toBe(5);
    } finally {
      Object.defineProperty(process, 'stdin', stdin);
      fake.destroy();
    }
  });
});

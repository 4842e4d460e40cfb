import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixedSizeListData, int32Data, makeBatch, META, utf8Data } from '@cnnpipe/core';
import { Field, Float32, List, Table, tableToIPC, vectorFromArray, type Data } from 'apache-arrow';
import type { Synthetic } from './synthetic.js';

/** Arrow files of a synthetic case, as extract and a user's text-side script would write them. */

const imageName = (x: number) => `probe/img${String(x).padStart(4, '0')}.png`;

/** The activations table (layer columns) and the CLIP image table (`logits`), in batches of 128 rows. */
export function writeImageTables(dir: string, data: Synthetic, order?: number[]): { activations: string; images: string } {
  const rows = order ?? Array.from({ length: data.n }, (_, x) => x);
  const meta = new Map([[META.kind, 'activations']]);
  const base = (start: number, end: number) => ({
    image: utf8Data(rows.slice(start, end).map(imageName)),
    label: int32Data(new Int32Array(end - start), () => true),
    class: utf8Data(new Array(end - start).fill(null)),
  });
  const gather = (values: Float32Array, size: number, start: number, end: number) => {
    const out = new Float32Array((end - start) * size);
    rows.slice(start, end).forEach((x, i) => out.set(values.subarray(x * size, (x + 1) * size), i * size));
    return fixedSizeListData(out, size);
  };
  const batchesOf = (make: (start: number, end: number) => Record<string, Data>) => {
    const batches = [];
    for (let start = 0; start < rows.length; start += 128) batches.push(makeBatch(make(start, Math.min(rows.length, start + 128)), meta));
    return tableToIPC(new Table(batches), 'stream');
  };
  const activations = join(dir, 'activations.arrows');
  const images = join(dir, 'clip-images.arrows');
  writeFileSync(
    activations,
    batchesOf((s, e) => {
      const cols: Record<string, Data> = base(s, e);
      for (const l of data.layers) cols[l.name] = gather(l.values, l.neurons, s, e);
      return cols;
    }),
  );
  // The CLIP table lists the images in the opposite order: describe joins by name.
  const reversed = [...rows].reverse();
  writeFileSync(
    images,
    tableToIPC(
      new Table([
        makeBatch(
          {
            image: utf8Data(reversed.map(imageName)),
            label: int32Data(new Int32Array(reversed.length), () => true),
            class: utf8Data(new Array(reversed.length).fill(null)),
            logits: fixedSizeListData(Float32Array.from(reversed.flatMap((x) => Array.from(data.images.subarray(x * data.d, (x + 1) * data.d)))), data.d),
          },
          meta,
        ),
      ]),
      'stream',
    ),
  );
  return { activations, images };
}

export const conceptWord = (t: number) => `concept${t}`;

/** The concept table: `embeddings` kind, or as pyarrow writes one (no metadata, List<float32>). */
export function writeConceptTable(dir: string, data: Synthetic, options: { words?: string[]; pyarrow?: boolean; file?: string } = {}): string {
  const words = options.words ?? Array.from({ length: data.c }, (_, t) => conceptWord(t));
  const file = join(dir, options.file ?? 'concepts.arrows');
  const embedding = options.pyarrow
    ? vectorFromArray(
        Array.from({ length: data.c }, (_, t) => Array.from(data.concepts.subarray(t * data.d, (t + 1) * data.d))),
        new List(new Field('item', new Float32(), true)),
      ).data[0]!
    : fixedSizeListData(data.concepts, data.d);
  const meta = options.pyarrow ? new Map<string, string>() : new Map([[META.kind, 'embeddings']]);
  writeFileSync(file, tableToIPC(new Table([makeBatch({ concept: utf8Data(words), embedding }, meta)]), 'stream'));
  return file;
}

export { imageName };

import { RecordBatch, Table } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readRows } from '../arrow/readers.js';
import { activationsCodec, layerColumns } from './activations.js';
import type { KindCodec } from './codec.js';
import { cofCodec } from './cof.js';
import { META } from './metadata.js';
import { checkColumns, KINDS } from './specs.js';
import { topkCodec } from './topk.js';
import { conceptsCodec } from './concepts.js';
import { predictionsCodec } from './predictions.js';
import { accuracyCodec } from './accuracy.js';
import { neuronStatsCodec } from './neuron-stats.js';

/** A batch as it comes back from a file: the codec's batch relabelled, re-read column by column. */
function roundTrip<D, R, S>(codec: KindCodec<D, R, S>, rows: R): { batch: RecordBatch; decoded: D } {
  const batch = codec.encode(rows, new Map([[META.kind, codec.kind]]));
  // Every kind's batch has the columns and types specs.ts requires (its one schema).
  checkColumns(batch.schema, KINDS[codec.kind]!.columns, codec.kind);
  return { batch, decoded: codec.decode(new RecordBatch(batch.schema, batch.data)) };
}

describe('one codec per kind: encode then decode gives the rows back', () => {
  it('activations, with null labels and an argmax column', () => {
    const rows = {
      image: ['a.png', 'b.png', null],
      label: { values: Int32Array.of(3, 0, 7), isNull: (i: number) => i === 1 },
      class: ['cat', null, 'dog'],
      columns: [
        { name: 'layer2', values: Float32Array.of(1, 2, 3, 4, 5, 6), size: 2 },
        { name: 'layer2:argmax', values: Int32Array.of(0, 1, 2, 3, 4, 5), size: 2 },
      ],
    };
    const { batch, decoded } = roundTrip(activationsCodec, rows);
    expect(layerColumns(batch.schema)).toEqual([{ name: 'layer2', size: 2 }]);
    expect(activationsCodec.numbers!(batch.schema)).toEqual(['layer2']);
    expect(decoded.rows).toBe(3);
    expect(readRows(decoded.image, 3)).toEqual(rows.image);
    expect(readRows(decoded.label, 3)).toEqual([3, null, 7]);
    expect(readRows(decoded.class, 3)).toEqual(rows.class);
    expect(decoded.values('layer2')).toEqual(rows.columns[0]!.values);
    expect(decoded.values('layer2:argmax')).toEqual(rows.columns[1]!.values);
    expect(() => decoded.values('nope')).toThrow("no column 'nope'");
  });

  it('topk, with and without argmax, nulls kept as null', () => {
    const rows = {
      layer: ['l', 'l'],
      neuron: Int32Array.of(0, 0),
      rank: Int32Array.of(1, 2),
      image: ['x.png', null],
      label: { values: Int32Array.of(2, 0), isNull: (i: number) => i === 1 },
      class: ['c', null],
      value: Float32Array.of(2.5, -1),
      argmax: { values: Int32Array.of(4, -1), isNull: (i: number) => i === 1 },
    };
    const { decoded } = roundTrip(topkCodec, rows);
    expect(readRows(decoded.layer, 2)).toEqual(['l', 'l']);
    expect(decoded.neuron).toEqual(rows.neuron);
    expect(decoded.rank).toEqual(rows.rank);
    expect(readRows(decoded.image, 2)).toEqual(rows.image);
    expect(readRows(decoded.label, 2)).toEqual([2, null]);
    expect(readRows(decoded.class, 2)).toEqual(rows.class);
    expect(decoded.value).toEqual(rows.value);
    expect(readRows(decoded.argmax!, 2)).toEqual([4, null]);
    const { argmax: _, ...plain } = rows;
    expect(roundTrip(topkCodec, plain).decoded.argmax).toBeUndefined();
    expect(topkCodec.encode(topkCodec.empty({ argmax: true })).schema.fields.map((f) => f.name)).toContain('argmax');
    expect(topkCodec.encode(topkCodec.empty({ argmax: false })).schema.fields.map((f) => f.name)).not.toContain('argmax');
  });

  it('cof', () => {
    const rows = { layer: ['a', 'b'], neuron: Int32Array.of(3, 0), counts: Int32Array.of(1, 0, 2, 5, 5, 0), classes: 3, total: Int32Array.of(3, 11) };
    expect(roundTrip(cofCodec, rows).decoded).toEqual(rows);
    const empty = cofCodec.encode(cofCodec.empty({ classes: 7 }));
    expect(cofCodec.decode(empty).classes).toBe(7);
  });

  it('concepts, a unit without a concept as null', () => {
    const rows = { layer: ['l', 'l'], unit: Int32Array.of(0, 4), concept: ['dog', null], score: Float64Array.of(0.5, 0) };
    expect(roundTrip(conceptsCodec, rows).decoded).toEqual(rows);
  });

  it('predictions, hits as true/false/null', () => {
    const rows = {
      image: ['a', 'b', 'c'],
      label: { values: Int32Array.of(1, -1, 2), isNull: (i: number) => i === 1 },
      pred: Int32Array.of(1, 0, 0),
      top1: Int8Array.of(1, -1, 0),
      top5: Int8Array.of(1, -1, 1),
    };
    const { batch, decoded } = roundTrip(predictionsCodec, rows);
    expect([...batch.getChild('top1')!]).toEqual([true, null, false]);
    expect(decoded.image).toEqual(rows.image);
    expect(readRows(decoded.label, 3)).toEqual([1, null, 2]);
    expect(decoded.pred).toEqual(rows.pred);
    expect(decoded.top1).toEqual(rows.top1);
    expect(decoded.top5).toEqual(rows.top5);
  });

  it('accuracy', () => {
    const rows = { source: ['vgg'], target: ['resnet'], n: Int32Array.of(2000), top1: Float64Array.of(0.875), top5: Float64Array.of(0.99) };
    expect(roundTrip(accuracyCodec, rows).decoded).toEqual(rows);
  });

  it('neuron-stats, undefined statistics written as null and read back as NaN', () => {
    const rows = {
      layer: ['l', 'l'],
      neuron: Int32Array.of(0, 1),
      gini: Float64Array.of(0.5, 0),
      flatness: Float64Array.of(0.25, -1),
      mf: Float64Array.of(0.5, NaN),
      mfNorm: Float64Array.of(1, NaN),
      facet: ['MF', null],
      pValue: Float64Array.of(0.04, NaN),
    };
    const { batch, decoded } = roundTrip(neuronStatsCodec, rows);
    expect(batch.getChild('mf')!.nullCount).toBe(1);
    expect(batch.getChild('mf')!.get(1)).toBeNull();
    expect(decoded).toEqual(rows);
  });

  it('every codec decodes a table of no batches (a stream with no rows, read whole)', () => {
    const tables = [
      activationsCodec.encode(activationsCodec.empty([{ name: 'l', size: 3 }])),
      topkCodec.encode(topkCodec.empty({ argmax: true })),
      cofCodec.encode(cofCodec.empty({ classes: 2 })),
      conceptsCodec.encode(conceptsCodec.empty()),
      predictionsCodec.encode(predictionsCodec.empty()),
      accuracyCodec.encode(accuracyCodec.empty()),
      neuronStatsCodec.encode(neuronStatsCodec.empty()),
    ].map((batch) => new Table(batch.schema, []));
    expect(activationsCodec.decode(tables[0]!).rows).toBe(0);
    expect(topkCodec.decode(tables[1]!).neuron.length).toBe(0);
    expect(cofCodec.decode(tables[2]!)).toMatchObject({ classes: 2, layer: [] });
    expect(conceptsCodec.decode(tables[3]!).layer).toEqual([]);
    expect(predictionsCodec.decode(tables[4]!).pred.length).toBe(0);
    expect(accuracyCodec.decode(tables[5]!).n.length).toBe(0);
    expect(neuronStatsCodec.decode(tables[6]!).gini.length).toBe(0);
  });
});

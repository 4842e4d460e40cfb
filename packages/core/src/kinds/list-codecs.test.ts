import { Float32, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { listData, makeBatch } from '../arrow/columns.js';
import type { KindCodec } from './codec.js';
import { componentsCodec } from './components.js';
import { layerSimilarityCodec } from './layer-similarity.js';
import { evenOffsets, flatList, flatListData, listRow, listValues } from './list-columns.js';
import { META } from './metadata.js';
import { similarityCodec } from './similarity.js';
import { similaritySummaryCodec } from './similarity-summary.js';
import { checkColumns, KINDS } from './specs.js';
import { saliencyCodec } from './saliency.js';
import { vennCodec } from './venn.js';
import { embeddingsCodec } from './embeddings.js';
import { dissectQuantilesCodec } from './dissect-quantiles.js';
import { dissectSummaryCodec } from './dissect-summary.js';
import { dissectTallyCodec } from './dissect-tally.js';
import { visualizationsCodec } from './visualizations.js';

/** Encode, check against specs.ts, write as IPC and read back, decode. */
function roundTrip<D, R, S>(codec: KindCodec<D, R, S>, rows: R): D {
  const batch = codec.encode(rows, new Map([[META.kind, codec.kind]]));
  checkColumns(batch.schema, KINDS[codec.kind]!.columns, codec.kind);
  const back = tableFromIPC(tableToIPC(new Table([batch])));
  return codec.decode(back.batches[0]!);
}

describe('flat List<T> columns', () => {
  it('are the column listData builds from the rows (same type and bytes), and read back from a slice', () => {
    const rows = [Float32Array.of(1, 2, 3), Float32Array.of(), Float32Array.of(4, 5)];
    const flat = flatList(rows, new Float32Array(0));
    expect(Array.from(flat.offsets)).toEqual([0, 3, 3, 5]);
    const ours = makeBatch({ x: flatListData(flat, () => new Float32()) });
    const theirs = makeBatch({ x: listData(rows) });
    expect(Buffer.from(tableToIPC(new Table([ours])))).toEqual(Buffer.from(tableToIPC(new Table([theirs]))));
    const back = tableFromIPC(tableToIPC(new Table([ours]))).batches[0]!;
    const sliced = listValues(back.slice(1).getChild('x')!, new Float32Array(0));
    expect(Array.from(sliced.offsets)).toEqual([0, 0, 2]);
    expect(Array.from(listRow(sliced, 1))).toEqual([4, 5]);
    // A whole table of two batches: one flat list over both.
    const two = listValues(new Table([back, back]).getChild('x')!, new Float32Array(0));
    expect(Array.from(two.offsets)).toEqual([0, 3, 3, 5, 8, 8, 10]);
    expect(Array.from(two.values)).toEqual([1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
    expect(Array.from(evenOffsets(3, 4))).toEqual([0, 4, 8, 12]);
  });
});

describe('codecs of the similarity, components, layer-similarity and venn kinds: encode then decode gives the rows back', () => {
  it('similarity: one layer, n rows of n (with and without euclidean)', () => {
    const rows = {
      layer: ['l', 'l'],
      neuron: Int32Array.of(0, 3),
      values: { values: Float64Array.of(1, 0.5, 0.5, 1), offsets: evenOffsets(2, 2) },
      euclidean: { values: Float64Array.of(0, 2, 2, 0), offsets: evenOffsets(2, 2) },
    };
    expect(roundTrip(similarityCodec, rows)).toEqual(rows);
    const { euclidean: _, ...pearsonOnly } = rows;
    expect(roundTrip(similarityCodec, pearsonOnly)).toEqual(pearsonOnly);
    const empty = similarityCodec.encode(similarityCodec.empty({ euclidean: true }));
    expect(empty.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['layer:Utf8', 'neuron:Int32', 'values:List<Float64>', 'euclidean:List<Float64>']);
  });

  it('similarity-summary: a NaN mean is written as null and reads back as NaN', () => {
    const rows = { layer: ['a', 'b'], meanPearson: Float64Array.of(0.25, NaN), meanEuclidean: Float64Array.of(3, NaN), neurons: Int32Array.of(4, 1) };
    const batch = similaritySummaryCodec.encode(rows);
    expect(batch.getChild('mean_pearson')!.get(1)).toBeNull();
    expect(roundTrip(similaritySummaryCodec, rows)).toEqual(rows);
  });

  it('components: rows of different pixel counts', () => {
    const rows = {
      layer: ['b3', 'b3', 'b4'],
      neuron: Int32Array.of(1, 1, 0),
      component: Int32Array.of(0, 1, 0),
      height: Int32Array.of(1, 1, 2),
      width: Int32Array.of(2, 2, 1),
      channels: Int32Array.of(1, 1, 1),
      pixels: flatList([Float32Array.of(1, 2), Float32Array.of(3, 4), Float32Array.of(-1, 0.5)], new Float32Array(0)),
    };
    expect(roundTrip(componentsCodec, rows)).toEqual(rows);
    expect(componentsCodec.numbers!(componentsCodec.encode(rows).schema)).toEqual(['pixels']);
  });

  it('layer-similarity', () => {
    const rows = {
      aModel: ['vgg', 'vgg'],
      aLayer: ['b1', 'b1'],
      bModel: ['resnet', 'resnet'],
      bLayer: ['l1', 'l2'],
      value: Float64Array.of(0.9, 0.1),
      method: ['cka', 'cka'],
      n: Int32Array.of(2000, 2000),
    };
    expect(roundTrip(layerSimilarityCodec, rows)).toEqual(rows);
  });

  it('venn: columns and types of any report, nulls kept', () => {
    const report = {
      columns: [['model', 'utf8'], ['layer', 'utf8'], ['neurons', 'int32'], ['jaccard', 'float64']] as [string, 'utf8' | 'int32' | 'float64'][],
      rows: [
        { model: 'a', layer: null, neurons: 3, jaccard: 0.5 },
        { model: 'b', layer: 'l4', neurons: null, jaccard: null },
      ],
    };
    const decoded = roundTrip(vennCodec, report);
    expect(decoded).toEqual(report);
    expect(vennCodec.encode(vennCodec.empty({ columns: report.columns })).numRows).toBe(0);
  });

  it('saliency: one map per (image, layer, neuron)', () => {
    const rows = {
      image: ['a.png', 'b.png'],
      layer: ['l3', 'l3'],
      neuron: Int32Array.of(5, 5),
      height: Int32Array.of(1, 1),
      width: Int32Array.of(2, 2),
      channels: Int32Array.of(1, 1),
      pixels: flatList([Float32Array.of(0.1, 0.2), Float32Array.of(-3, 4)], new Float32Array(0)),
    };
    expect(roundTrip(saliencyCodec, rows)).toEqual(rows);
  });

  it('visualizations: a null neuron (a whole-layer objective), with sample and curve columns', () => {
    const rows = {
      layer: ['b2', 'b2'],
      neuron: { values: Int32Array.of(3, -1), isNull: (i: number) => i === 1 },
      sample: Int32Array.of(0, 1),
      objective: ['channel', 'channel'],
      value: Float32Array.of(1.5, 2),
      height: Int32Array.of(1, 1),
      width: Int32Array.of(1, 1),
      channels: Int32Array.of(1, 1),
      pixels: flatList([Float32Array.of(0.5), Float32Array.of(1)], new Float32Array(0)),
      curve: flatList([Float32Array.of(0, 1, 1.5), Float32Array.of(0, 2, 2)], new Float32Array(0)),
    };
    const { neuron, ...rest } = roundTrip(visualizationsCodec, rows);
    const { neuron: _, ...expected } = rows;
    expect(rest).toEqual(expected);
    expect([0, 1].map((r) => neuron.isNull!(r))).toEqual([false, true]);
    expect(neuron.values[0]).toBe(3);
    const plain = visualizationsCodec.encode(visualizationsCodec.empty({ sample: false, curve: false }));
    expect(plain.schema.fields.map((f) => f.name)).toEqual(['layer', 'neuron', 'objective', 'value', 'height', 'width', 'channels', 'pixels']);
  });

  it('dissect-quantiles, dissect-tally (K labels, C categories), dissect-summary', () => {
    const q = { layer: ['l2', 'l2'], unit: Int32Array.of(0, 1), values: flatList([Float32Array.of(3, 2), Float32Array.of(9)], new Float32Array(0)) };
    expect(roundTrip(dissectQuantilesCodec, q)).toEqual(q);
    const t = {
      layer: ['l2', 'l3'],
      unit: Int32Array.of(0, 0),
      threshold: Float64Array.of(0.5, 1.25),
      inter: Float64Array.of(1, 2, 3, 4, 5, 6),
      labels: 3,
      act: Float64Array.of(7, 8),
      categories: 1,
    };
    expect(roundTrip(dissectTallyCodec, t)).toEqual(t);
    const empty = dissectTallyCodec.decode(dissectTallyCodec.encode(dissectTallyCodec.empty({ labels: 3, categories: 1 })));
    expect([empty.labels, empty.categories, empty.inter.length]).toEqual([3, 1, 0]);
    const s = { layer: ['l2', 'l2'], category: ['texture', 'color'], unique: Int32Array.of(2, 0), detectors: Int32Array.of(3, 0) };
    expect(roundTrip(dissectSummaryCodec, s)).toEqual(s);
  });

  it('embeddings: D values per concept word', () => {
    const rows = { concept: ['dog', 'stripes'], embedding: Float32Array.of(1, 0, 0.5, 0.5, -1, 2), dim: 3 };
    expect(roundTrip(embeddingsCodec, rows)).toEqual(rows);
    expect(embeddingsCodec.decode(embeddingsCodec.encode(embeddingsCodec.empty({ dim: 4 }))).dim).toBe(4);
  });
});

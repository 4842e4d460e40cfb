import {
  ArrowWriter,
  META,
  UsageError,
  expectKind,
  fixedSizeListValues,
  float64Data,
  int32Data,
  listData,
  makeBatch,
  openArrow,
  passMetadata,
  primitiveValues,
  readAllBatches,
  runTool,
  utf8Data,
  type CommonArgs,
} from '@cnnpipe/core';
import { Field, Float64, List, Schema, makeData, type Data, type FixedSizeList, type RecordBatch } from 'apache-arrow';
import { meanOffDiagonal, similarityMatrices } from './similarity.js';

/**
 * A List<float64> column of `rows` rows of `size` values each, over a flat row-major
 * buffer: the n x n matrix becomes the column's child as it is, without a copy per row
 * (the same column `listData` would build from its rows).
 */
function squareListData(values: Float64Array, rows: number): Data<List> {
  const size = rows === 0 ? 0 : values.length / rows;
  const offsets = new Int32Array(rows + 1);
  for (let i = 1; i <= rows; i++) offsets[i] = i * size;
  const child = makeData({ type: new Float64(), length: values.length, data: values });
  const type = new List(new Field('item', new Float64(), false));
  return makeData({ type, length: rows, nullCount: 0, valueOffsets: offsets, child } as never) as unknown as Data<List>;
}

interface SimilarityArgs extends CommonArgs {
  summary: boolean;
}

interface LayerRows {
  name: string;
  neurons: number[];
  rows: Float64Array[];
}

/** CoF rows grouped by layer (order of first appearance), neurons ascending. */
function groupByLayer(batches: RecordBatch[], classes: number): LayerRows[] {
  const layers = new Map<string, { neuron: number; row: Float64Array }[]>();
  for (const batch of batches) {
    const layer = batch.getChild('layer')!;
    const neuron = primitiveValues(batch.getChild('neuron')!);
    const { values } = fixedSizeListValues(batch.getChild('counts')!);
    for (let r = 0; r < batch.numRows; r++) {
      const name = String(layer.get(r));
      let list = layers.get(name);
      if (!list) layers.set(name, (list = []));
      list.push({ neuron: neuron[r]!, row: Float64Array.from(values.subarray(r * classes, (r + 1) * classes)) });
    }
  }
  return [...layers].map(([name, list]) => {
    list.sort((a, b) => a.neuron - b.neuron);
    return { name, neurons: list.map((e) => e.neuron), rows: list.map((e) => e.row) };
  });
}

export function main(argv?: string[]): Promise<void> {
  return runTool<SimilarityArgs>(
    {
      name: 'similarity',
      usage: '[FILE]',
      description:
        'Neuron-to-neuron similarity per layer from a CoF table (the study RSA matrices): for each ' +
        'neuron, `values` is its row of the layer Pearson correlation matrix and `euclidean` its row of ' +
        'the Euclidean distance matrix between CoF rows (neurons in ascending order; computed with ' +
        'onnxruntime Gemm). A neuron whose counts are constant has correlation 0 with every other ' +
        '(a warning says how many). --summary writes one row per layer instead: the mean ' +
        'off-diagonal Pearson similarity and Euclidean dissimilarity.',
      examples: [
        ['extract --model examples/zoo/vgg.onnx --layer block3 examples/data/fashion-mnist/test | topk -k 100 | cof | similarity --summary | csv', 'each layer mean similarity and dissimilarity'],
        ['similarity cof.arrows -o rsa.arrows', 'the Pearson and Euclidean RSA matrices of every layer'],
      ],
      options: (y) =>
        y.option('summary', { type: 'boolean', default: false, describe: 'One row per layer: mean off-diagonal similarity and distance' }),
      async run(args, ctx) {
        if (args._.length > 1) throw new UsageError(`expected at most one FILE, got ${args._.length}`);
        const input = await openArrow(args._[0] === undefined ? undefined : String(args._[0]));
        expectKind(input.schema, 'cof', input.name);
        const classes = (input.schema.fields.find((f) => f.name === 'counts')!.type as FixedSizeList).listSize;
        const layers = groupByLayer(await readAllBatches(input), classes);
        let constantRows = 0;
        const out: RecordBatch[] = [];
        const summary = { layer: [] as string[], neurons: [] as number[], pearson: [] as number[], euclidean: [] as number[] };
        const metadata = passMetadata(input.schema, { [META.kind]: args.summary ? 'similarity-summary' : 'similarity' });
        for (const layer of layers) {
          const n = layer.rows.length;
          const x = new Float64Array(n * classes);
          layer.rows.forEach((row, i) => x.set(row, i * classes));
          const m = await similarityMatrices(x, n, classes);
          constantRows += m.constantRows;
          if (args.summary) {
            summary.layer.push(layer.name);
            summary.neurons.push(n);
            summary.pearson.push(meanOffDiagonal(m.pearson, n));
            summary.euclidean.push(meanOffDiagonal(m.euclidean, n));
            continue;
          }
          out.push(
            makeBatch(
              {
                layer: utf8Data(new Array<string>(n).fill(layer.name)),
                neuron: int32Data(Int32Array.from(layer.neurons)),
                values: squareListData(m.pearson, n),
                euclidean: squareListData(m.euclidean, n),
              },
              metadata,
            ),
          );
        }
        if (constantRows > 0) {
          ctx.warn(`${constantRows} neurons have constant class counts: their Pearson correlation with other neurons is set to 0`);
        }
        if (args.summary) {
          const mean = (values: number[]) => {
            const a = Float64Array.from(values, (v) => (Number.isFinite(v) ? v : 0));
            return float64Data(a, (i) => !Number.isFinite(values[i]!));
          };
          out.push(
            makeBatch(
              {
                layer: utf8Data(summary.layer),
                mean_pearson: mean(summary.pearson),
                mean_euclidean: mean(summary.euclidean),
                neurons: int32Data(Int32Array.from(summary.neurons)),
              },
              metadata,
            ),
          );
        }
        const fields = args.summary
          ? out[0]!.schema.fields
          : makeBatch({
              layer: utf8Data([]),
              neuron: int32Data(new Int32Array(0)),
              values: listData([]),
              euclidean: listData([]),
            }).schema.fields;
        const writer = ArrowWriter.open(args.output, new Schema(fields, metadata));
        for (const batch of out) await writer.write(batch);
        await writer.close();
      },
    },
    argv,
  );
}

import { adoptForeign, ArrowWriter, conceptsCodec, embeddingsCodec, expectKind, makeBatch, META } from '@cnnpipe/core';
import type { Data, RecordBatch } from 'apache-arrow';
import { toConcepts } from './concepts.js';
import { toEmbeddings } from './embeddings.js';
import { columnData, inferType } from './infer.js';
import { readCsv } from './read-csv.js';

/** Options of `csvToArrow`. */
export interface ToArrowOptions {
  file?: string;
  output?: string;
  kind?: string;
  layer?: string;
  unitBase?: number;
  delimiter: string;
}

/** The CSV's columns as a batch: a kind's known formats mapped onto it, else every column with its type inferred. */
function csvBatch(header: string[], rows: string[][], source: string, options: ToArrowOptions): RecordBatch {
  const metadata = new Map<string, string>();
  if (options.kind) metadata.set(META.kind, options.kind);
  if (options.kind === 'concepts') {
    const { concepts } = toConcepts(header, rows, source, { layer: options.layer, unitBase: options.unitBase });
    return conceptsCodec.encode(concepts, metadata);
  }
  if (options.kind === 'embeddings') {
    const { concept, values, dim } = toEmbeddings(header, rows, source);
    return embeddingsCodec.encode({ concept, embedding: values, dim }, metadata);
  }
  const columns: Record<string, Data> = {};
  header.forEach((name, c) => {
    // pandas' to_csv writes its index first, under an empty name: not a column of the table.
    if (c === 0 && name === '' && options.kind) return;
    const cells = rows.map((row) => row[c]!);
    columns[name] = columnData(cells, inferType(cells));
  });
  return makeBatch(columns, metadata);
}

/** A CSV as one Arrow batch, with column types inferred, or as the kind `options.kind`. */
export async function csvToArrow(options: ToArrowOptions): Promise<void> {
  const source = options.file === undefined || options.file === '-' ? 'stdin' : options.file;
  const { header, rows } = await readCsv(options.file, options.delimiter);
  let batch = csvBatch(header, rows, source, options);
  if (options.kind) {
    // The kind's own types (an activations table's vectors as FixedSizeList<float32>, as
    // extract writes them), so the next tool takes the table as it is.
    const input = { name: source, schema: batch.schema, batches: async function* () { yield batch; } };
    const adopted = await adoptForeign(input, { compress: false, note: () => undefined });
    for await (const converted of adopted.batches()) batch = converted;
    expectKind(batch.schema, options.kind, source);
  }
  const writer = ArrowWriter.open(options.output, batch.schema);
  await writer.write(batch);
  await writer.close();
}

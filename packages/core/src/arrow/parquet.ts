import { openAsBlob } from 'node:fs';
import { DataType, RecordBatch, RecordBatchReader, Table, tableFromIPC, tableToIPC, type Schema } from 'apache-arrow';
import type * as ParquetWasm from 'parquet-wasm/node';
import { CliError, errorMessage } from '../cli/errors.js';

/**
 * Parquet through parquet-wasm (the Rust arrow-rs `parquet` crate compiled to WebAssembly),
 * moved in and out as Arrow IPC, row group by row group. Chosen over the JavaScript
 * libraries on a 20,000 x 512 float32 activations table (41 MB, this machine):
 *   parquet-wasm 0.8     write 0.65 s, read 0.9 s; 5 MB of wasm; Arrow types kept
 *                        (FixedSizeList through the ARROW:schema hint, as pyarrow does)
 *   hyparquet 1.33       read 6.2 s (JavaScript arrays of numbers); 0.5 MB
 *   hyparquet-writer     write 21.7 s (148 MB: doubles)
 *   @dsnp/parquetjs      row objects; 13 dependencies (AWS SDK, thrift, bson)
 *   duckdb-wasm          a whole database (30+ MB) for a file format
 * It is loaded on the first Parquet file only (start-up time of every other run).
 */
type Pw = typeof ParquetWasm;
let loaded: Promise<Pw> | undefined;

function parquetWasm(): Promise<Pw> {
  loaded ??= import('parquet-wasm/node') as Promise<Pw>;
  return loaded;
}

/** Bytes a row takes in memory, roughly (fixed-size columns counted exactly). */
function rowBytes(schema: Schema): number {
  let bytes = 0;
  const width = (type: DataType): number => {
    if (DataType.isFixedSizeList(type)) return type.listSize * width(type.children[0]!.type);
    if (DataType.isFloat(type)) return [2, 4, 8][type.precision] ?? 8;
    if (DataType.isInt(type)) return type.bitWidth / 8;
    return 32; // strings, lists: a guess
  };
  for (const field of schema.fields) bytes += width(field.type);
  return Math.max(1, bytes);
}

/** Rows per batch (reading) or row group (writing) for about `target` bytes. */
function rowsFor(schema: Schema, target: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.floor(target / rowBytes(schema))));
}

export interface ParquetInput {
  schema: Schema;
  batches(): AsyncGenerator<RecordBatch>;
}

/** Opens a Parquet file for reading batch by batch; the schema carries its key-value metadata. */
export async function openParquet(path: string, name: string): Promise<ParquetInput> {
  const pw = await parquetWasm();
  let file: ParquetWasm.ParquetFile;
  let schema: Schema;
  try {
    file = await pw.ParquetFile.fromFile(await openAsBlob(path));
    // arrow-rs merges the file's key-value metadata into the schema's (cnnpipe.*, pandas...).
    schema = RecordBatchReader.from(file.schema().intoIPCStream()).open().schema;
  } catch (error) {
    throw new CliError(`${name}: corrupt or unsupported Parquet file (${errorMessage(error)})`);
  }
  // ~16 MB batches: a 100k x 512 table streams in 8,192-row pieces.
  const batchSize = rowsFor(schema, 16 << 20, 256, 65536);
  async function* batches(): AsyncGenerator<RecordBatch> {
    try {
      const stream = (await file.stream({ batchSize })) as AsyncIterable<ParquetWasm.RecordBatch>;
      for await (const wasmBatch of stream) {
        for (const batch of tableFromIPC(wasmBatch.intoIPCStream()).batches) {
          if (batch.numRows > 0) yield new RecordBatch(schema, batch.data);
        }
      }
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`${name}: corrupt Parquet data (${errorMessage(error)})`);
    } finally {
      file.free();
    }
  }
  return { schema, batches };
}

/** Hands record batches from our writes to parquet-wasm's stream, one at a time. */
class BatchChannel<T> {
  private readonly items: { value: T; taken: () => void }[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  /** Resolves once the consumer has taken the item. */
  push(value: T): Promise<void> {
    return new Promise((taken) => {
      this.items.push({ value, taken });
      this.wake?.();
    });
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  /** The consumer is gone: release every writer waiting on it. */
  fail(): void {
    for (const item of this.items.splice(0)) item.taken();
    this.close();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item) {
        item.taken();
        yield item.value;
      } else if (this.closed) {
        return;
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    }
  }
}

/**
 * Writes a Parquet file from record batches with bounded memory: row groups of ~64 MB are
 * flushed as they fill. The schema's metadata (cnnpipe.kind, ...) goes into the file's
 * key-value metadata as well as into the embedded Arrow schema.
 */
export class ParquetBatchWriter {
  private channel: BatchChannel<ParquetWasm.RecordBatch> | undefined;
  private pump: Promise<void> | undefined;
  private failure: unknown;
  private wrote = false;

  constructor(
    private readonly schema: Schema,
    private readonly compress: boolean,
    private readonly sink: (bytes: Uint8Array) => Promise<void>,
  ) {}

  private properties(pw: Pw): ParquetWasm.WriterProperties {
    const metadata = new Map([...this.schema.metadata].filter(([key]) => key !== 'ARROW:schema'));
    return new pw.WriterPropertiesBuilder()
      .setCompression(this.compress ? pw.Compression.ZSTD : pw.Compression.UNCOMPRESSED)
      // Statistics and dictionaries tripled the writing time of float vectors (2.1 s vs 0.65 s).
      .setStatisticsEnabled(pw.EnabledStatistics.None)
      .setDictionaryEnabled(false)
      .setMaxRowGroupSize(rowsFor(this.schema, 64 << 20, 1024, 1 << 20))
      .setKeyValueMetadata(metadata)
      .setCreatedBy('cnnpipe')
      .build();
  }

  private toWasm(pw: Pw, table: Table): ParquetWasm.Table {
    try {
      return pw.Table.fromIPCStream(tableToIPC(table, 'stream'));
    } catch (error) {
      throw new CliError(`cannot write Parquet (${errorMessage(error)})`);
    }
  }

  async write(batch: RecordBatch): Promise<void> {
    const pw = await parquetWasm();
    if (!this.channel) {
      const channel = (this.channel = new BatchChannel<ParquetWasm.RecordBatch>());
      const source = ReadableStream.from(channel);
      // Not awaited here: parquet-wasm takes the first batch (for the schema) before it answers.
      this.pump = (async () => {
        try {
          const bytes = (await pw.transformParquetStream(source, this.properties(pw))) as AsyncIterable<Uint8Array>;
          for await (const chunk of bytes) await this.sink(chunk);
        } catch (error) {
          this.failure = error;
          channel.fail();
        }
      })();
    }
    if (this.failure) throw this.failed();
    const wasmTable = this.toWasm(pw, new Table(this.schema, [batch]));
    for (const wasmBatch of wasmTable.recordBatches()) await this.channel.push(wasmBatch);
    this.wrote = true;
  }

  /** Ends the file (its footer); a file with no rows still has the schema. */
  async close(): Promise<void> {
    const pw = await parquetWasm();
    if (!this.wrote) {
      await this.sink(pw.writeParquet(this.toWasm(pw, new Table(this.schema)), this.properties(pw)));
      return;
    }
    this.channel!.close();
    await this.pump;
    if (this.failure) throw this.failed();
  }

  private failed(): CliError {
    return this.failure instanceof CliError ? this.failure : new CliError(`cannot write Parquet (${errorMessage(this.failure)})`);
  }
}

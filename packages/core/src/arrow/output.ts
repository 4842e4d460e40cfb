import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AsyncByteQueue, CompressionType, RecordBatch, RecordBatchFileWriter, RecordBatchStreamWriter, Schema, type Table } from 'apache-arrow';
import { registerCodecs } from './compression.js';
import { CliError, errorMessage } from '../cli/errors.js';
import { ioSettings } from './io-settings.js';
import type { ParquetBatchWriter } from './parquet.js';

/** Temporary files and folders in flight; removed on error, Ctrl-C or SIGTERM so nothing half-written stays. */
const pendingTemps = new Set<string>();

export function removePendingOutputs(): void {
  for (const temp of pendingTemps) rmSync(temp, { recursive: true, force: true });
  pendingTemps.clear();
}

/** A temporary file of our own (stdin spooled to disk) to remove on error or Ctrl-C. */
export function trackTemp(path: string): void {
  pendingTemps.add(path);
}

/** Forgets a temporary file, removing it with `remove`. */
export function untrackTemp(path: string, remove = false): void {
  pendingTemps.delete(path);
  if (remove) rmSync(path, { force: true });
}

/** The table format `-o NAME` asks for: .parquet, .arrow / .feather (IPC file), else the IPC stream. */
export function outputFormat(path: string | undefined): 'parquet' | 'file' | 'stream' {
  if (path === undefined || path === '-') return 'stream';
  if (/\.parquet$/i.test(path)) return 'parquet';
  if (/\.(arrow|feather)$/i.test(path)) return 'file';
  return 'stream';
}

/**
 * An output folder (a web site, a set of figures) built in a temporary folder beside it
 * and put in place by `commit()`, replacing what was there; nothing half-built is left on
 * error or Ctrl-C.
 */
export class DirectorySink {
  /** Where to write until `commit()`. */
  readonly temp: string;

  constructor(readonly path: string) {
    const parent = dirname(path);
    if (!existsSync(parent)) throw new CliError(`${path}: the folder ${parent} does not exist`);
    if (existsSync(path) && !statSync(path).isDirectory()) throw new CliError(`${path}: exists and is not a folder`);
    this.temp = join(parent, `.${basename(path)}.${process.pid}.tmp`);
    rmSync(this.temp, { recursive: true, force: true });
    mkdirSync(this.temp);
    pendingTemps.add(this.temp);
  }

  commit(): void {
    const old = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.old`);
    const replacing = existsSync(this.path);
    if (replacing) renameSync(this.path, old);
    renameSync(this.temp, this.path);
    pendingTemps.delete(this.temp);
    if (replacing) rmSync(old, { recursive: true, force: true });
  }
}

function isSpecialFile(path: string): boolean {
  try {
    return !statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * A destination for bytes: stdout, or `-o FILE` written to a temporary file beside it and
 * renamed into place only by `commit()`.
 */
export class ByteSink {
  private fd: number | undefined;
  private temp: string | undefined;

  private constructor(readonly path: string | undefined) {}

  static open(path?: string): ByteSink {
    const sink = new ByteSink(path === '-' ? undefined : path);
    if (sink.path !== undefined && isSpecialFile(sink.path)) {
      // /dev/null, a FIFO, /dev/stdout: write in place; renaming onto them would replace them.
      try {
        sink.fd = openSync(sink.path, 'w');
      } catch (error) {
        throw new CliError(`${sink.path}: cannot write (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`);
      }
    } else if (sink.path !== undefined) {
      sink.temp = join(dirname(sink.path), `.${basename(sink.path)}.${process.pid}.tmp`);
      try {
        sink.fd = openSync(sink.temp, 'w');
      } catch (error) {
        throw new CliError(`${sink.path}: cannot write (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`);
      }
      pendingTemps.add(sink.temp);
    }
    return sink;
  }

  /** Writes bytes; waits for stdout to drain so memory stays bounded on a slow reader. */
  async write(bytes: Uint8Array | string): Promise<void> {
    if (this.fd !== undefined) {
      const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
      let offset = 0;
      while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset);
      return;
    }
    if (!process.stdout.write(bytes)) {
      await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
    }
  }

  /** Makes the output final: renames the temporary file into place. */
  commit(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    if (this.temp === undefined) return;
    renameSync(this.temp, this.path!);
    pendingTemps.delete(this.temp);
  }

  /** Drops a partial output. */
  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.temp !== undefined) {
      try {
        unlinkSync(this.temp);
      } catch {
        /* already gone */
      }
      pendingTemps.delete(this.temp);
    }
  }
}

/** Collects the writer's bytes so we can hand them to the sink ourselves, with backpressure. */
class CollectedBytes extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(value: Uint8Array | ArrayBufferView | ArrayBuffer | string): void {
    const bytes =
      value instanceof Uint8Array
        ? value
        : typeof value === 'string'
          ? Buffer.from(value)
          : ArrayBuffer.isView(value)
            ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
            : new Uint8Array(value);
    if (bytes.byteLength > 0) this.chunks.push(bytes.slice());
  }
  take(): Uint8Array[] {
    const out = this.chunks;
    this.chunks = [];
    return out;
  }
}

/**
 * Writes one table with a fixed schema (fields plus metadata): an Arrow IPC stream, an
 * Arrow IPC file (`-o x.arrow`, `-o x.feather`) or Parquet (`-o x.parquet`), compressed
 * with --compress. Batches are re-labelled with that schema, so every batch carries the
 * output's metadata.
 */
export class ArrowWriter {
  private readonly writer: RecordBatchStreamWriter | RecordBatchFileWriter | undefined;
  private readonly parquet: Promise<ParquetBatchWriter> | undefined;
  private readonly bytes = new CollectedBytes();
  private closed = false;

  constructor(
    private readonly sink: ByteSink,
    readonly schema: Schema,
    readonly format: 'parquet' | 'file' | 'stream' = 'stream',
    compress = ioSettings.compress,
  ) {
    if (format === 'parquet') {
      // parquet-wasm loads only when a Parquet file is written.
      this.parquet = import('./parquet.js').then(
        ({ ParquetBatchWriter }) => new ParquetBatchWriter(schema, compress, (bytes) => this.sink.write(bytes)),
      );
      return;
    }
    if (compress) registerCodecs(true);
    const options = { compressionType: compress ? CompressionType.LZ4_FRAME : null };
    this.writer = format === 'file' ? new RecordBatchFileWriter(options) : new RecordBatchStreamWriter(options);
    this.writer.reset(this.bytes as never, schema);
  }

  /** Opens `-o FILE` (or stdout) for a table of `schema`, in the format FILE's name asks for. */
  static open(path: string | undefined, schema: Schema): ArrowWriter {
    return new ArrowWriter(ByteSink.open(path), schema, outputFormat(path));
  }

  async write(batch: RecordBatch): Promise<void> {
    if (batch.numRows === 0) return;
    const relabelled = batch.schema === this.schema ? batch : new RecordBatch(this.schema, batch.data);
    if (this.parquet) return (await this.parquet).write(relabelled);
    this.writer!.write(relabelled);
    await this.flush();
  }

  async writeTable(table: Table): Promise<void> {
    for (const batch of table.batches) await this.write(batch);
  }

  /** Ends the stream (schema even if no rows came) and makes the file final. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.parquet) await (await this.parquet).close();
    else {
      this.writer!.finish();
      await this.flush();
    }
    this.sink.commit();
  }

  abort(): void {
    this.closed = true;
    this.sink.abort();
  }

  private async flush(): Promise<void> {
    for (const chunk of this.bytes.take()) await this.sink.write(chunk);
  }
}

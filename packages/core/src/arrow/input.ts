import { closeSync, createReadStream, openSync, readSync, statSync, writeSync } from 'node:fs';
import { open as openFileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordBatchReader, type RecordBatch, type Schema } from 'apache-arrow';
import { registerCodecs } from './compression.js';
import { CliError, errorMessage } from '../cli/errors.js';
import { plainError } from '../cli/errors.js';
import { adoptForeign } from './foreign.js';
import { trackTemp, untrackTemp } from './output.js';
import { StreamFrames } from './stream-frames.js';

/** The 8 bytes that end every Arrow IPC stream (continuation marker, zero length). */
const END_OF_STREAM = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);
const CONTINUATION = Uint8Array.of(0xff, 0xff, 0xff, 0xff);
const FILE_MAGIC = 'ARROW1';

/** An opened Arrow input: its schema now, its record batches one by one. */
export interface ArrowInput {
  /** The file name, or `stdin`, for messages. */
  name: string;
  schema: Schema;
  batches(): AsyncGenerator<RecordBatch>;
}

export function isStdin(path: string | undefined): boolean {
  return path === undefined || path === '-';
}

export function inputName(path: string | undefined): string {
  return isStdin(path) ? 'stdin' : path!;
}

/** Raw bytes of a file or stdin, with a friendly error for a missing file or a terminal. */
export function openBytes(path: string | undefined): AsyncIterable<Uint8Array> {
  if (isStdin(path)) {
    if (process.stdin.isTTY) {
      throw new CliError('stdin: no input (expected an Arrow stream piped in, or a FILE argument)');
    }
    return process.stdin;
  }
  checkReadable(path!);
  // 1 MiB reads rather than the default 64 KiB: a 200 MB activations file took 3,200
  // thread-pool round trips and as many small copies into Arrow's message bodies
  // (reading alone was ~0.6 s of topk's 1.5 s; with 1 MiB, ~0.25 s).
  return createReadStream(path!, { highWaterMark: 1 << 20 });
}

/** A friendly error for a missing or unreadable file, or a folder. */
function checkReadable(path: string): void {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new CliError(`${path}: is a directory (expected a file)`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${path}: cannot read: ${plainError(error)}`);
  }
}

/**
 * Passes bytes through while remembering how many came, the first and the last few, and
 * whether the source ended — what we need to tell an empty, foreign or truncated input
 * from a good one after Arrow's reader has had its say. It follows the stream's framing too
 * and fails as soon as a second stream begins after the first one's end (`cat a b`).
 * Arrow's reader closing it (a tool that stops early) leaves the source open, so that
 * `lookPastStop` can still look for a second stream.
 */
class ByteTap implements AsyncIterableIterator<Uint8Array> {
  total = 0;
  ended = false;
  head: Uint8Array = new Uint8Array(0);
  tail: Uint8Array = new Uint8Array(0);
  readonly frames = new StreamFrames();
  private readonly source: AsyncIterator<Uint8Array>;

  /** `stream`: the bytes; `raw`: the file or stdin stream under them, ended when a read is abandoned. */
  constructor(
    stream: AsyncIterable<Uint8Array>,
    private readonly name: string,
    private readonly raw: unknown,
  ) {
    this.source = stream[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        return { done: true, value: undefined };
      }
      const chunk = this.take(next.value);
      if (chunk.length > 0) return { done: false, value: chunk };
    }
  }

  /** Arrow's reader is done with us; the source stays open for `lookPastStop`, then `close`. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    return { done: true, value: undefined };
  }

  /**
   * After a consumer stopped early (show's first rows): reads on, for at most `budgetMs`,
   * to the first stream's end and fails if a second stream follows. Bounded so that a tool
   * reading the head of a live producer's output (`extract … | show`) still stops at once.
   */
  async lookPastStop(budgetMs: number): Promise<void> {
    const deadline = Date.now() + budgetMs;
    try {
      while (!this.frames.decided && !this.ended) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        let timer: NodeJS.Timeout | undefined;
        const pending = this.source.next();
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), left);
        });
        const next = await Promise.race([pending, late]);
        clearTimeout(timer);
        if (next === 'late') {
          pending.catch(() => undefined);
          break;
        }
        if (next.done) this.ended = true;
        else this.take(next.value);
      }
      await this.close();
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  /** Ends the file or stdin stream (an iterator's return() would wait for a pending read). */
  async close(): Promise<void> {
    const raw = this.raw as { destroy?: () => void } | undefined;
    if (raw?.destroy) raw.destroy();
    else await this.source.return?.()?.catch?.(() => undefined);
  }

  private take(raw: Uint8Array | string): Uint8Array {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    if (chunk.length === 0) return chunk;
    this.total += chunk.length;
    if (this.head.length < 16) this.head = concatTail(this.head, chunk, 16, true);
    this.tail = concatTail(this.tail, chunk, 8, false);
    this.frames.feed(chunk);
    if (this.frames.secondStream) throw twoStreams(this.name);
    return chunk;
  }
}

/** `cat a.arrows b.arrows`: two streams one after the other, which Arrow would read as one. */
function twoStreams(name: string): CliError {
  return new CliError(`${name}: 2 Arrow streams one after the other (cat a b?); join them with \`concat a b\``);
}

/** How long a tool that stopped early reads on to catch a second stream (see lookPastStop). */
const LOOK_PAST_STOP_MS = 100;

function concatTail(a: Uint8Array, b: Uint8Array, keep: number, fromStart: boolean): Uint8Array {
  // Only the bytes that can be kept are copied (not the whole chunk, for every chunk).
  if (fromStart) {
    if (a.length >= keep) return a;
    b = b.subarray(0, keep - a.length);
  } else {
    b = b.subarray(Math.max(0, b.length - keep));
  }
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  if (joined.length <= keep) return joined;
  return fromStart ? joined.slice(0, keep) : joined.slice(joined.length - keep);
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

function describeForeign(head: Uint8Array): string {
  const printable = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (printable) {
    const text = Buffer.from(head).toString('latin1').replace(/\s+/g, ' ').trim();
    return `got text '${text}...'; for CSV use 'csv --to-arrow'`;
  }
  return `got bytes ${Buffer.from(head.subarray(0, 8)).toString('hex')}`;
}

const PARQUET_MAGIC = 'PAR1';

/** What the first bytes say an input is. */
export function sniffFormat(head: Uint8Array): 'parquet' | 'file' | 'stream' {
  const text = Buffer.from(head.subarray(0, 6)).toString('latin1');
  if (text.startsWith(PARQUET_MAGIC)) return 'parquet';
  if (text === FILE_MAGIC) return 'file';
  return 'stream';
}

function fileHead(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(8);
    return head.subarray(0, readSync(fd, head, 0, 8, 0));
  } finally {
    closeSync(fd);
  }
}

/** The first chunks of a source (at least 8 bytes, unless it ends first), and all of it again. */
async function peek(source: AsyncIterable<Uint8Array>): Promise<{ head: Uint8Array; all: AsyncIterable<Uint8Array> }> {
  const iterator = source[Symbol.asyncIterator]();
  const seen: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < 8) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    seen.push(chunk);
    length += chunk.length;
  }
  const head = Buffer.concat(seen).subarray(0, 8);
  async function* all(): AsyncGenerator<Uint8Array> {
    yield* seen;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head, all: all() };
}

/** Copies stdin to a temporary file: Arrow files and Parquet are read from their end first. */
async function spool(source: AsyncIterable<Uint8Array>): Promise<string> {
  const path = join(tmpdir(), `cnnpipe-stdin-${process.pid}-${Date.now()}.tmp`);
  trackTemp(path);
  const fd = openSync(path, 'w');
  try {
    for await (const chunk of source) {
      let offset = 0;
      while (offset < chunk.length) offset += writeSync(fd, chunk, offset);
    }
  } finally {
    closeSync(fd);
  }
  process.once('exit', () => untrackTemp(path, true));
  return path;
}

/** Options of `openArrow`. */
export interface OpenOptions {
  /**
   * Take foreign tables in (default true): assume the kind of a table without cnnpipe.kind
   * from its columns (or --kind), convert columns to the kind's types. Tools that print any
   * table as it is (show, csv --to-csv) turn it off.
   */
  foreign?: boolean;
}

/**
 * Opens an Arrow IPC stream, an Arrow IPC file or a Parquet file (told apart by their
 * first bytes) from `path` or stdin. Errors name the input and say what was expected:
 * empty input, non-Arrow bytes, a truncated stream, several streams glued by `cat` (use
 * `concat`). Compressed IPC (LZ4 frame, ZSTD) is read too.
 */
export async function openArrow(path?: string, options: OpenOptions = {}): Promise<ArrowInput> {
  registerCodecs();
  const name = inputName(path);
  let source: AsyncIterable<Uint8Array> | undefined;
  let raw: AsyncIterable<Uint8Array> | undefined;
  let file = isStdin(path) ? undefined : path!;
  let format: 'parquet' | 'file' | 'stream';
  if (file === undefined) {
    raw = openBytes(path);
    const peeked = await peek(raw);
    format = sniffFormat(peeked.head);
    if (format === 'stream') source = peeked.all;
    else file = await spool(peeked.all);
  } else {
    checkReadable(file);
    format = statSync(file).isFile() ? sniffFormat(fileHead(file)) : 'stream';
    if (format === 'stream') source = raw = openBytes(file);
  }
  const input =
    format === 'parquet' ? await openParquetInput(file!, name)
    : format === 'file' ? await openArrowFile(file!, name)
    : await openArrowStream(source!, name, raw);
  return options.foreign === false ? input : adoptForeign(input);
}

async function openParquetInput(path: string, name: string): Promise<ArrowInput> {
  const { openParquet } = await import('./parquet.js');
  const parquet = await openParquet(path, name);
  return { name, ...parquet };
}

/** An Arrow IPC file, read with random access (its footer first), batch by batch. */
async function openArrowFile(path: string, name: string): Promise<ArrowInput> {
  const handle = await openFileHandle(path, 'r');
  let schema: Schema;
  let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
  try {
    reader = await RecordBatchReader.from(handle);
    await reader.open();
    schema = reader.schema;
    if (!schema) throw new Error('no schema');
  } catch (error) {
    await handle.close();
    throw new CliError(`${name}: corrupt or truncated Arrow file (${errorMessage(error)}; was the writer interrupted?)`);
  }
  async function* batches(): AsyncGenerator<RecordBatch> {
    try {
      for await (const batch of reader as AsyncIterable<RecordBatch>) if (batch.numRows > 0) yield batch;
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`${name}: corrupt Arrow file (${errorMessage(error)})`);
    } finally {
      await handle.close();
    }
  }
  return { name, schema, batches };
}

async function openArrowStream(bytes: AsyncIterable<Uint8Array>, name: string, raw?: unknown): Promise<ArrowInput> {
  const tap = new ByteTap(bytes, name, raw);
  const fail = (what: string): never => {
    throw new CliError(`${name}: ${what}`);
  };
  let readers: AsyncIterator<RecordBatchReader>;
  let first: IteratorResult<RecordBatchReader>;
  try {
    readers = RecordBatchReader.readAll(tap)[Symbol.asyncIterator]();
    first = await readers.next();
  } catch (error) {
    await tap.close();
    if (error instanceof CliError) throw error;
    return fail(badBytesMessage(tap, error));
  }
  if (tap.total === 0) fail('empty input (expected an Arrow IPC stream)');
  if (first.done || !first.value.schema) return fail(badBytesMessage(tap, undefined));
  const reader = first.value;
  const schema = reader.schema;

  async function* batches(): AsyncGenerator<RecordBatch> {
    let stoppedEarly = true;
    try {
      for await (const batch of reader) if (batch.numRows > 0) yield batch;
      stoppedEarly = false;
      const next = await readers.next();
      if (!next.done && next.value.schema) throw twoStreams(name);
    } catch (error) {
      stoppedEarly = false;
      if (error instanceof CliError) throw error;
      fail(badBytesMessage(tap, error));
    } finally {
      if (stoppedEarly) await tap.lookPastStop(LOOK_PAST_STOP_MS);
      else await tap.close();
    }
    if (tap.ended && !isFileFormat(tap.head) && !startsWith(tap.tail, END_OF_STREAM)) {
      fail('truncated Arrow stream (it ends without the end-of-stream marker; was the writer interrupted?)');
    }
  }
  return { name, schema, batches };
}

function isFileFormat(head: Uint8Array): boolean {
  return Buffer.from(head.subarray(0, 6)).toString('latin1') === FILE_MAGIC;
}

function badBytesMessage(tap: ByteTap, error: unknown): string {
  if (tap.total === 0) return 'empty input (expected an Arrow IPC stream)';
  if (!startsWith(tap.head, CONTINUATION) && !isFileFormat(tap.head)) {
    return `not an Arrow IPC stream (expected an Arrow IPC stream, ${describeForeign(tap.head)})`;
  }
  const detail = error === undefined ? 'no schema message' : errorMessage(error);
  return `corrupt or truncated Arrow stream (${detail})`;
}

/** Reads every batch of an input into memory: for small tables (maps, reports, stats). */
export async function readAllBatches(input: ArrowInput): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const batch of input.batches()) out.push(batch);
  return out;
}

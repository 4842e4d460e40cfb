import { Table, type RecordBatch, type Schema } from 'apache-arrow';
import { openArrow, type ArrowInput, type OpenOptions } from '../arrow/input.js';
import { ArrowWriter } from '../arrow/output.js';
import type { NonFiniteGuard } from '../arrow/nonfinite.js';
import { META, passMetadata, type Metadata } from './metadata.js';
import { expectKind } from './specs.js';

/**
 * A table kind as a typed codec: what a tool reads is plain typed arrays per batch, what it
 * writes is built from them, so a tool's `run` is read → compute → write with no Arrow in it.
 * The schema of each kind stays in specs.ts (KINDS); a codec checks against it on reading.
 * Each kind's module (kinds/<kind>.ts) exports `<kind>Codec` (camelCase) and its row types.
 */

/** What a codec decodes: one record batch, or a whole table (its batches as chunks). */
export type Columns = RecordBatch | Table;

/**
 * One table kind. `Decoded` is what a batch reads as (string columns as lazy readers where
 * decoding every string would cost more than the algorithm), `Rows` what `encode` takes, and
 * `Shape` what an empty table needs to know (e.g. the FixedSizeList length K).
 */
export interface KindCodec<Decoded, Rows = Decoded, Shape = void> {
  /** The cnnpipe.kind it reads and writes. */
  readonly kind: string;
  /** The float columns the non-finite policy checks (default: every float column). */
  numbers?(schema: Schema): string[];
  decode(columns: Columns): Decoded;
  /** A batch of the kind; `metadata` becomes its schema's (writers replace it anyway). */
  encode(rows: Rows, metadata?: Metadata): RecordBatch;
  /** No rows, of the given shape: `encode(empty(shape))` gives the kind's schema. */
  empty(shape: Shape): Rows;
}

/** Row `r` of a string column, decoded only when asked (null for a null slot). */
export type StringColumn = (row: number) => string | null;

/** Row `r` of an int32 column that may hold nulls. */
export type IntColumn = (row: number) => number | null;

/** An int32 column to write: its values (a null slot's value is written as it is) and which rows are null. */
export interface NullableInt32 {
  values: Int32Array;
  isNull?: (row: number) => boolean;
}

/** Options of `readKind`. */
export interface ReadOptions {
  /**
   * The non-finite policy: a guard, or what makes one for the input's name (`ctx.nonFinite`);
   * without one the floats are not checked.
   */
  guard?: NonFiniteGuard | ((input: string) => NonFiniteGuard);
  /** The float columns the guard checks (default: the codec's `numbers`). */
  columns?: string[];
  /**
   * The algorithm finds NaN/Inf itself while reading the values (and calls `rescan`): the
   * reader then scans only to drop rows with --skip-nonfinite.
   */
  fused?: boolean;
  /** Passed to openArrow when the reader opens a path. */
  open?: OpenOptions;
}

/** An input of one kind: decoded batches in input order, with the non-finite policy applied. */
export class KindReader<Decoded> {
  private part: RecordBatch | undefined;
  /** The input's non-finite policy, if any. */
  readonly guard: NonFiniteGuard | undefined;

  constructor(
    readonly input: ArrowInput,
    readonly codec: KindCodec<Decoded, unknown, never>,
    private readonly options: ReadOptions = {},
  ) {
    this.guard = typeof options.guard === 'function' ? options.guard(input.name) : options.guard;
  }

  get name(): string {
    return this.input.name;
  }

  get schema(): Schema {
    return this.input.schema;
  }

  /** The record batches (or slices of them, rows with NaN/Inf dropped under --skip-nonfinite). */
  async *records(): AsyncGenerator<RecordBatch> {
    const { guard } = this;
    const { fused } = this.options;
    const columns = this.options.columns ?? this.codec.numbers?.(this.schema);
    const scan = fused && !guard?.skip ? [] : columns;
    for await (const whole of this.input.batches()) {
      for (const part of guard ? guard.next(whole, scan) : [whole]) {
        this.part = part;
        yield part;
      }
    }
    this.part = undefined;
    guard?.finish();
  }

  /** Each batch decoded; at the end the guard stops with its error or warns about dropped rows. */
  async *batches(): AsyncGenerator<Decoded> {
    for await (const part of this.records()) yield this.codec.decode(part);
  }

  /** The whole table decoded at once, for algorithms that need every row (small tables). */
  async all(): Promise<Decoded> {
    const parts: RecordBatch[] = [];
    for await (const part of this.records()) parts.push(part);
    return this.codec.decode(parts.length === 1 ? parts[0]! : new Table(this.schema, parts));
  }

  /** For a `fused` algorithm: has the guard record `columns` of the batch being read. */
  rescan(columns: string[]): void {
    if (this.part && this.guard) this.guard.rescan(this.part, columns);
  }
}

/** FILE (or stdin for undefined/'-'), or an input already open. */
export type Source = string | undefined | ArrowInput;

/** Opens `source` (unless open), checks it is the codec's kind and reads it through the codec. */
export async function readKind<Decoded>(
  codec: KindCodec<Decoded, unknown, never>,
  source: Source,
  options: ReadOptions = {},
): Promise<KindReader<Decoded>> {
  const input = typeof source === 'object' ? source : await openArrow(source, options.open);
  expectKind(input.schema, codec.kind, input.name);
  return new KindReader(input, codec as KindCodec<Decoded, unknown, never>, options);
}

/** Options of `KindWriter.open`; `shape` (the empty table's FixedSizeList lengths) only for kinds that have one. */
export type WriteOptions<Shape> = {
  /** The input(s) whose metadata passes on (passMetadata). */
  from?: Schema | Schema[];
  /** Metadata set on top (cnnpipe.kind is the codec's); null removes a key. */
  metadata?: Record<string, string | null>;
} & (void extends Shape ? { shape?: Shape } : { shape: Shape });

/**
 * Writes a table of one kind to `-o FILE` or stdout (stream, .arrow/.feather file, .parquet):
 * the input's metadata passed on, cnnpipe.kind set, and a well-formed empty table when no
 * rows come (the schema is written at open).
 */
export class KindWriter<Rows, Shape = void> {
  readonly metadata: Metadata;
  private readonly writer: ArrowWriter;

  private constructor(
    readonly codec: KindCodec<unknown, Rows, Shape>,
    path: string | undefined,
    options: WriteOptions<Shape>,
  ) {
    this.metadata = passMetadata(options.from, { [META.kind]: codec.kind, ...options.metadata });
    this.writer = ArrowWriter.open(path, codec.encode(codec.empty(options.shape as Shape), this.metadata).schema);
  }

  static open<Rows, Shape = void>(codec: KindCodec<unknown, Rows, Shape>, path: string | undefined, options: WriteOptions<Shape>): KindWriter<Rows, Shape> {
    return new KindWriter(codec, path, options);
  }

  get schema(): Schema {
    return this.writer.schema;
  }

  async write(rows: Rows): Promise<void> {
    await this.writer.write(this.codec.encode(rows, this.metadata));
  }

  async close(): Promise<void> {
    await this.writer.close();
  }

  /** Drops what was written (an -o FILE is never made): nothing half-written on an error. */
  abort(): void {
    this.writer.abort();
  }
}

/** Writes `rows` (one batch) as the whole output and closes it. */
export async function writeKind<Rows, Shape>(
  codec: KindCodec<unknown, Rows, Shape>,
  path: string | undefined,
  rows: Rows,
  options: WriteOptions<Shape>,
): Promise<void> {
  const writer = KindWriter.open(codec, path, options);
  await writer.write(rows);
  await writer.close();
}

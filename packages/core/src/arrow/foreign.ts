import {
  DataType,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  List,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
  type Data,
} from 'apache-arrow';
import { CliError, UsageError } from '../cli/errors.js';
import type { ArrowInput } from './input.js';
import { ioSettings, type IoSettings } from './io-settings.js';
import { KINDS } from '../kinds/specs.js';
import { META } from '../kinds/metadata.js';
import { describeType, matchesType, type TypeSpec } from '../kinds/column-types.js';

/**
 * Tables from Python (pyarrow, polars, pandas) into the tools: a table without
 * cnnpipe.kind gets the one kind its columns fit (or --kind's), and columns of the right
 * meaning but another Arrow type (int64 labels, float64 or float16 vectors, List or
 * LargeList vectors of one length, string views) are converted to the kind's types, with
 * one note each on stderr. A table of cnnpipe's own passes through untouched.
 */

/** What a converted column becomes. */
type Target = 'int32' | 'float32' | 'float64' | 'utf8' | 'fsl-float32' | 'fsl-float64' | 'fsl-int32' | 'list-float32' | 'list-float64';

const TARGET_OF: Partial<Record<TypeSpec, Target>> = {
  int32: 'int32',
  float32: 'float32',
  float64: 'float64',
  utf8: 'utf8',
  'FixedSizeList<float32>': 'fsl-float32',
  'FixedSizeList<float64>': 'fsl-float64',
  'FixedSizeList<int32>': 'fsl-int32',
  'List<float32>': 'list-float32',
  'List<float64>': 'list-float64',
};

const isNumber = (type: DataType | undefined): boolean => type !== undefined && (DataType.isInt(type) || DataType.isFloat(type));
const isListLike = (type: DataType): boolean =>
  DataType.isFixedSizeList(type) || DataType.isList(type) || type.typeId === 21; /* LargeList */
const isStringView = (type: DataType): boolean => type.typeId === 24; /* Utf8View */

/** Whether a column of `type` can be converted to `target`. */
function convertible(type: DataType, target: Target): boolean {
  switch (target) {
    case 'int32':
      return DataType.isInt(type);
    case 'float32':
    case 'float64':
      return isNumber(type);
    case 'utf8':
      return isStringView(type);
    case 'fsl-int32':
      // Counts stay counts: float lists are not made integers.
      return isListLike(type) && type.children[0]?.type !== undefined && DataType.isInt(type.children[0].type);
    default:
      return isListLike(type) && isNumber(type.children[0]?.type);
  }
}

/** The activations table's vector columns: numeric lists not named like `layer:argmax`. */
function vectorFields(schema: Schema): Field[] {
  const fixed = new Set(KINDS.activations!.columns.map((c) => c.name));
  return schema.fields.filter((f) => !fixed.has(f.name) && !f.name.includes(':') && isListLike(f.type) && isNumber(f.type.children[0]?.type));
}

function fits(schema: Schema, kind: string): boolean {
  const spec = KINDS[kind]!;
  for (const col of spec.columns) {
    const field = schema.fields.find((f) => f.name === col.name);
    if (!field) {
      if (col.optional) continue;
      return false;
    }
    const target = TARGET_OF[col.type];
    if (!matchesType(field.type, col.type) && !(target && convertible(field.type, target))) return false;
  }
  return kind !== 'activations' || vectorFields(schema).length > 0;
}

/**
 * The one kind whose required columns a schema has (each of its type or convertible to
 * it); among several, the one whose columns include all the others'. Undefined when none
 * or no single one fits.
 */
export function inferKind(schema: Schema): string | undefined {
  const candidates = Object.keys(KINDS).filter((k) => KINDS[k]!.columns.filter((c) => !c.optional).length >= 2 && fits(schema, k));
  const names = (k: string) => new Set(KINDS[k]!.columns.map((c) => c.name));
  const widest = candidates.filter((k) => candidates.every((o) => [...names(o)].every((n) => names(k).has(n))));
  return widest.length === 1 ? widest[0] : undefined;
}

interface Conversion {
  name: string;
  from: DataType;
  target: Target;
  /** FixedSizeList size, for targets from a List (known from the first batch). */
  size?: number;
}

function planConversions(schema: Schema, kind: string): Conversion[] {
  const plan: Conversion[] = [];
  const spec = KINDS[kind];
  if (!spec) return plan;
  for (const col of spec.columns) {
    const field = schema.fields.find((f) => f.name === col.name);
    const target = TARGET_OF[col.type];
    if (field && target && !matchesType(field.type, col.type) && convertible(field.type, target)) {
      plan.push({ name: field.name, from: field.type, target });
    }
  }
  if (kind === 'activations') {
    for (const field of vectorFields(schema)) {
      if (!matchesType(field.type, 'FixedSizeList<float32>')) plan.push({ name: field.name, from: field.type, target: 'fsl-float32' });
    }
  }
  return plan;
}

let halfTable: Float32Array | undefined;

/** float16 bit patterns to float32, through a 65,536-entry table (one typed-array lookup each). */
function halfToFloat(bits: Uint16Array): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const exponent = (h >> 10) & 0x1f;
      const mantissa = h & 0x3ff;
      halfTable[h] =
        exponent === 0 ? sign * 2 ** -14 * (mantissa / 1024)
        : exponent === 31 ? (mantissa ? NaN : sign * Infinity)
        : sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
    }
  }
  const out = new Float32Array(bits.length);
  const table = halfTable;
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]!]!;
  return out;
}

type Numbers = Float32Array | Float64Array | Int32Array;

/** `count` values of a numeric Data from element `start`, as `Ctor`. */
function numbers(data: Data, start: number, count: number, Ctor: new (n: number | ArrayLike<number>) => Numbers, where: string): Numbers {
  // apache-arrow slices value buffers with a Data (its `offset` is for the validity bits).
  const at = start;
  const raw = data.values as ArrayLike<number | bigint> & { subarray(a: number, b: number): ArrayLike<number | bigint> };
  const part = raw.subarray(at, at + count);
  if (DataType.isFloat(data.type) && data.type.precision === 0) {
    const wide = halfToFloat(part as Uint16Array);
    return wide instanceof Ctor ? wide : new Ctor(wide);
  }
  if (part instanceof BigInt64Array || part instanceof BigUint64Array) {
    const out = new Ctor(count);
    for (let i = 0; i < count; i++) {
      const v = Number(part[i]!);
      if (Ctor === Int32Array && (v > 2147483647 || v < -2147483648)) {
        throw new CliError(`${where}: value ${v} does not fit in int32`);
      }
      out[i] = v;
    }
    return out;
  }
  if (Ctor === Int32Array && !(part instanceof Int32Array)) {
    for (let i = 0; i < count; i++) {
      const v = part[i] as number;
      if (v > 2147483647 || v < -2147483648 || !Number.isInteger(v)) throw new CliError(`${where}: value ${v} does not fit in int32`);
    }
  }
  return new Ctor(part as ArrayLike<number>);
}

const ELEMENT: Record<string, { type: () => DataType; Ctor: new (n: number | ArrayLike<number>) => Numbers }> = {
  float32: { type: () => new Float32(), Ctor: Float32Array },
  float64: { type: () => new Float64(), Ctor: Float64Array },
  int32: { type: () => new Int32(), Ctor: Int32Array },
};

/** Start and end element of list row `i` (List, LargeList, FixedSizeList). */
function listBounds(data: Data): (i: number) => [number, number] {
  if (DataType.isFixedSizeList(data.type)) {
    const size = data.type.listSize;
    return (i) => [i * size, (i + 1) * size];
  }
  const offsets = data.valueOffsets as unknown as ArrayLike<number | bigint>;
  return (i) => [Number(offsets[i]!), Number(offsets[i + 1]!)];
}

function convertData(data: Data, c: Conversion, where: string): Data {
  const nulls = { nullCount: data.nullCount, nullBitmap: data.nullBitmap };
  if (c.target === 'utf8') {
    const vector = makeVector(data);
    const values = Array.from({ length: data.length }, (_, i) => (data.getValid(i) ? String(vector.get(i)) : null));
    return vectorFromArray(values, new Utf8()).data[0]!;
  }
  if (c.target === 'int32' || c.target === 'float32' || c.target === 'float64') {
    const { type, Ctor } = ELEMENT[c.target]!;
    return makeData({ type: type(), length: data.length, data: numbers(data, 0, data.length, Ctor, where), ...nulls } as never);
  }
  const [shape, element] = c.target.split('-') as ['fsl' | 'list', string];
  const { type, Ctor } = ELEMENT[element]!;
  const bounds = listBounds(data);
  const child = data.children[0]!;
  const first = data.length > 0 ? bounds(0)[0] : 0;
  const last = data.length > 0 ? bounds(data.length - 1)[1] : 0;
  const flat = numbers(child, first, last - first, Ctor, where);
  const itemField = new Field('item', type(), false);
  if (shape === 'list') {
    const offsets = new Int32Array(data.length + 1);
    for (let i = 0; i < data.length; i++) offsets[i + 1] = bounds(i)[1] - first;
    return makeData({ type: new List(itemField), length: data.length, valueOffsets: offsets, child: makeData({ type: type(), length: flat.length, data: flat } as never), ...nulls } as never);
  }
  const size = c.size!;
  for (let i = 0; i < data.length; i++) {
    const [start, end] = bounds(i);
    if (!data.getValid(i)) throw new CliError(`${where}: row ${i} is null (expected a vector in every row)`);
    if (end - start !== size || start - first !== i * size) {
      throw new CliError(`${where}: lists of different lengths (${size} and ${end - start}); expected one length per column`);
    }
  }
  return makeData({ type: new FixedSizeList(size, itemField), length: data.length, nullCount: 0, child: makeData({ type: type(), length: flat.length, data: flat } as never) } as never);
}

function targetType(c: Conversion): DataType {
  const [shape, element] = c.target.includes('-') ? (c.target.split('-') as [string, string]) : ['', c.target];
  if (element === 'utf8') return new Utf8();
  const item = ELEMENT[element]!.type();
  if (shape === 'fsl') return new FixedSizeList(c.size!, new Field('item', item, false));
  if (shape === 'list') return new List(new Field('item', item, false));
  return item;
}

/**
 * The input as its kind's tools expect it: the kind assumed or given (--kind) when the
 * table declares none, the columns converted. Notes go to `settings.note`.
 */
export async function adoptForeign(input: ArrowInput, settings: IoSettings = ioSettings): Promise<ArrowInput> {
  const { name } = input;
  const declared = input.schema.metadata.get(META.kind);
  if (settings.kind !== undefined && KINDS[settings.kind] === undefined) {
    throw new UsageError(`--kind ${settings.kind} is not a table kind (expected one of ${Object.keys(KINDS).join(', ')})`);
  }
  let kind = declared ?? settings.kind;
  if (kind === undefined) {
    kind = inferKind(input.schema);
    if (kind === undefined) return input;
    settings.note(`${name}: no cnnpipe.kind metadata; assumed table kind '${kind}' from its columns (--kind K to say another)`);
  }
  const plan = planConversions(input.schema, kind);
  if (plan.length === 0 && kind === declared) return input;

  const source = input.batches();
  let peeked: IteratorResult<RecordBatch> | undefined;
  if (plan.some((c) => c.target.startsWith('fsl'))) {
    peeked = await source.next();
    for (const c of plan) {
      if (!c.target.startsWith('fsl')) continue;
      if (DataType.isFixedSizeList(c.from)) c.size = c.from.listSize;
      else if (!peeked.done) {
        const data = peeked.value.getChild(c.name)!.data[0]!;
        const [start, end] = listBounds(data)(0);
        c.size = end - start;
      } else c.size = 0;
    }
  }
  const converted = new Map(plan.map((c) => [c.name, c]));
  const fields = input.schema.fields.map((f) => {
    const c = converted.get(f.name);
    return c ? new Field(f.name, targetType(c), f.nullable, f.metadata) : f;
  });
  const metadata = new Map(input.schema.metadata);
  metadata.set(META.kind, kind);
  const schema = new Schema(fields, metadata);
  if (plan.length > 0) {
    const what = plan.map((c) => `${c.name} (${describeType(c.from)} -> ${describeType(targetType(c))})`).join(', ');
    settings.note(`${name}: converted ${plan.length === 1 ? 'column' : 'columns'} ${what}`);
  }

  const convert = (batch: RecordBatch): RecordBatch => {
    const children = schema.fields.map((f, i) => {
      const data = batch.data.children[i]!;
      const c = converted.get(f.name);
      return c ? convertData(data, c, `${name}: column '${f.name}'`) : data;
    });
    return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: batch.numRows, nullCount: 0, children }));
  };
  async function* batches(): AsyncGenerator<RecordBatch> {
    if (peeked) {
      if (peeked.done) return;
      yield convert(peeked.value);
    }
    for (let next = await source.next(); !next.done; next = await source.next()) yield convert(next.value);
  }
  return { name, schema, batches };
}

import { DataType, type Field, type RecordBatch } from 'apache-arrow';
import { CliError, META, NonFiniteGuard, kindOf, openArrow, readAllBatches } from '@cnnpipe/core';

export type ColType = 'number' | 'string' | 'other';
export type Row = Record<string, number | string | boolean | null>;

/** A small table in memory as plain rows, with each column's broad type. */
export interface Frame {
  source: string;
  names: string[];
  types: Map<string, ColType>;
  rows: Row[];
  kind?: string;
  /** `cnnpipe.report` of a venn table (summary, per-layer, concepts, top, scores). */
  report?: string;
  metadata: Map<string, string>;
}

function colType(field: Field): ColType {
  const t = field.type;
  if (DataType.isInt(t) || DataType.isFloat(t) || DataType.isDecimal(t)) return 'number';
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t) || DataType.isBool(t)) return 'string';
  if (DataType.isDictionary(t) && (DataType.isUtf8(t.dictionary) || DataType.isLargeUtf8(t.dictionary))) return 'string';
  return 'other';
}

export function frameFromBatches(source: string, batches: RecordBatch[], metadata: Map<string, string>, fields: Field[]): Frame {
  const types = new Map<string, ColType>();
  for (const f of fields) types.set(f.name, colType(f));
  const rows: Row[] = [];
  for (const batch of batches) {
    const vectors = fields.map((f) => [f.name, types.get(f.name)!, batch.getChild(f.name)] as const);
    for (let i = 0; i < batch.numRows; i++) {
      const row: Row = {};
      for (const [name, type, vector] of vectors) {
        if (type === 'other' || !vector) continue;
        const v: unknown = vector.get(i);
        if (v === null || v === undefined) row[name] = null;
        else if (type === 'number') row[name] = Number(v);
        else row[name] = String(v);
      }
      rows.push(row);
    }
  }
  return {
    source,
    names: fields.map((f) => f.name),
    types,
    rows,
    kind: kindOf({ metadata } as never),
    report: metadata.get('cnnpipe.report'),
    metadata,
  };
}

/** Reads a table whole; NaN/Inf in its numeric columns follows core's policy (`guard`: stop by default). */
export async function readFrame(path?: string, guard?: (input: string) => NonFiniteGuard): Promise<Frame> {
  const input = await openArrow(path);
  const numeric = input.schema.fields.filter((f) => DataType.isFloat(f.type)).map((f) => f.name);
  const policy = guard ? guard(input.name) : new NonFiniteGuard(input.name, false);
  const batches: RecordBatch[] = [];
  for (const batch of await readAllBatches(input)) batches.push(...policy.next(batch, numeric));
  policy.finish();
  return frameFromBatches(input.name, batches, input.schema.metadata, input.schema.fields);
}

export function has(frame: Frame, name: string): boolean {
  return frame.types.has(name);
}

/** The column named by a flag, or an error naming it and listing what the table has. */
export function need(frame: Frame, name: string, flag: string, want?: ColType): string {
  const type = frame.types.get(name);
  if (type === undefined) {
    throw new CliError(`${frame.source}: no column '${name}' (given by ${flag}); columns: ${frame.names.join(', ')}`);
  }
  if (want && type !== want && !(want === 'string' && type === 'number')) {
    throw new CliError(`${frame.source}: column '${name}' (given by ${flag}) is not ${want === 'number' ? 'numeric' : 'text'}`);
  }
  return name;
}

export function firstOf(frame: Frame, type: ColType, except: string[] = []): string | undefined {
  return frame.names.find((n) => frame.types.get(n) === type && !except.includes(n));
}

/** First of `candidates` the table has. */
export function pick(frame: Frame, ...candidates: string[]): string | undefined {
  return candidates.find((c) => has(frame, c));
}

export { META };

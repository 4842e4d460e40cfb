import { CliError, conceptsCodec, readKind, type NonFiniteGuard } from '@cnnpipe/core';
import type { RecordBatch } from 'apache-arrow';
import type { ConceptTable } from './table.js';

/**
 * Reads a `concepts` table (layer, unit, concept, score) through core's codec. A NaN/Inf
 * score (a null one is fine: no score, read as NaN) follows core's policy through `guard`;
 * a null layer or unit is an error naming the row.
 */
export async function readConcepts(file: string, guard: (input: string) => NonFiniteGuard): Promise<{ table: ConceptTable; name: string; schema: RecordBatch['schema'] }> {
  const reader = await readKind(conceptsCodec, file, { guard });
  const parts: RecordBatch[] = [];
  for await (const part of reader.records()) parts.push(part);
  let offset = 0;
  for (const part of parts) {
    for (const name of ['layer', 'unit']) {
      const vector = part.getChild(name)!;
      if (vector.nullCount === 0) continue;
      let at = 0;
      while (vector.isValid(at)) at++;
      throw new CliError(`${reader.name}: row ${offset + at + 1}: column '${name}' is null (expected a value on every row)`);
    }
    offset += part.numRows;
  }
  const decoded = parts.map((part) => conceptsCodec.decode(part));
  const table: ConceptTable = {
    layer: decoded.flatMap((d) => d.layer),
    unit: concat(decoded.map((d) => d.unit), Int32Array),
    concept: decoded.flatMap((d) => d.concept),
    score: concat(decoded.map((d) => d.score), Float64Array),
  };
  return { table, name: reader.name, schema: reader.schema };
}

function concat<T extends Int32Array | Float64Array>(parts: T[], Ctor: new (n: number) => T): T {
  const out = new Ctor(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

import { readFileSync } from 'node:fs';
import { CliError, describeType, embeddingsCodec, expectKind, kindOf, matchesType, openArrow, stringValues, type EmbeddingsRows } from '@cnnpipe/core';
import { DataType, type Vector } from 'apache-arrow';
import { checkFinite, isFloatList } from './checks.js';

/** Reading the concept words with their CLIP text embeddings, and selecting among them. */

export interface ConceptsInput {
  name: string;
  words: string[];
  dim: number;
  values: Float32Array;
}

const fromCodec = (rows: EmbeddingsRows) => ({ values: rows.embedding.slice(), dim: rows.dim });

/** Rows of a List<float> column (a foreign table's) as one row-major buffer of `dim` per row. */
function embeddingRows(vector: Vector, source: string, words: string[], first: number): { values: Float32Array; dim: number } {
  let dim = -1;
  const rows: ArrayLike<number>[] = [];
  for (let r = 0; r < vector.length; r++) {
    const row = vector.get(r) as ArrayLike<number> | null;
    const length = row?.length ?? 0;
    if (dim < 0) dim = length;
    if (length !== dim || row === null) {
      throw new CliError(`${source}: concept '${words[first + r]}' has an embedding of ${row === null ? 'null' : length} values (expected ${dim}, as the first row)`);
    }
    rows.push(row);
  }
  const values = new Float32Array(rows.length * Math.max(dim, 0));
  rows.forEach((row, r) => values.set(Array.from(row), r * dim));
  return { values, dim };
}

/**
 * Reads a concepts-with-embeddings table: `concept` utf8 and `embedding` FixedSizeList (or
 * List) of float32/float64 — the `embeddings` kind, or a pyarrow-written file without
 * cnnpipe metadata.
 */
export async function readConceptTable(file: string): Promise<ConceptsInput> {
  const input = await openArrow(file);
  if (kindOf(input.schema) !== undefined) expectKind(input.schema, 'embeddings', input.name);
  const concept = input.schema.fields.find((f) => f.name === 'concept');
  const embedding = input.schema.fields.find((f) => f.name === 'embedding');
  const have = input.schema.fields.map((f) => f.name).join(', ');
  if (!concept || !matchesType(concept.type, 'utf8')) {
    throw new CliError(`${input.name}: missing column 'concept' (expected utf8 concept words; columns are: ${have})`);
  }
  const floatList =
    embedding &&
    (isFloatList(embedding.type) || matchesType(embedding.type, 'List<float32>') || matchesType(embedding.type, 'List<float64>'));
  if (!embedding || !floatList) {
    throw new CliError(
      `${input.name}: ${embedding ? `column 'embedding' has type ${describeType(embedding.type)}` : `missing column 'embedding'`} ` +
        `(expected FixedSizeList<float32>[D] text embeddings; columns are: ${have})`,
    );
  }
  const words: string[] = [];
  const parts: Float32Array[] = [];
  let dim = -1;
  for await (const batch of input.batches()) {
    const first = words.length;
    for (const w of stringValues(batch.getChild('concept')!)) {
      if (w === null) throw new CliError(`${input.name}: row ${words.length + 1}: column 'concept' is null (expected a word on every row)`);
      words.push(w);
    }
    const vector = batch.getChild('embedding')!;
    for (let r = 0; r < vector.length; r++) {
      if (!vector.isValid(r)) throw new CliError(`${input.name}: concept '${words[first + r]}' has a null embedding (expected D numbers)`);
    }
    // The embeddings kind's FixedSizeList through its codec; a List<float> (pyarrow's) row by row.
    const rows = DataType.isFixedSizeList(vector.type) ? fromCodec(embeddingsCodec.decode(batch)) : embeddingRows(vector, input.name, words, first);
    if (dim >= 0 && rows.dim !== dim) throw new CliError(`${input.name}: concept '${words[first]}' has ${rows.dim} values (expected ${dim})`);
    dim = rows.dim;
    parts.push(rows.values);
  }
  if (words.length === 0) throw new CliError(`${input.name}: no concepts (expected one row per concept word)`);
  const values = new Float32Array(words.length * dim);
  let at = 0;
  for (const p of parts) {
    values.set(p, at);
    at += p.length;
  }
  checkFinite(values, dim, input.name, 'embedding', words);
  for (let r = 0; r < words.length; r++) {
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += values[r * dim + j]! ** 2;
    if (ss === 0) throw new CliError(`${input.name}: concept '${words[r]}' has an all-zero embedding (expected a CLIP text embedding)`);
  }
  return { name: input.name, words, dim, values };
}

/**
 * The concepts a list file selects (one word per line, blank lines dropped, repeats once),
 * in the list's order; every row of the table with a listed word is kept.
 */
export function selectConcepts(table: ConceptsInput, listFile: string, warn: (message: string) => void): ConceptsInput {
  let text: string;
  try {
    text = readFileSync(listFile, 'utf8');
  } catch (error) {
    throw new CliError(`${listFile}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const listed = [...new Set(lines)];
  if (listed.length < lines.length) warn(`${listFile}: ${lines.length - listed.length} repeated word(s) taken once`);
  if (listed.length === 0) throw new CliError(`${listFile}: no words (expected one concept word per line)`);
  const rowsOf = new Map<string, number[]>();
  table.words.forEach((w, r) => {
    const rows = rowsOf.get(w);
    if (rows) rows.push(r);
    else rowsOf.set(w, [r]);
  });
  const rows: number[] = [];
  for (const word of listed) {
    const found = rowsOf.get(word);
    if (!found) throw new CliError(`${listFile}: word '${word}' is not in ${table.name} (expected words of its 'concept' column)`);
    rows.push(...found);
  }
  const values = new Float32Array(rows.length * table.dim);
  rows.forEach((r, i) => values.set(table.values.subarray(r * table.dim, (r + 1) * table.dim), i * table.dim));
  return { name: table.name, words: rows.map((r) => table.words[r]!), dim: table.dim, values };
}

/** The first repeated word and how many words repeat, if any. */
export function repeatedWords(words: string[]): { first: string; count: number } | undefined {
  const seen = new Set<string>();
  let first: string | undefined;
  let count = 0;
  for (const w of words) {
    if (seen.has(w)) {
      first ??= w;
      count++;
    } else seen.add(w);
  }
  return first === undefined ? undefined : { first, count };
}

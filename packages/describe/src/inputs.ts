import { existsSync, readFileSync } from 'node:fs';
import {
  CliError,
  describeType,
  expectKind,
  fixedSizeListValues,
  kindOf,
  matchesType,
  openArrow,
  stringValues,
  type ArrowInput,
} from '@cnnpipe/core';
import { DataType, type FixedSizeList, type RecordBatch, type Schema, type Vector } from 'apache-arrow';

/** Reading and joining describe's three inputs: activations, image embeddings, concepts. */

export interface ActivationsInput {
  name: string;
  schema: Schema;
  images: string[];
  layers: { name: string; neurons: number; values: Float32Array }[];
}

export interface ImageEmbeddingsInput {
  name: string;
  column: string;
  images: string[];
  dim: number;
  values: Float32Array;
}

export interface ConceptsInput {
  name: string;
  words: string[];
  dim: number;
  values: Float32Array;
}

/** `FILE[:COLUMN]`: the column after the last colon, unless the whole thing is a file. */
export function splitSpec(spec: string): { file: string; column?: string } {
  const at = spec.lastIndexOf(':');
  if (at <= 0 || existsSync(spec)) return { file: spec };
  return { file: spec.slice(0, at), column: spec.slice(at + 1) || undefined };
}

const isFloatList = (type: DataType) => matchesType(type, 'FixedSizeList<float32>') || matchesType(type, 'FixedSizeList<float64>');

/** The layer columns of an activations table: FixedSizeList<float> columns without ':', `logits` only when asked. */
export function layerColumns(schema: Schema): string[] {
  return schema.fields.filter((f) => !f.name.includes(':') && f.name !== 'logits' && isFloatList(f.type)).map((f) => f.name);
}

async function allBatches(input: ArrowInput): Promise<RecordBatch[]> {
  const out: RecordBatch[] = [];
  for await (const batch of input.batches()) out.push(batch);
  return out;
}

function imageNames(batches: RecordBatch[], source: string): string[] {
  const images: string[] = [];
  for (const batch of batches) {
    for (const v of stringValues(batch.getChild('image')!)) {
      if (v === null) throw new CliError(`${source}: row ${images.length + 1}: column 'image' is null (expected an image name on every row)`);
      images.push(v);
    }
  }
  return images;
}

/** The rows of a FixedSizeList<float> column over all batches, as one float32 buffer. */
function listColumn(batches: RecordBatch[], column: string, size: number, source: string, images?: string[]): Float32Array {
  const rows = batches.reduce((s, b) => s + b.numRows, 0);
  const out = new Float32Array(rows * size);
  let at = 0;
  for (const batch of batches) {
    const vector = batch.getChild(column)!;
    if (vector.nullCount > 0) {
      for (let r = 0; r < vector.length; r++) {
        if (!vector.isValid(r)) throw new CliError(`${source}: row ${at / size + r + 1}: column '${column}' is null (expected a value on every row)`);
      }
    }
    const { values } = fixedSizeListValues(vector);
    out.set(values.subarray(0, batch.numRows * size), at);
    at += batch.numRows * size;
  }
  checkFinite(out, size, source, column, images);
  return out;
}

function checkFinite(values: Float32Array, size: number, source: string, column: string, names?: string[]): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      const row = Math.floor(i / size);
      const what = names ? `'${names[row]}'` : `row ${row + 1}`;
      throw new CliError(`${source}: column '${column}' has ${values[i]} at ${what}, element ${i % size} (expected finite numbers)`);
    }
  }
}

/** Reads an activations table: its images and the asked-for (default: every) layer column. */
export async function readActivations(file: string | undefined, asked: string[] | undefined): Promise<ActivationsInput> {
  const input = await openArrow(file);
  expectKind(input.schema, 'activations', input.name);
  const available = layerColumns(input.schema);
  const names = asked && asked.length > 0 ? asked : available;
  for (const name of names) {
    const field = input.schema.fields.find((f) => f.name === name);
    if (!field || !isFloatList(field.type)) {
      throw new CliError(`${input.name}: no layer column '${name}' (expected FixedSizeList<float32>; layer columns are: ${available.join(', ') || 'none'})`);
    }
  }
  if (names.length === 0) throw new CliError(`${input.name}: no layer columns (expected FixedSizeList<float32> columns as extract writes them)`);
  const batches = await allBatches(input);
  const images = imageNames(batches, input.name);
  const layers = names.map((name) => {
    const neurons = (input.schema.fields.find((f) => f.name === name)!.type as FixedSizeList).listSize;
    return { name, neurons, values: listColumn(batches, name, neurons, input.name, images) };
  });
  return { name: input.name, schema: input.schema, images, layers };
}

/** Reads image embeddings: `FILE[:COLUMN]`, the column defaulting to `logits`, else the only vector column. */
export async function readImageEmbeddings(spec: string): Promise<ImageEmbeddingsInput> {
  const { file, column: asked } = splitSpec(spec);
  const input = await openArrow(file);
  const kind = kindOf(input.schema);
  if (kind !== undefined) expectKind(input.schema, 'activations', input.name);
  const imageField = input.schema.fields.find((f) => f.name === 'image');
  if (!imageField || !matchesType(imageField.type, 'utf8')) {
    throw new CliError(`${input.name}: missing column 'image' (expected utf8 image names, as extract writes them)`);
  }
  const vectors = input.schema.fields.filter((f) => !f.name.includes(':') && isFloatList(f.type)).map((f) => f.name);
  let column = asked;
  if (column === undefined) {
    column = vectors.includes('logits') ? 'logits' : vectors.length === 1 ? vectors[0] : undefined;
    if (column === undefined) {
      throw new CliError(
        `${input.name}: ${vectors.length === 0 ? 'no embedding column' : `several vector columns (${vectors.join(', ')})`} ` +
          `(expected a 'logits' column from 'extract --logits', or name it as ${file}:COLUMN)`,
      );
    }
  }
  const field = input.schema.fields.find((f) => f.name === column);
  if (!field) throw new CliError(`${input.name}: no column '${column}' (vector columns are: ${vectors.join(', ') || 'none'})`);
  if (!isFloatList(field.type)) throw new CliError(`${input.name}: column '${column}' has type ${describeType(field.type)} (expected FixedSizeList<float32>)`);
  const dim = (field.type as FixedSizeList).listSize;
  const batches = await allBatches(input);
  const images = imageNames(batches, input.name);
  const values = listColumn(batches, column, dim, input.name, images);
  for (let r = 0; r < images.length; r++) {
    if (values.subarray(r * dim, (r + 1) * dim).every((v) => v === 0)) {
      throw new CliError(`${input.name}: image '${images[r]}' has an all-zero embedding in column '${column}' (expected a CLIP image embedding)`);
    }
  }
  return { name: input.name, column, images, dim, values };
}

/** Rows of a List<float> or FixedSizeList<float> column as one row-major buffer of `dim` per row. */
function embeddingRows(vector: Vector, source: string, words: string[], first: number): { values: Float32Array; dim: number } {
  const type = vector.type as DataType;
  if (DataType.isFixedSizeList(type)) {
    const { values, size } = fixedSizeListValues(vector);
    return { values: Float32Array.from(values.subarray(0, vector.length * size)), dim: size };
  }
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
    const rows = embeddingRows(vector, input.name, words, first);
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

function indexImages(images: string[], source: string): Map<string, number> {
  const index = new Map<string, number>();
  images.forEach((image, r) => {
    const before = index.get(image);
    if (before !== undefined) throw new CliError(`${source}: image '${image}' is on rows ${before + 1} and ${r + 1} (expected one row per image)`);
    index.set(image, r);
  });
  return index;
}

/**
 * The image embeddings in the activations' image order (n x dim). Both tables must hold the
 * same images; the error names the first image found in one and not the other.
 */
export function joinByImage(activations: ActivationsInput, embeddings: ImageEmbeddingsInput): Float32Array {
  const inA = indexImages(activations.images, activations.name);
  const inE = indexImages(embeddings.images, embeddings.name);
  for (const image of activations.images) {
    if (!inE.has(image)) {
      throw new CliError(`image '${image}' is in ${activations.name} but not in ${embeddings.name} (expected the same images in both; embed every probe image with CLIP)`);
    }
  }
  for (const image of embeddings.images) {
    if (!inA.has(image)) {
      throw new CliError(`image '${image}' is in ${embeddings.name} but not in ${activations.name} (expected the same images in both)`);
    }
  }
  const dim = embeddings.dim;
  const out = new Float32Array(activations.images.length * dim);
  activations.images.forEach((image, r) => {
    const e = inE.get(image)!;
    out.set(embeddings.values.subarray(e * dim, (e + 1) * dim), r * dim);
  });
  return out;
}

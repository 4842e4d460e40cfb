import { existsSync } from 'node:fs';
import { CliError, describeType, expectKind, fixedSizeListValues, kindOf, matchesType, openArrow, stringValues, type ArrowInput } from '@cnnpipe/core';
import type { FixedSizeList, RecordBatch, Schema } from 'apache-arrow';
import { checkFinite, isFloatList } from './checks.js';

/** Reading describe's image-side inputs (activations, CLIP image embeddings) and joining them by image. */

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

/** `FILE[:COLUMN]`: the column after the last colon, unless the whole thing is a file. */
export function splitSpec(spec: string): { file: string; column?: string } {
  const at = spec.lastIndexOf(':');
  if (at <= 0 || existsSync(spec)) return { file: spec };
  return { file: spec.slice(0, at), column: spec.slice(at + 1) || undefined };
}

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

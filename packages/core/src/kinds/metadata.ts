import type { Schema } from 'apache-arrow';
import { CliError } from '../cli/errors.js';
import type { Preprocess } from '../image/preprocess.js';

/** Schema metadata keys of the design; every tool passes these on from input to output. */
export const META = {
  kind: 'cnnpipe.kind',
  classes: 'cnnpipe.classes',
  layers: 'cnnpipe.layers',
  model: 'cnnpipe.model',
  preprocess: 'cnnpipe.preprocess',
} as const;

/** Receptive field of a tapped layer, in input pixels. */
export interface ReceptiveField {
  size: number;
  stride: number;
  offset: number;
}

/** One entry of `cnnpipe.layers`. */
export interface LayerInfo {
  name: string;
  tensor: string;
  shape: number[];
  rf?: ReceptiveField;
}

export type Metadata = Map<string, string>;

/**
 * The metadata an output should carry: everything the input had under `cnnpipe.*`
 * (and any other key, which is the user's), with `updates` applied on top.
 * A value of `null` in `updates` removes the key.
 */
export function passMetadata(
  inputs: Schema | Schema[] | undefined,
  updates: Record<string, string | null> = {},
): Metadata {
  const out: Metadata = new Map();
  const schemas = inputs === undefined ? [] : Array.isArray(inputs) ? inputs : [inputs];
  for (const schema of schemas) {
    for (const [key, value] of schema.metadata) if (!out.has(key)) out.set(key, value);
  }
  for (const [key, value] of Object.entries(updates)) {
    if (value === null) out.delete(key);
    else out.set(key, value);
  }
  return out;
}

function parseJsonMeta<T>(schema: Schema, key: string): T | undefined {
  const raw = schema.metadata.get(key);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

/** Class names from `cnnpipe.classes`, if present and well-formed. */
export function classesOf(schema: Schema): string[] | undefined {
  const value = parseJsonMeta<unknown>(schema, META.classes);
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

/** Layer descriptions from `cnnpipe.layers`, if present and well-formed. */
export function layersOf(schema: Schema): LayerInfo[] | undefined {
  const value = parseJsonMeta<unknown>(schema, META.layers);
  return Array.isArray(value) ? (value as LayerInfo[]) : undefined;
}

/** The table kind a schema declares, if any. */
export function kindOf(schema: Schema): string | undefined {
  return schema.metadata.get(META.kind);
}

/**
 * Parses and checks `cnnpipe.preprocess` (how extract made the network's input: shorter
 * side to `resize`, centre crop `size`, normalised by mean/std); `source` names the input.
 */
export function parsePreprocess(raw: string | undefined, source = 'input'): Preprocess {
  if (raw === undefined) {
    throw new CliError(`${source}: no cnnpipe.preprocess metadata (expected the JSON {resize,size,channels,mean,std} that extract writes)`);
  }
  let value: Partial<Preprocess>;
  try {
    value = JSON.parse(raw) as Partial<Preprocess>;
  } catch {
    throw new CliError(`${source}: cnnpipe.preprocess is not JSON (expected {resize,size,channels,mean,std})`);
  }
  const { resize, size, channels, mean, std } = value;
  const ok =
    typeof resize === 'number' && typeof size === 'number' && size > 0 && resize >= size &&
    (channels === 1 || channels === 3) &&
    Array.isArray(mean) && Array.isArray(std) && mean.length === channels && std.length === channels &&
    std.every((s) => typeof s === 'number' && s !== 0) && mean.every((m) => typeof m === 'number');
  if (!ok) throw new CliError(`${source}: cnnpipe.preprocess ${raw} is malformed (expected {resize,size,channels:1|3,mean[C],std[C]})`);
  // The resampler travels too, so tools that reload images see the model's pixels.
  const kernel = value.resizeKernel === 'libvips' ? { resizeKernel: value.resizeKernel } : {};
  return { resize: resize!, size: size!, channels: channels!, mean: mean!, std: std!, ...kernel };
}

/** Top-left input pixel (row, col) of the receptive field of feature cell `argmax` (flat h*W+w). */
export function patchOrigin(argmax: number, layerWidth: number, rf: ReceptiveField): { top: number; left: number } {
  const h = Math.floor(argmax / layerWidth);
  const w = argmax % layerWidth;
  // Centre in input pixels is offset + cell*stride; the patch spans size pixels around it.
  const start = (cell: number) => Math.floor(rf.offset + cell * rf.stride - (rf.size - 1) / 2 + 0.5);
  return { top: start(h), left: start(w) };
}

import type { Schema } from 'apache-arrow';

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

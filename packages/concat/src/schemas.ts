import type { Schema } from 'apache-arrow';
import { describeType, kindOf } from '@cnnpipe/core';

/**
 * Why two inputs cannot be one stream, or undefined when they can: same kind, same
 * column names in the same order, same types.
 */
export function schemaMismatch(first: Schema, other: Schema): string | undefined {
  const kindA = kindOf(first) ?? 'none';
  const kindB = kindOf(other) ?? 'none';
  if (kindA !== kindB) return `kind '${kindB}' (expected '${kindA}', as the first input)`;
  const namesA = first.fields.map((f) => f.name);
  const namesB = other.fields.map((f) => f.name);
  if (namesA.join('\u0000') !== namesB.join('\u0000')) {
    return `columns ${namesB.join(',')} (expected ${namesA.join(',')}, as the first input)`;
  }
  for (let i = 0; i < first.fields.length; i++) {
    const a = describeType(first.fields[i]!.type);
    const b = describeType(other.fields[i]!.type);
    if (a !== b) return `column '${namesA[i]}' of type ${b} (expected ${a}, as the first input)`;
  }
  return undefined;
}

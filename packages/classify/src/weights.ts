import { basename } from 'node:path';
import { CliError, META, NonFiniteGuard, expectKind, fixedSizeListValues, openArrow, primitiveValues, readAllBatches, type Linear } from '@cnnpipe/core';
import type { FixedSizeList } from 'apache-arrow';

/** A model's or table's short name: its file name without .onnx/.arrows/.arrow. */
export function shortName(name: string): string {
  return basename(name).replace(/\.(onnx|arrows|arrow)$/, '');
}

/**
 * A linear classifier from an affine-map-like table: K rows of D weights and a bias.
 * (Read by hand until core has an affine-map codec; lstsq owns that kind.)
 */
export async function readWeights(file: string): Promise<{ linear: Linear; name: string }> {
  const input = await openArrow(file);
  expectKind(input.schema, 'affine-map', input.name);
  const batches = await readAllBatches(input);
  // A classifier's weights are not rows to drop: NaN/Inf there always stops.
  const guard = NonFiniteGuard.strict(input.name);
  for (const batch of batches) guard.next(batch, ['weights', 'bias']);
  guard.finish();
  const d = (input.schema.fields.find((f) => f.name === 'weights')!.type as FixedSizeList).listSize;
  const k = batches.reduce((s, b) => s + b.numRows, 0);
  const weights = new Float64Array(k * d);
  const bias = new Float64Array(k);
  for (const batch of batches) {
    const w = fixedSizeListValues(batch.getChild('weights')!).values;
    const b = primitiveValues(batch.getChild('bias')!);
    const dims = primitiveValues(batch.getChild('dim')!);
    for (let i = 0; i < batch.numRows; i++) {
      const row = dims[i]!;
      if (row < 0 || row >= k) throw new CliError(`${input.name}: dim ${row} out of range (expected 0..${k - 1})`);
      weights.set(w.subarray(i * d, (i + 1) * d), row * d);
      bias[row] = b[i]!;
    }
  }
  const meta = input.schema.metadata;
  const name = meta.get('cnnpipe.target') ?? (meta.get(META.model) ? shortName(meta.get(META.model)!) : shortName(file));
  return { linear: { k, d, weights, bias }, name };
}

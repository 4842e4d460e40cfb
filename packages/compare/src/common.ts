import { ArrowWriter, type ArrowInput, type CommonArgs, type NonFiniteGuard, type ToolContext } from '@cnnpipe/core';
import type { RecordBatch } from 'apache-arrow';
import type { CkaLayout } from './cka.js';

/** compare's options. */
export interface CompareArgs extends CommonArgs {
  layerA?: string[];
  layerB?: string[];
  method: string;
  debiased: boolean;
  correlation: string;
  maxImages: number;
  partial: boolean;
}

export const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MB`;

/** Writes one batch of a kind that has no codec here (lstsq's gram). */
export async function writeBatch(batch: RecordBatch, output: string | undefined): Promise<void> {
  const writer = ArrowWriter.open(output, batch.schema);
  await writer.write(batch);
  await writer.close();
}

/** Warns once about the layer pairs without a value. */
export function warnNaN(values: Float64Array, layout: CkaLayout, ctx: ToolContext, why: string): void {
  const q = layout.b.layers.length;
  const bad = values.findIndex(Number.isNaN);
  if (bad < 0) return;
  const count = values.filter(Number.isNaN).length;
  const a = layout.a.layers[Math.floor(bad / q)]!.name;
  const b = layout.b.layers[bad % q]!.name;
  ctx.warn(`${count} layer pair(s) have no value (NaN), first ${a} against ${b}: ${why}`);
}

export const guards = (a: ArrowInput, b: ArrowInput, ctx: ToolContext): [NonFiniteGuard, NonFiniteGuard] => [
  ctx.nonFinite(a.name, 'images'),
  ctx.nonFinite(b.name, 'images'),
];


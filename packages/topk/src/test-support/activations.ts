import { fixedSizeListData, int32Data, makeBatch, META, mulberry32, utf8Data } from '@cnnpipe/core';
import { Table, tableToIPC } from 'apache-arrow';

export interface ActivationLayer {
  name: string;
  /** rows x channels, row-major. */
  values: Float32Array;
  channels: number;
  argmax?: Int32Array;
}

/** An activations table as extract writes it, as IPC bytes (several batches of `batchRows`). */
export function activationsIPC(
  images: string[],
  labels: (number | null)[],
  classes: string[],
  layers: ActivationLayer[],
  batchRows = images.length,
  extra: Record<string, string> = {},
): Uint8Array {
  const metadata = new Map<string, string>([
    [META.kind, 'activations'],
    [META.classes, JSON.stringify(classes)],
    [META.layers, JSON.stringify(layers.map((l) => ({ name: l.name, tensor: l.name, shape: [l.channels, 1, 1] })))],
    ...Object.entries(extra),
  ]);
  const batches = [];
  for (let start = 0; start < images.length; start += batchRows) {
    const end = Math.min(images.length, start + batchRows);
    const lab = Int32Array.from(labels.slice(start, end), (l) => l ?? 0);
    const columns: Record<string, ReturnType<typeof utf8Data> | ReturnType<typeof int32Data> | ReturnType<typeof fixedSizeListData>> = {
      image: utf8Data(images.slice(start, end)),
      label: int32Data(lab, (i) => labels[start + i] === null),
      class: utf8Data(labels.slice(start, end).map((l) => (l === null ? null : classes[l]!))),
    };
    for (const l of layers) {
      columns[l.name] = fixedSizeListData(l.values.slice(start * l.channels, end * l.channels), l.channels);
      if (l.argmax) columns[`${l.name}:argmax`] = fixedSizeListData(l.argmax.slice(start * l.channels, end * l.channels), l.channels);
    }
    batches.push(makeBatch(columns, metadata));
  }
  return tableToIPC(new Table(batches), 'stream');
}

/** The seeded PRNG the fixtures use (core's mulberry32). */
export const rng = mulberry32;

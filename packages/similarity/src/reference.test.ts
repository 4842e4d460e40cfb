import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixedSizeListData, int32Data, makeBatch, META, mulberry32, utf8Data } from '@cnnpipe/core';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { Table, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

/**
 * topk | cof | sparsity | similarity on a synthetic activations table against an
 * independent numpy reference (test-support/reference.py), to 1e-9.
 */

const rows = 240;
const k = 20;
const classes = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal'];
const layerSpecs: [string, number][] = [
  ['conv', 12],
  ['fc', 8],
];

const random = mulberry32(42);
const labels = Int32Array.from({ length: rows }, () => Math.floor(random() * classes.length));
// Channels prefer one or two classes, values quantised so that ties happen.
const layerValues = layerSpecs.map(([, c]) =>
  Float32Array.from({ length: rows * c }, (_, i) => {
    const r = Math.floor(i / c);
    const n = i % c;
    const bias = labels[r] === n % classes.length || labels[r] === (n * 5) % classes.length ? 2 : 0;
    return Math.floor((random() * 4 + bias * random()) * 8) / 8;
  }),
);

function activationsIPC(): Uint8Array {
  const metadata = new Map([
    [META.kind, 'activations'],
    [META.classes, JSON.stringify(classes)],
    [META.layers, JSON.stringify(layerSpecs.map(([name, c]) => ({ name, tensor: name, shape: [c, 1, 1] })))],
  ]);
  const batches = [];
  for (let start = 0; start < rows; start += 100) {
    const end = Math.min(rows, start + 100);
    const columns: Record<string, ReturnType<typeof fixedSizeListData> | ReturnType<typeof utf8Data> | ReturnType<typeof int32Data>> = {
      image: utf8Data(Array.from({ length: end - start }, (_, i) => `img${start + i}.png`)),
      label: int32Data(labels.slice(start, end)),
      class: utf8Data(Array.from(labels.slice(start, end), (l) => classes[l]!)),
    };
    layerSpecs.forEach(([name, c], li) => {
      columns[name] = fixedSizeListData(layerValues[li]!.slice(start * c, end * c), c);
    });
    batches.push(makeBatch(columns, metadata));
  }
  return tableToIPC(new Table(batches), 'stream');
}

interface Reference {
  topk: [string, number, number[], number[]][];
  cof: [string, number, number[]][];
  stats: [number, number, number, number, string, number][];
  pearson: Record<string, number[][]>;
  euclidean: Record<string, number[][]>;
  summary: [string, number, number][];
}

function numpyReference(): Reference {
  const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-ref-'));
  try {
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ layers: layerSpecs, rows, classes: classes.length }));
    writeFileSync(join(dir, 'labels.i32'), labels);
    layerSpecs.forEach(([name], li) => writeFileSync(join(dir, `${name}.f32`), layerValues[li]!));
    const script = fileURLToPath(new URL('./test-support/reference.py', import.meta.url));
    const py = spawnSync('/usr/bin/python3', [script, dir, String(k)], { encoding: 'utf8' });
    if (py.status !== 0) throw new Error(`reference.py failed: ${py.stderr}`);
    return JSON.parse(py.stdout) as Reference;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const close = (got: number, want: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9);

describe('topk | cof | sparsity | similarity against numpy', () => {
  it('agrees with the numpy reference to 1e-9', async () => {
    const ref = numpyReference();
    const topk = await runBin('topk', ['-k', String(k)], activationsIPC());
    expect(topk.code).toBe(0);
    const topkRows = fromIPC(topk.stdout).toArray();
    let at = 0;
    for (const [layer, neuron, order, values] of ref.topk) {
      order.forEach((image, i) => {
        const row = topkRows[at++];
        expect([row.layer, row.neuron, row.rank, row.image]).toEqual([layer, neuron, i + 1, `img${image}.png`]);
        expect(row.value).toBe(values[i]);
      });
    }
    expect(at).toBe(topkRows.length);

    const cof = await runBin('cof', [], topk.stdout);
    expect(cof.code).toBe(0);
    const cofRows = fromIPC(cof.stdout).toArray();
    expect(cofRows.map((r) => [r.layer, r.neuron, [...r.counts]])).toEqual(ref.cof);

    const sparsity = await runBin('sparsity', [], cof.stdout);
    expect(sparsity.stderr).toBe('');
    const stats = fromIPC(sparsity.stdout).toArray();
    expect(stats.length).toBe(ref.stats.length);
    stats.forEach((row, i) => {
      const [g, f, mf, mfNorm, facet, p] = ref.stats[i]!;
      close(row.gini, g);
      close(row.flatness, f);
      close(row.mf, mf);
      close(row.mf_norm, mfNorm);
      close(row.p_value, p);
      expect(row.facet).toBe(facet);
    });

    const similarity = await runBin('similarity', [], cof.stdout);
    expect(similarity.code).toBe(0);
    for (const row of fromIPC(similarity.stdout).toArray()) {
      const pearson = ref.pearson[row.layer]![row.neuron]!;
      const euclidean = ref.euclidean[row.layer]![row.neuron]!;
      [...row.values].forEach((v: number, j: number) => close(v, pearson[j]!));
      [...row.euclidean].forEach((v: number, j: number) => close(v, euclidean[j]!));
    }
    const summary = await runBin('similarity', ['--summary'], cof.stdout);
    const summaryRows = fromIPC(summary.stdout).toArray();
    expect(summaryRows.map((r) => r.layer)).toEqual(ref.summary.map((s) => s[0]));
    summaryRows.forEach((r, i) => {
      close(r.mean_pearson, ref.summary[i]![1]);
      close(r.mean_euclidean, ref.summary[i]![2]);
    });
  });
});

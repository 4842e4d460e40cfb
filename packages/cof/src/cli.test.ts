import { float32Data, int32Data, makeBatch, META, utf8Data } from '@cnnpipe/core';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { Table, tableToIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

const classes = ['cat', 'dog', 'car'];

function topkIPC(meta: Record<string, string> = { [META.classes]: JSON.stringify(classes) }, labels = [0, 1, 1, null, 2, 2]) {
  const batch = makeBatch(
    {
      layer: utf8Data(['conv', 'conv', 'conv', 'conv', 'fc', 'fc']),
      neuron: int32Data(Int32Array.of(0, 0, 1, 1, 0, 0)),
      rank: int32Data(Int32Array.of(1, 2, 1, 2, 1, 2)),
      image: utf8Data(['a', 'b', 'b', 'c', 'd', 'e']),
      label: int32Data(Int32Array.from(labels, (l) => l ?? 0), (i) => labels[i] === null),
      class: utf8Data(labels.map((l, i) => (l === null ? (i === 3 ? 'dog' : null) : classes[l]!))),
      value: float32Data(Float32Array.of(4, 3, 2, 1, 9, 8)),
    },
    new Map([[META.kind, 'topk'], [META.model, 'm.onnx'], ...Object.entries(meta)]),
  );
  return tableToIPC(new Table([batch]), 'stream');
}

describe('cof', () => {
  it('counts each neuron top-k images per class, resolving a null label by class name', async () => {
    const result = await runBin('cof', [], topkIPC());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(table.schema.metadata.get(META.kind)).toBe('cof');
    expect(table.schema.metadata.get(META.model)).toBe('m.onnx');
    expect(table.toArray().map((r) => [r.layer, r.neuron, [...r.counts], r.total])).toEqual([
      ['conv', 0, [1, 1, 0], 2],
      ['conv', 1, [0, 2, 0], 2],
      ['fc', 0, [0, 0, 2], 2],
    ]);
  });

  it('--concepts writes the dominant class and its share', async () => {
    const result = await runBin('cof', ['--concepts'], topkIPC());
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(table.schema.metadata.get(META.kind)).toBe('concepts');
    expect(table.toArray().map((r) => [r.layer, r.unit, r.concept, r.score])).toEqual([
      ['conv', 0, 'cat', 0.5],
      ['conv', 1, 'dog', 1],
      ['fc', 0, 'car', 1],
    ]);
  });

  it('warns once about rows with no known class', async () => {
    const result = await runBin('cof', [], topkIPC(undefined, [0, 1, 1, 1, null, 2]));
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("cof: warning: 1 top-k rows have no known class (counted in 'total' only)\n");
  });

  it('needs the class names and in-range labels', async () => {
    const none = await runBin('cof', [], topkIPC({}));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no class names \(expected a JSON list of class names in cnnpipe.classes/);
    const out = await runBin('cof', [], topkIPC(undefined, [0, 1, 1, 7, 2, 2]));
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/label 7 is out of range \(expected 0..2/);
  });

  it('refuses the wrong kind, naming expected and got; --help has an example', async () => {
    const concepts = await runBin('csv', ['--to-arrow', '--kind', 'concepts'], 'layer,unit,concept,score\nfc,9,dog,0.5\n');
    const result = await runBin('cof', [], concepts.stdout);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("cof: error: stdin: wrong table kind (expected 'topk', got 'concepts')\n");
    const help = await runBin('cof', ['--help']);
    expect(help.stdout.toString()).toMatch(/topk -k 100 \| cof/);
  });
});

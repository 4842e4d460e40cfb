import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { float64Data, int32Data, makeBatch, META, utf8Data } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import { Table, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-venn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);

// CLIP-Dissect descriptions.csv style inputs, read by `csv --to-arrow --kind concepts`.
const IMAGENET_CSV = [
  'layer,unit,description,similarity',
  'layer2,0,dotted,0.1',
  'layer2,1,dotted,0.2',
  'layer2,2,striped,0.3',
  'layer3,0,dog,0.4',
  'layer3,1,Stripes,0.6',
].join('\n');
const PLACES_CSV = [
  'layer,unit,description,similarity',
  'layer3,0,dog,0.5',
  'layer3,1,sky,0.7',
  'layer4,0,striped,0.2',
  'layer4,1,car,0.4',
].join('\n');

function rowsOf(bytes: Uint8Array): Record<string, unknown>[] {
  return fromIPC(bytes).toArray().map((r) => r.toJSON() as Record<string, unknown>);
}

/** A concepts table written as an Arrow file, with nullable scores and concepts. */
function writeConcepts(name: string, rows: [string, number, string | null, number | null][], kind = 'concepts'): string {
  const metadata = new Map([[META.kind, kind], [META.model, 'resnet18.onnx']]);
  const batch = makeBatch(
    {
      layer: utf8Data(rows.map((r) => r[0])),
      unit: int32Data(Int32Array.from(rows, (r) => r[1])),
      concept: utf8Data(rows.map((r) => r[2])),
      score: float64Data(Float64Array.from(rows, (r) => r[3] ?? 0), (i) => rows[i]![3] === null),
    },
    metadata,
  );
  writeFileSync(path(name), tableToIPC(new Table([batch]), 'stream'));
  return path(name);
}

beforeAll(async () => {
  for (const [name, text] of [
    ['imagenet', IMAGENET_CSV],
    ['places', PLACES_CSV],
  ]) {
    writeFileSync(path(`${name}.csv`), `${text}\n`);
    const result = await runBin('csv', ['--to-arrow', '--kind', 'concepts', path(`${name}.csv`), '-o', path(`${name}.arrows`)]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }
});

const venn = (args: string[], stdin?: Uint8Array | string) => runBin('venn', args, stdin);

describe('venn reports', () => {
  it('summary by default, as the issue pipes it into show', async () => {
    const result = await venn([path('imagenet.arrows'), path('places.arrows'), '--names', 'imagenet,places']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(table.schema.metadata.get(META.kind)).toBe('venn');
    expect(table.schema.metadata.get('cnnpipe.report')).toBe('summary');
    expect(JSON.parse(table.schema.metadata.get('cnnpipe.venn.names')!)).toEqual(['imagenet', 'places']);
    const rows = rowsOf(result.stdout);
    // A {dotted, striped, dog, Stripes}, B {dog, sky, striped, car}: shared dog, striped; union 6
    expect(rows[0]).toEqual({ model: 'imagenet', layer: null, neurons: 5, concepts: 4, only: 2, shared: 2, union: 6, jaccard: 2 / 6 });
    expect(rows.map((r) => [r.model, r.layer, r.concepts, r.jaccard])).toEqual([
      ['imagenet', null, 4, 2 / 6],
      ['imagenet', 'layer2', 2, null],
      ['imagenet', 'layer3', 2, 1 / 3],
      ['places', null, 4, 2 / 6],
      ['places', 'layer3', 2, 1 / 3],
      ['places', 'layer4', 2, null],
    ]);
    const shown = await runBin('show', [], result.stdout);
    expect(shown.code).toBe(0);
    expect(shown.stdout.toString()).toMatch(/imagenet/);
    expect(shown.stdout.toString()).toMatch(/jaccard/);
  });

  it('per-layer keeps a layer present in one model only, with nulls', async () => {
    const result = await venn([path('imagenet.arrows'), path('places.arrows'), '--report', 'per-layer']);
    expect(result.code).toBe(0);
    expect(fromIPC(result.stdout).schema.metadata.get('cnnpipe.report')).toBe('per-layer');
    expect(rowsOf(result.stdout)).toEqual([
      { layer: 'layer2', a_neurons: 3, b_neurons: null, a_concepts: 2, b_concepts: null, shared: null, only_a: null, only_b: null, union: null, jaccard: null },
      { layer: 'layer3', a_neurons: 2, b_neurons: 2, a_concepts: 2, b_concepts: 2, shared: 1, only_a: 1, only_b: 1, union: 3, jaccard: 1 / 3 },
      { layer: 'layer4', a_neurons: null, b_neurons: 2, a_concepts: null, b_concepts: 2, shared: null, only_a: null, only_b: null, union: null, jaccard: null },
    ]);
  });

  it('concepts: one row per concept; default names from the file names', async () => {
    const result = await venn([path('imagenet.arrows'), path('places.arrows'), '--report', 'concepts']);
    expect(result.code).toBe(0);
    expect(JSON.parse(fromIPC(result.stdout).schema.metadata.get('cnnpipe.venn.names')!)).toEqual(['imagenet', 'places']);
    expect(rowsOf(result.stdout).map((r) => [r.concept, r.in, r.a_neurons, r.b_neurons, r.a_layers, r.b_layers])).toEqual([
      ['Stripes', 'a', 1, 0, 'layer3', ''],
      ['car', 'b', 0, 1, '', 'layer4'],
      ['dog', 'both', 1, 1, 'layer3', 'layer3'],
      ['dotted', 'a', 2, 0, 'layer2', ''],
      ['sky', 'b', 0, 1, '', 'layer3'],
      ['striped', 'both', 1, 1, 'layer2', 'layer4'],
    ]);
  });

  it('top -N per model, ties alphabetical', async () => {
    const result = await venn([path('imagenet.arrows'), path('places.arrows'), '--report', 'top', '--top', '2', '--names', 'in,pl']);
    expect(result.code).toBe(0);
    expect(rowsOf(result.stdout).map((r) => [r.model, r.rank, r.concept, r.neurons])).toEqual([
      ['in', 1, 'dotted', 2],
      ['in', 2, 'Stripes', 1], // 'S' sorts before lowercase (code points)
      ['pl', 1, 'car', 1],
      ['pl', 2, 'dog', 1],
    ]);
  });

  it('scores per model and layer; a missing score is excluded and warned about', async () => {
    const a = writeConcepts('a-null.arrows', [
      ['layer2', 0, 'dotted', 0.1],
      ['layer2', 1, 'dotted', null],
      ['layer2', 2, 'striped', 0.3],
      ['layer2', 3, 'striped', 0.4],
    ]);
    const result = await venn([a, path('places.arrows'), '--report', 'scores']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/venn: warning: .*a-null\.arrows: 1 neuron\(s\) without a score/);
    // A hand-built table, as `cof --concepts` writes one, with the model it came from.
    expect(JSON.parse(fromIPC(result.stdout).schema.metadata.get('cnnpipe.venn.models')!)).toEqual(['resnet18.onnx', null]);
    const rows = rowsOf(result.stdout);
    expect(rows.map((r) => [r.model, r.layer, r.count])).toEqual([
      ['a-null', 'layer2', 3],
      ['places', 'layer3', 2],
      ['places', 'layer4', 2],
    ]);
    expect(rows[0]!.min).toBe(0.1);
    expect(rows[0]!.median).toBe(0.3);
    expect(rows[0]!.q1 as number).toBeCloseTo(0.2, 12);
    expect(rows[0]!.q3 as number).toBeCloseTo(0.35, 12);
    expect(rows[0]!.mean as number).toBeCloseTo(0.8 / 3, 12);
  });

  it('--normalize merges spellings and says how many, on stderr and in metadata', async () => {
    const result = await venn([path('imagenet.arrows'), path('places.arrows'), '--normalize', '--report', 'concepts']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/venn: --normalize merged 0 spelling/);
    // 'Stripes' -> 'stripes' has no singular 'stripe' in use: it stays; 'striped' is another word.
    const withStripe = writeConcepts('stripe.arrows', [['layer3', 0, 'stripe ', 0.3]]);
    const merged = await venn([path('imagenet.arrows'), withStripe, '--normalize']);
    expect(merged.code).toBe(0);
    expect(merged.stderr).toMatch(/merged 1 spelling\(s\) \(e\.g\. 'Stripes', 'stripe ' -> 'stripe'\)/);
    const table = fromIPC(merged.stdout);
    expect(table.schema.metadata.get('cnnpipe.venn.merged')).toBe('1');
    expect(rowsOf(merged.stdout)[0]).toMatchObject({ model: 'imagenet', concepts: 4, shared: 1, union: 4, jaccard: 0.25 });
  });

  it('--layers selects and orders layers; one in neither model is an error', async () => {
    const result = await venn([path('imagenet.arrows'), path('places.arrows'), '--report', 'per-layer', '--layers', 'layer4,layer3']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/warning: layer 'layer4' is not in imagenet/);
    expect(rowsOf(result.stdout).map((r) => r.layer)).toEqual(['layer4', 'layer3']);
    const summary = rowsOf((await venn([path('imagenet.arrows'), path('places.arrows'), '--layers', 'layer3'])).stdout);
    expect(summary[0]).toMatchObject({ neurons: 2, concepts: 2, shared: 1, union: 3 });
    const bad = await venn([path('imagenet.arrows'), path('places.arrows'), '--layers', 'layer9']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no layer 'layer9' in either input \(expected one of: layer2, layer3, layer4\)/);
  });

  it('--layer is repeatable like every tool\'s, and --layers a,b stays its alias', async () => {
    const args = [path('imagenet.arrows'), path('places.arrows'), '--report', 'per-layer'];
    const repeated = await venn([...args, '--layer', 'layer4', '--layer', 'layer3']);
    const listed = await venn([...args, '--layers', 'layer4,layer3']);
    expect(repeated.code).toBe(0);
    expect(rowsOf(repeated.stdout).map((r) => r.layer)).toEqual(['layer4', 'layer3']);
    expect(rowsOf(repeated.stdout)).toEqual(rowsOf(listed.stdout));
  });

  it('one input from stdin; -o writes a file', async () => {
    const out = path('out.arrows');
    const result = await venn(['-', path('places.arrows'), '-o', out], readFileSync(path('imagenet.arrows')));
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(0);
    expect(rowsOf(readFileSync(out))[0]).toMatchObject({ model: 'a', concepts: 4 });
  });

  it('empty tables give a summary with a null Jaccard', async () => {
    const empty = writeConcepts('empty.arrows', []);
    const result = await venn([empty, path('places.arrows'), '--report', 'per-layer']);
    expect(result.code).toBe(0);
    expect(rowsOf(result.stdout).map((r) => [r.layer, r.a_neurons, r.b_neurons])).toEqual([
      ['layer3', null, 2],
      ['layer4', null, 2],
    ]);
    const both = await venn([empty, empty, '--names', 'x,y']);
    expect(rowsOf(both.stdout)[0]).toEqual({ model: 'x', layer: null, neurons: 0, concepts: 0, only: 0, shared: 0, union: 0, jaccard: null });
  });
});

describe('venn bad input', () => {
  it('wrong kind: exit 1 naming expected and got', async () => {
    const wrong = writeConcepts('wrong.arrows', [['layer2', 0, 'x', 0.1]], 'topk');
    const result = await venn([wrong, path('places.arrows')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^venn: error: .*wrong\.arrows: wrong table kind \(expected 'concepts', got 'topk'\)/);
    expect(result.stdout.length).toBe(0);
  });

  it('a missing file: exit 1 naming it', async () => {
    const result = await venn([path('imagenet.arrows'), path('nope.arrows')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/venn: error: .*nope\.arrows: cannot read: no such file/);
  });

  it('a duplicate (layer, unit): exit 1 naming it', async () => {
    const dup = writeConcepts('dup.arrows', [
      ['layer2', 5, 'x', 0.1],
      ['layer2', 5, 'y', 0.1],
    ]);
    const result = await venn([dup, path('places.arrows')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/dup\.arrows: duplicate row for layer 'layer2', unit 5/);
  });

  it('usage errors exit 2', async () => {
    for (const args of [[path('imagenet.arrows')], [path('imagenet.arrows'), path('places.arrows'), '--names', 'a'], ['-', '-'], [path('imagenet.arrows'), path('places.arrows'), '--report', 'nope']]) {
      const result = await venn(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^venn: error: /);
    }
  });

  it('--help shows usage with a runnable example, and the example runs', async () => {
    const result = await venn(['--help']);
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    expect(text).toMatch(/Usage: venn \[options\] A B/);
    expect(text).toMatch(/--report/);
    expect(text).toMatch(/--normalize/);
    // The first three examples, as a user would paste them (continuation lines joined).
    const block = text.slice(text.indexOf('Examples:\n') + 10).split('\n');
    const commands: string[] = [];
    for (const line of block) {
      if (/^ {2}\S/.test(line)) commands.push(line.slice(2));
      else if (/^ {4}\S/.test(line) && commands.at(-1)?.endsWith('\\')) commands[commands.length - 1] += `\n${line}`;
    }
    const script = commands.slice(0, 3).join('\n');
    expect(script).toMatch(/venn a\.arrows b\.arrows --names imagenet,places --normalize \| show$/);
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['csv', 'venn', 'show']) {
      const target = join(repoRoot, 'packages', tool, 'bin', `${tool}.js`);
      writeFileSync(join(bin, tool), `#!/bin/sh\nexec "${process.execPath}" "${target}" "$@"\n`, { mode: 0o755 });
    }
    const work = mkdtempSync(join(dir, 'example-'));
    const out = execFileSync('/bin/bash', ['-euo', 'pipefail', '-c', script], {
      cwd: work,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
    expect(out).toMatch(/imagenet\s+∅\s+2\s+2\s+1\s+1\s+3\s+0\.33/);
    expect(out).toMatch(/places/);
  });
});

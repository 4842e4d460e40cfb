import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ElemType, encodeModel, fixedSizeListValues, valueInfo, type onnx } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import type { Table } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { planExtraction } from './extract.js';
import { loadModel } from './onnx-model.js';
import { moduleStack, torchScopes } from './torch-scopes.js';

/**
 * Models as users export them today. fixtures/new-exporter/<family>/ are the committed
 * TorchScript exports fixtures/<family>.onnx rewritten to the new exporter's conventions
 * (module paths only in node metadata, FX-named tensors, fixed batch 1, weights in
 * weights/model.onnx.data) by tools/zoo/new_exporter_fixtures.py; fixtures/fixed-batch/ are
 * exports without dynamic_axes, one with its flatten baked into Reshape [1,-1].
 */
const fixtures = join(repoRoot, 'packages', 'extract', 'fixtures');
const images = ['bag-coat-sneaker.png', 'trouser-dress-sandal.png', 'shirt-ankle-boot-pullover.png', 't-shirt-bag-trouser.png'].map((f) => join(fixtures, 'tv-images', f));
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-new-exporter-'));
// Another working directory than the model's or the repository's.
const elsewhere = join(dir, 'elsewhere');
mkdirSync(elsewhere);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pp = ['--size', '112', '--resize', '112', '--mean', '0.485,0.456,0.406', '--std', '0.229,0.224,0.225'];

async function extract(model: string, args: string[]): Promise<Table> {
  const result = await runBin('extract', ['--model', relative(elsewhere, model), ...pp, ...args, ...images], undefined, elsewhere);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return fromIPC(result.stdout);
}

async function listing(model: string): Promise<string[][]> {
  const result = await runBin('extract', ['--model', relative(elsewhere, model), '--list-layers'], undefined, elsewhere);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result.stdout.toString('utf8').trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/).slice(0, 2));
}

function column(table: Table, name: string): number[] {
  return Array.from(fixedSizeListValues(table.getChild(name)!).values);
}

describe.each([
  ['tv-resnet', ['maxpool', 'layer1', 'layer2.0', 'layer2.0.relu_1', 'layer3', 'layer4', 'avgpool']],
  ['tv-mobilenetv2', ['features.0', 'features.3', 'features.5.conv.0.0', 'features.10', 'features']],
])('new exporter (dynamo=True) %s', (family, layers) => {
  const torchscript = join(fixtures, `${family}.onnx`);
  const dynamo = join(fixtures, 'new-exporter', family, 'model.onnx');

  it('--list-layers lists the same module paths with the same shapes as the TorchScript export', async () => {
    const [mine, theirs] = await Promise.all([listing(dynamo), listing(torchscript)]);
    expect(mine.length).toBeGreaterThan(10);
    expect(mine).toEqual(theirs);
  });

  it('gives the TorchScript export\'s activations, argmax and logits, from another working directory', async () => {
    const args = ['--argmax', '--logits', ...layers.filter((l) => l !== 'features' || family !== 'tv-resnet').flatMap((l) => ['--layer', l])];
    const [mine, theirs] = await Promise.all([extract(dynamo, args), extract(torchscript, args)]);
    expect(mine.numRows).toBe(images.length);
    for (const name of [...layers, ...layers.map((l) => `${l}:argmax`), 'logits']) {
      if (!theirs.getChild(name)) continue;
      expect(column(mine, name), name).toEqual(column(theirs, name));
    }
  });

  it('reads the fixed batch 1 as symbolic: a graph that runs at any batch keeps --batch', async () => {
    const model = loadModel(dynamo);
    expect(model.exporter).toBe('dynamo');
    expect(model.declaredBatch).toBe(1);
    const plan = await planExtraction(model, layers.slice(0, 2), { pool: 'mean', argmax: false, logits: true, size: 112 });
    expect(plan.fixedBatch).toBeUndefined();
  });
});

describe('fixed-batch export (no dynamic_axes), flatten baked into Reshape [1,-1]', () => {
  const fixed = join(fixtures, 'fixed-batch', 'reshape-fixed.onnx');
  const dynamic = join(fixtures, 'fixed-batch', 'reshape-dynamic.onnx');
  const small = ['--size', '64', '--resize', '64'];

  it('runs one image per inference with no user action and gives the dynamic-batch export\'s values', async () => {
    expect((await planExtraction(loadModel(fixed), ['relu_1'], { pool: 'mean', argmax: false, logits: true, size: 64 })).fixedBatch).toBe(1);
    expect((await planExtraction(loadModel(dynamic), ['relu_1'], { pool: 'mean', argmax: false, logits: true, size: 64 })).fixedBatch).toBeUndefined();
    const run = (model: string) => runBin('extract', ['--model', model, ...small, '--batch', '3', '--logits', '--layer', 'relu_1', '--layer', 'conv1', ...images]);
    const [mine, theirs] = await Promise.all([run(fixed), run(dynamic)]);
    expect(mine.stderr).toBe('');
    expect(mine.code).toBe(0);
    const [a, b] = [fromIPC(mine.stdout), fromIPC(theirs.stdout)];
    expect(a.numRows).toBe(images.length);
    for (const name of ['relu_1', 'conv1', 'logits']) {
      const [x, y] = [column(a, name), column(b, name)];
      expect(x.length).toBe(y.length);
      x.forEach((v, i) => expect(Math.abs(v - y[i]!), `${name}[${i}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(y[i]!))));
    }
  });
});

describe('module scopes from node metadata', () => {
  it('numbers a module called twice in one call of its parent as TorchScript does (relu, relu_1)', () => {
    const meta = (scopes: string[]) => new Map([['pkg.torch.onnx.name_scopes', JSON.stringify(scopes).replace(/"/g, "'")]]);
    const stacks = [
      meta(['', 'layer1', 'layer1.0', 'layer1.0.conv1', 'convolution']),
      meta(['', 'layer1', 'layer1.0', 'layer1.0.relu', 'relu']),
      meta(['', 'layer1', 'layer1.0', 'layer1.0.conv2', 'convolution_1']),
      meta(['', 'layer1', 'layer1.0', 'add']),
      meta(['', 'layer1', 'layer1.0', 'layer1.0.relu', 'relu_1']),
      meta(['', 'layer1', 'layer1.1', 'layer1.1.relu', 'relu_2']),
      meta(['', 'features', 'features.3', 'features.3.conv', 'features.3.conv.0', 'features.3.conv.0.0', 'convolution_2']),
      new Map<string, string>(),
    ].map(moduleStack);
    expect(stacks[1]).toEqual(['layer1', 'layer1.0', 'layer1.0.relu']);
    expect(torchScopes(stacks)).toEqual([
      ['layer1', 'layer1.0', 'conv1'],
      ['layer1', 'layer1.0', 'relu'],
      ['layer1', 'layer1.0', 'conv2'],
      ['layer1', 'layer1.0'],
      ['layer1', 'layer1.0', 'relu_1'],
      ['layer1', 'layer1.1', 'relu'],
      ['features', 'features.3', 'conv', 'conv.0', 'conv.0.0'],
      [],
    ]);
  });
});

describe('models extract cannot use get one line saying what was expected', () => {
  const weight: onnx.ITensorProto = { name: 'w', dims: [2, 3, 1, 1], dataType: ElemType.float32, floatData: [1, 0, 0, 0, 1, 0] };
  const model = (name: string, inputs: onnx.IValueInfoProto[], opType = 'Conv', node = 'n0') => {
    const path = join(dir, `${name}.onnx`);
    writeFileSync(path, encodeModel({ name, node: [{ opType, name: node, input: [inputs[0]!.name!, 'w'], output: ['out'] }], input: inputs, output: [valueInfo('out', ElemType.float32, ['N', 2, 8, 8])], initializer: [weight] }));
    return path;
  };
  const fails = async (path: string, args: string[], pattern: RegExp) => {
    const result = await runBin('extract', ['--model', path, ...args]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
    expect(result.stderr).toMatch(pattern);
  };

  it('NHWC, rank, element type, two inputs, no module scopes, missing external weights', async () => {
    const image = join(fixtures, 'tv-images', 'bag-coat-sneaker.png');
    await fails(model('nhwc', [valueInfo('x', ElemType.float32, [1, 224, 224, 3])]), ['--layer', 'out', image], /input 'x' \[N,224,224,3\] is channels-last \(NHWC\); extract feeds \[N,C,H,W\]/);
    await fails(model('rank2', [valueInfo('x', ElemType.float32, ['N', 784])]), ['--layer', 'out', image], /input 'x' has rank 2 \[N,784\] \(expected an image input \[N,C,H,W\]\)/);
    await fails(model('uint8', [valueInfo('x', 2, ['N', 3, 8, 8])]), ['--layer', 'out', image], /input 'x' is uint8 \(expected float32 \[N,C,H,W\]/);
    await fails(model('two', [valueInfo('x', ElemType.float32, ['N', 3, 8, 8]), valueInfo('y', ElemType.float32, ['N', 3, 8, 8])]), ['--layer', 'out', image], /has 2 inputs \(x, y\); expected one image input/);
    await fails(model('unscoped', [valueInfo('x', ElemType.float32, ['N', 3, 8, 8])]), ['--list-layers'], /no PyTorch module scopes in node names or node metadata/);
    const bare = join(dir, 'no-weights.onnx');
    copyFileSync(join(fixtures, 'new-exporter', 'tv-resnet', 'model.onnx'), bare);
    await fails(bare, ['--list-layers'], /cannot read external data 'weights\/model\.onnx\.data' of tensor '[^']+' \(ENOENT; expected it at /);
  });
});

// Keep the fixture bytes honest: the rewritten model names no module in its node names.
it('the new-exporter fixture keeps module paths only in metadata', () => {
  const bytes = readFileSync(join(fixtures, 'new-exporter', 'tv-resnet', 'model.onnx'));
  expect(bytes.includes(Buffer.from('/layer1/'))).toBe(false);
  expect(bytes.includes(Buffer.from('pkg.torch.onnx.name_scopes'))).toBe(true);
});

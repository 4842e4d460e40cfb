import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeType, ElemType, META, decodeModel, encodeModel, fixedSizeListValues, onnx, valueInfo } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { moduleScopes, modulePathOf } from './onnx-model.js';
import { composeWindow } from './receptive-field.js';

const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-extract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const zoo = join(repoRoot, 'examples', 'zoo');
const testImages = join(repoRoot, 'examples', 'data', 'fashion-mnist', 'test');
const labelOrder = 't-shirt,trouser,pullover,dress,coat,sandal,shirt,sneaker,bag,ankle-boot';

/**
 * A two-channel model we can compute by hand: /conv/Conv (1x1, weights +1 and -1, so the
 * channels are x and -x), then /pool/MaxPool (2x2, stride 2).
 */
function tinyModel(): string {
  const weight: onnx.ITensorProto = { name: 'w', dims: [2, 1, 1, 1], dataType: ElemType.float32, floatData: [1, -1] };
  const bytes = encodeModel({
    name: 'tiny',
    node: [
      { opType: 'Conv', name: '/conv/Conv', input: ['input', 'w'], output: ['/conv/Conv_output_0'], attribute: [{ name: 'kernel_shape', type: AttributeType.INTS, ints: [1, 1] }] },
      {
        opType: 'MaxPool',
        name: '/pool/MaxPool',
        input: ['/conv/Conv_output_0'],
        output: ['out'],
        attribute: [
          { name: 'kernel_shape', type: AttributeType.INTS, ints: [2, 2] },
          { name: 'strides', type: AttributeType.INTS, ints: [2, 2] },
        ],
      },
    ],
    input: [valueInfo('input', ElemType.float32, ['N', 1, 4, 4])],
    output: [valueInfo('out', ElemType.float32, ['N', 2, 2, 2])],
    initializer: [weight],
  });
  const path = join(dir, 'tiny.onnx');
  writeFileSync(path, bytes);
  return path;
}

async function grayPng(path: string, pixels: number[], size: number): Promise<void> {
  await sharp(Buffer.from(pixels), { raw: { width: size, height: size, channels: 1 } }).png().toFile(path);
}

describe('module paths and receptive fields', () => {
  it('maps PyTorch module paths to exporter scopes and back', () => {
    expect(moduleScopes('layer2')).toEqual(['layer2']);
    expect(moduleScopes('features.28')).toEqual(['features', 'features.28']);
    expect(moduleScopes('layer2.0.conv1')).toEqual(['layer2', 'layer2.0', 'conv1']);
    expect(moduleScopes('block3.1.2')).toEqual(['block3', 'block3.1', 'block3.1.2']);
    expect(modulePathOf(['features', 'features.3', 'conv', 'conv.0'])).toBe('features.3.conv.0');
  });

  it('composes windows like the textbook recursion', () => {
    // 3x3 conv pad 1, then 2x2 pool stride 2, then 3x3 conv stride 2 pad 1.
    const a = composeWindow({ size: 1, stride: 1, offset: 0 }, 3, 1, 1);
    expect(a).toEqual({ size: 3, stride: 1, offset: 0 });
    const b = composeWindow(a, 2, 2, 0);
    expect(b).toEqual({ size: 4, stride: 2, offset: 0.5 });
    expect(composeWindow(b, 3, 2, 1)).toEqual({ size: 8, stride: 4, offset: 0.5 });
  });
});

describe('extract on a hand-computable model', () => {
  it('writes per-channel means, maxima positions and receptive fields', async () => {
    const model = tinyModel();
    const imagesDir = join(dir, 'tiny-images');
    mkdirSync(join(imagesDir, 'a'), { recursive: true });
    mkdirSync(join(imagesDir, 'b'), { recursive: true });
    const images = [
      [0, 10, 20, 30, 40, 250, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150],
      [200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255],
    ];
    await grayPng(join(imagesDir, 'b', 'one.png'), images[0]!, 4);
    await grayPng(join(imagesDir, 'a', 'two.png'), images[1]!, 4);
    const result = await runBin('extract', ['--model', model, '--layer', 'conv', '--layer', 'pool', '--argmax', '--mean', '0', '--std', '1', imagesDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(JSON.parse(table.schema.metadata.get(META.classes)!)).toEqual(['a', 'b']);
    const layers = JSON.parse(table.schema.metadata.get(META.layers)!);
    expect(layers.map((l: { name: string; shape: number[]; rf: unknown }) => [l.name, l.shape, l.rf])).toEqual([
      ['conv', [2, 4, 4], { size: 1, stride: 1, offset: 0 }],
      ['pool', [2, 2, 2], { size: 2, stride: 2, offset: 0.5 }],
    ]);
    // ImageFolder order: class a first.
    expect(table.getChild('image')!.toArray()).toEqual([join(imagesDir, 'a', 'two.png'), join(imagesDir, 'b', 'one.png')]);
    expect(Array.from(table.getChild('label')!.toArray())).toEqual([0, 1]);
    const conv = fixedSizeListValues(table.getChild('conv')!).values;
    const argmax = fixedSizeListValues(table.getChild('conv:argmax')!).values;
    [images[1]!, images[0]!].forEach((pixels, row) => {
      const x = pixels.map((p) => p / 255);
      const mean = x.reduce((s, v) => s + v, 0) / x.length;
      expect(conv[row * 2]).toBeCloseTo(mean, 6);
      expect(conv[row * 2 + 1]).toBeCloseTo(-mean, 6);
      expect(argmax[row * 2]).toBe(x.indexOf(Math.max(...x)));
      expect(argmax[row * 2 + 1]).toBe(x.map((v) => -v).indexOf(Math.max(...x.map((v) => -v))));
    });
    // The pooled layer: 2x2 max pool of x, then the mean of its four cells.
    const pool = fixedSizeListValues(table.getChild('pool')!).values;
    const x = images[0]!.map((p) => p / 255);
    const cells = [0, 2, 8, 10].map((i) => Math.max(x[i]!, x[i + 1]!, x[i + 4]!, x[i + 5]!));
    expect(pool[2]).toBeCloseTo(cells.reduce((s, v) => s + v, 0) / 4, 6);
  });
});

/** The fc layer's weights and bias, read from the ONNX initializers (independent of extract). */
function fcWeights(path: string): { w: Float32Array; b: Float32Array; out: number; width: number } {
  const model = decodeModel(readFileSync(path));
  const graph = model.graph as onnx.GraphProto;
  const gemm = graph.node.find((n) => n.opType === "Gemm") as onnx.NodeProto;
  const tensor = (name: string) => {
    const t = graph.initializer.find((i) => i.name === name)!;
    const raw = t.rawData;
    return raw && raw.length > 0 ? new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)) : Float32Array.from(t.floatData ?? []);
  };
  const w = tensor(gemm.input[1]!);
  const b = tensor(gemm.input[2]!);
  return { w, b, out: b.length, width: w.length / b.length };
}

describe('extract on the zoo ResNet', () => {
  it('layer4 means are the features the classifier reads: logits = W x + b', async () => {
    const model = join(zoo, 'resnet.onnx');
    const result = await runBin('extract', ['--model', model, '--layer', 'layer4', '--logits', '--shard', '0/20', '--classes', labelOrder, testImages]);
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(table.numRows).toBe(100);
    const x = fixedSizeListValues(table.getChild('layer4')!).values;
    const logits = fixedSizeListValues(table.getChild('logits')!).values;
    const { w, b, out, width } = fcWeights(model);
    expect(width).toBe(128);
    let worst = 0;
    let correct = 0;
    const labels = table.getChild('label')!.toArray() as Int32Array;
    for (let r = 0; r < table.numRows; r++) {
      let best = 0;
      for (let k = 0; k < out; k++) {
        let z = b[k]!;
        for (let j = 0; j < width; j++) z += w[k * width + j]! * x[r * width + j]!;
        worst = Math.max(worst, Math.abs(z - logits[r * out + k]!));
        if (logits[r * out + k]! > logits[r * out + best]!) best = k;
      }
      if (best === labels[r]) correct++;
    }
    expect(worst).toBeLessThan(1e-4);
    expect(correct / table.numRows).toBeGreaterThan(0.85);
  });

  it('--shard I/N splits the images into disjoint parts that cover them all', async () => {
    const model = join(zoo, 'vgg.onnx');
    const parts = await Promise.all(
      ['0/3', '1/3', '2/3'].map((s) => runBin('extract', ['--model', model, '--layer', 'block1', '--shard', s, join(testImages, 'bag')])),
    );
    const names = parts.flatMap((p) => fromIPC(p.stdout).getChild('image')!.toArray() as string[]);
    expect(names.length).toBe(200);
    expect(new Set(names).size).toBe(200);
  });

  it('--ep falls back to CPU with one warning line where the provider cannot start, same output', async () => {
    const args = ['--model', join(zoo, 'vgg.onnx'), '--layer', 'block2', '--argmax', join(testImages, 'bag')];
    const cpu = await runBin('extract', args);
    for (const ep of ['cuda', 'webgpu']) {
      const other = await runBin('extract', [...args, '--ep', ep]);
      expect(other.code, other.stderr).toBe(0);
      const ours = other.stderr.split('\n').filter((l) => l.startsWith('extract:'));
      if (ours.length === 0) continue; // the provider runs here (a GPU machine): nothing to fall back from
      expect(ours).toEqual([expect.stringMatching(new RegExp(`^extract: warning: execution provider '${ep}' is not available here \\(.+\\); using cpu$`))]);
      // onnxruntime's own log stays quiet (Dawn, WebGPU's library, may still say it found no Vulkan).
      expect(other.stderr.split('\n').filter((l) => !l.startsWith('extract:')).join('\n')).not.toMatch(/onnxruntime|\[E:/);
      expect(Buffer.compare(other.stdout, cpu.stdout)).toBe(0);
    }
  });

  it('--list-layers shows modules with their output shapes', async () => {
    const result = await runBin('extract', ['--model', join(zoo, 'resnet.onnx'), '--list-layers']);
    expect(result.code).toBe(0);
    const text = result.stdout.toString();
    expect(text).toMatch(/^layer2\s+32x7x7\s+\/layer2\/layer2.0\/relu_1\/Relu_output_0$/m);
    expect(text).toMatch(/^layer4\s+128x2x2\s/m);
  });
});

describe('extract: bad input', () => {
  it('an unknown layer names the model and suggests modules', async () => {
    const result = await runBin('extract', ['--model', join(zoo, 'resnet.onnx'), '--layer', 'layer9', testImages]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^extract: error: --layer layer9: no module or tensor of that name in .*resnet\.onnx \(closest: layer1, layer2, layer3, layer4, layer1\.0; see --list-layers\)$/m);
  });

  it('a broken image is skipped with a warning; --strict stops with one line and no partial -o file', async () => {
    const imagesDir = join(dir, 'broken');
    mkdirSync(imagesDir, { recursive: true });
    await grayPng(join(imagesDir, 'a.png'), Array(784).fill(7), 28);
    writeFileSync(join(imagesDir, 'b.png'), 'not a png');
    await grayPng(join(imagesDir, 'c.png'), Array(784).fill(9), 28);
    const lenient = await runBin('extract', ['--model', join(zoo, 'vgg.onnx'), '--layer', 'block2', '--batch', '2', imagesDir]);
    expect(lenient.code).toBe(0);
    expect(fromIPC(lenient.stdout).getChild('image')!.toArray()).toEqual([join(imagesDir, 'a.png'), join(imagesDir, 'c.png')]);
    expect(lenient.stderr).toMatch(/^extract: warning: skipped: .*b\.png: cannot decode image/m);
    expect(lenient.stderr).toMatch(/^extract: warning: 1 of 3 images could not be read and were skipped/m);
    const out = join(dir, 'broken.arrows');
    const result = await runBin('extract', ['--model', join(zoo, 'vgg.onnx'), '--layer', 'block2', '--strict', '--batch', '1', '-o', out, imagesDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^extract: error: .*b\.png: cannot decode image/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('broken.arrows'))).toEqual([]);
  });

  it('an empty folder and a non-ONNX model', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const none = await runBin('extract', ['--model', join(zoo, 'vgg.onnx'), '--layer', 'block1', empty]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no images found in .*empty/);
    const fake = join(dir, 'fake.onnx');
    writeFileSync(fake, 'this is not protobuf at all');
    const bad = await runBin('extract', ['--model', fake, '--layer', 'block1', empty]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^extract: error: .*fake\.onnx: (cannot read ONNX model|not an ONNX model)/);
  });

  it('a missing model file and missing inputs', async () => {
    const missing = await runBin('extract', ['--model', join(dir, 'none.onnx'), '--layer', 'x', testImages]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/none\.onnx: cannot read the model: no such file/);
    const noInput = await runBin('extract', ['--model', join(zoo, 'vgg.onnx'), '--layer', 'block1']);
    expect(noInput.code).toBe(2);
  });
});

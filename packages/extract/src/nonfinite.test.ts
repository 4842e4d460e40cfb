import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AttributeType, ElemType, encodeModel, valueInfo } from '@cnnpipe/core';
import { fromIPC, runBin, tempFolder } from '@cnnpipe/core/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A model that divides by zero: /conv/Conv (1x1, weight 1), then /div/Div by a constant 0,
 * so every pixel of its output is ±Inf (or NaN where the input is 0).
 */
function dividingModel(): Uint8Array {
  return encodeModel({
    name: 'divide-by-zero',
    node: [
      { opType: 'Conv', name: '/conv/Conv', input: ['input', 'w'], output: ['/conv/Conv_output_0'], attribute: [{ name: 'kernel_shape', type: AttributeType.INTS, ints: [1, 1] }] },
      { opType: 'Div', name: '/div/Div', input: ['/conv/Conv_output_0', 'zero'], output: ['out'] },
    ],
    input: [valueInfo('input', ElemType.float32, ['N', 1, 4, 4])],
    output: [valueInfo('out', ElemType.float32, ['N', 1, 4, 4])],
    initializer: [
      { name: 'w', dims: [1, 1, 1, 1], dataType: ElemType.float32, floatData: [1] },
      { name: 'zero', dims: [], dataType: ElemType.float32, floatData: [0] },
    ],
  });
}

const folder = tempFolder({ 'div.onnx': dividingModel() });
afterAll(() => folder.remove());
beforeAll(async () => {
  mkdirSync(folder.path('images'));
  for (const [name, value] of [['a.png', 0], ['b.png', 200]] as const) {
    await sharp(Buffer.alloc(16, value), { raw: { width: 4, height: 4, channels: 1 } }).png().toFile(folder.path(join('images', name)));
  }
});

describe('extract: a model that gives NaN/Inf', () => {
  it('stops with one line naming the model, the layer, the count and the first image; no output file', async () => {
    const out = folder.path('acts.arrows');
    const result = await runBin('extract', ['--model', folder.path('div.onnx'), '--layer', 'div', '--preset', 'gray', '--size', '4', '--resize', '4', folder.path('images'), '-o', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `extract: error: div.onnx: column 'div' has 2 NaN/Inf values (first at row 1, image ${folder.path(join('images', 'a.png'))}); ` +
        'the model gives NaN/Inf there (an overflow or a division by zero)\n',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('the layer before the division is finite and extracts', async () => {
    const result = await runBin('extract', ['--model', folder.path('div.onnx'), '--layer', 'conv', '--preset', 'gray', '--size', '4', '--resize', '4', folder.path('images')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(fromIPC(result.stdout).numRows).toBe(2);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSession, decodeModel, ort, type onnx } from '@cnnpipe/core';
import { repoRoot } from '@cnnpipe/core/testing';
import { describe, expect, it } from 'vitest';
import { planExtraction } from './extract.js';
import { scanModel } from './model-scan.js';
import { loadModel } from './onnx-model.js';
import { extractionGraph } from './rewrite.js';

const resnet = join(repoRoot, 'examples', 'zoo', 'resnet.onnx');

describe('scanModel: the structure without the weights', () => {
  it('references every raw_data above the limit at its bytes in the file, and keeps the rest as it is', () => {
    const file = readFileSync(resnet);
    const full = decodeModel(Buffer.from(file)).graph!.initializer as onnx.TensorProto[];
    const scanned = scanModel(resnet, 1024);
    const skeleton = decodeModel(scanned.skeleton).graph!.initializer as onnx.TensorProto[];
    expect(skeleton.map((t) => [t.name, t.dims.map(Number), t.dataType])).toEqual(full.map((t) => [t.name, t.dims.map(Number), t.dataType]));
    expect(scanned.referenced).toBeGreaterThan(5);
    expect(scanned.skeleton.length).toBeLessThan(file.length / 10);
    let referenced = 0;
    skeleton.forEach((t, i) => {
      const original = full[i]!;
      if (t.dataLocation !== 1) {
        expect(Buffer.from(t.rawData ?? [])).toEqual(Buffer.from(original.rawData ?? []));
        return;
      }
      referenced++;
      const entry = (key: string) => t.externalData.find((e) => e.key === key)?.value;
      expect(entry('location')).toBe('resnet.onnx');
      const offset = Number(entry('offset'));
      const length = Number(entry('length'));
      expect(length).toBeGreaterThan(1024);
      expect(file.subarray(offset, offset + length).equals(Buffer.from(original.rawData))).toBe(true);
    });
    expect(referenced).toBe(scanned.referenced);
  });

  it('a model with referenced weights runs to the same activations as the fully read one', async () => {
    const run = async (model: ReturnType<typeof loadModel>) => {
      const plan = await planExtraction(model, ['layer2', 'layer4'], { pool: 'mean', argmax: true, logits: true });
      const { session } = await createSession(extractionGraph(model, plan.taps, plan), { externalDataFolder: model.weightsFolder });
      const pixels = Float32Array.from({ length: 3 * 28 * 28 }, (_, i) => Math.sin(i * 0.37));
      const result = await session.run({ [plan.input.name]: new ort.Tensor('float32', pixels, [3, 1, 28, 28]) });
      await session.release();
      return Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
    };
    const referenced = loadModel(resnet, { weights: 'referenced' });
    expect(referenced.weightsFolder).toBe(join(repoRoot, 'examples', 'zoo'));
    expect((referenced.proto.graph!.initializer as onnx.TensorProto[]).some((t) => t.dataLocation === 1)).toBe(true);
    expect(await run(referenced)).toEqual(await run(loadModel(resnet)));
  });

  it('bytes that are not protobuf say so', () => {
    expect(() => loadModel(join(repoRoot, 'examples', 'zoo', 'zoo.json'), { weights: 'referenced' })).toThrow(/zoo\.json: not an ONNX model \(it is a text file\)/);
  });
});

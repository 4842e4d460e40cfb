import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ort } from '@cnnpipe/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fashionMnistDir, loadZoo, modelPath } from './index.js';

const zoo = loadZoo();

/** The committed test split: every PNG, its Fashion-MNIST label (from its folder name). */
async function loadTestImages(): Promise<{ pixels: Float32Array; labels: number[] }> {
  const { size, mean, std } = zoo.preprocess;
  const files: { path: string; label: number }[] = [];
  for (const folder of readdirSync(join(fashionMnistDir, 'test')).sort()) {
    const label = zoo.labels.indexOf(folder);
    expect(label, `class folder ${folder}`).toBeGreaterThanOrEqual(0);
    for (const file of readdirSync(join(fashionMnistDir, 'test', folder)).sort()) {
      files.push({ path: join(fashionMnistDir, 'test', folder, file), label });
    }
  }
  const pixels = new Float32Array(files.length * size * size);
  await Promise.all(
    files.map(async ({ path }, i) => {
      const { data, info } = await sharp(path).greyscale().raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([size, size, 1]);
      for (let p = 0; p < data.length; p++) pixels[i * size * size + p] = (data[p]! / 255 - mean[0]!) / std[0]!;
    }),
  );
  return { pixels, labels: files.map((f) => f.label) };
}

function argmaxRows(logits: Float32Array, classes: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < logits.length / classes; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[r * classes + c]! > logits[r * classes + best]!) best = c;
    out.push(best);
  }
  return out;
}

describe('the embedded model zoo', () => {
  it('lists five families plus the second-task model, all at least 90% top-1', () => {
    const families = new Set(zoo.models.map((m) => m.family));
    expect(families.size).toBeGreaterThanOrEqual(5);
    expect(zoo.models.length).toBeGreaterThanOrEqual(6);
    expect(zoo.models.some((m) => m.task !== 'fashion-mnist-10')).toBe(true);
    for (const m of zoo.models) expect(m.accuracy.test_full, m.name).toBeGreaterThanOrEqual(0.9);
  });

  it('has a class-balanced image subset: 200 test and 500 train images per class', () => {
    for (const [split, count] of [['test', 200], ['train', 500]] as const) {
      const folders = readdirSync(join(fashionMnistDir, split)).sort();
      expect(folders).toEqual(zoo.classes);
      for (const folder of folders) expect(readdirSync(join(fashionMnistDir, split, folder)).length).toBe(count);
    }
  });

  it('each ONNX model reproduces its recorded accuracy on the committed test images in onnxruntime', async () => {
    const { pixels, labels } = await loadTestImages();
    const n = labels.length;
    for (const model of zoo.models) {
      const session = await ort.InferenceSession.create(modelPath(model), { executionProviders: ['cpu'] });
      const input = new ort.Tensor('float32', pixels, [n, 1, zoo.preprocess.size, zoo.preprocess.size]);
      const { logits } = await session.run({ input });
      const classes = model.classes.length;
      expect(logits!.dims).toEqual([n, classes]);
      const predicted = argmaxRows(logits!.data as Float32Array, classes);
      const target = labels.map((l) => zoo.tasks[model.task]!.of_label[l]!);
      const accuracy = predicted.filter((p, i) => p === target[i]).length / n;
      expect(Math.abs(accuracy - model.accuracy.test_subset), `${model.name}: ${accuracy}`).toBeLessThanOrEqual(0.01);
      expect(accuracy, model.name).toBeGreaterThanOrEqual(0.9);
      await session.release();
    }
  });
});

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createSession, ort } from '@cnnpipe/core';
import { repoRoot } from '@cnnpipe/core/testing';
import { describe, expect, it } from 'vitest';
import { inferredShapes, modelInput } from './extract.js';
import { loadModel, moduleOutput, moduleScopes, modulePaths } from './onnx-model.js';
import { outputNames, shapeProbeGraph } from './rewrite.js';

const zoo = join(repoRoot, 'examples', 'zoo');

/** Shapes the old way: run the model once on blank images and read Shape outputs. */
async function runShapes(model: ReturnType<typeof loadModel>, tensors: string[], size: number, batch: number): Promise<number[][]> {
  const input = modelInput(model);
  const { session } = await createSession(shapeProbeGraph(model, tensors), { optimization: 'basic', externalDataFolder: model.weightsFolder });
  const blank = new ort.Tensor('float32', new Float32Array(batch * input.channels * size * size), [batch, input.channels, size, size]);
  const result = await session.run({ [input.name]: blank });
  await session.release();
  return tensors.map((_, i) => Array.from(result[outputNames.shape(i)]!.data as BigInt64Array, Number));
}

describe('inferredShapes', () => {
  it("gives, without running the model, the shapes a run gives, for every module of every zoo model", async () => {
    const models = readdirSync(zoo).filter((f) => f.endsWith('.onnx'));
    expect(models.length).toBeGreaterThan(3);
    for (const file of models) {
      const model = loadModel(join(zoo, file), { weights: 'referenced' });
      const tensors = modulePaths(model).map((p) => moduleOutput(model, moduleScopes(p))).filter((t): t is string => t !== undefined);
      const input = modelInput(model);
      const size = input.size ?? 32;
      expect(await inferredShapes(model, tensors, size, 3), file).toEqual(await runShapes(model, tensors, size, 3));
    }
  });
});

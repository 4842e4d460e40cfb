import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedSizeListValues } from '@cnnpipe/core';
import { fromIPC, repoRoot, runBin } from '@cnnpipe/core/testing';
import { describe, expect, it } from 'vitest';

/**
 * Parity with PyTorch: fixtures/<family>.json holds forward-hook activations of a small
 * random-weight model of each zoo family on four committed images (written by
 * tools/zoo/parity_fixtures.py from the same PyTorch modules that fixtures/<family>.onnx
 * was exported from). extract must return the same per-channel means and argmax cells.
 */
interface Fixture {
  model: string;
  images: string[];
  layers: Record<string, { mean: number[][]; argmax: number[][]; argmax_margin: number[][] }>;
}

const fixtures = join(repoRoot, 'packages', 'extract', 'fixtures');
const testImages = join(repoRoot, 'examples', 'data', 'fashion-mnist', 'test');
const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-parity-'));

describe.each(['vgg', 'resnet', 'mobilenet', 'inception', 'densenet'])('parity with PyTorch hooks: %s', (family) => {
  it('pooled means within 1e-4 of the largest activation, argmax equal where not a near-tie', async () => {
    const fixture = JSON.parse(readFileSync(join(fixtures, `${family}.json`), 'utf8')) as Fixture;
    const list = join(dir, `${family}.txt`);
    writeFileSync(list, fixture.images.map((i) => join(testImages, i)).join('\n'));
    const layers = Object.keys(fixture.layers);
    const args = ['--model', join(fixtures, fixture.model), '--argmax', ...layers.flatMap((l) => ['--layer', l]), `@${list}`];
    const result = await runBin('extract', args);
    expect(result.stderr).toBe('');
    const table = fromIPC(result.stdout);
    expect(table.numRows).toBe(fixture.images.length);
    for (const layer of layers) {
      const want = fixture.layers[layer]!;
      const { values: mean, size } = fixedSizeListValues(table.getChild(layer)!);
      const argmax = fixedSizeListValues(table.getChild(`${layer}:argmax`)!).values;
      const largest = Math.max(...want.mean.flat().map(Math.abs), 1e-6);
      let worst = 0;
      for (let r = 0; r < fixture.images.length; r++) {
        for (let c = 0; c < size; c++) {
          worst = Math.max(worst, Math.abs(mean[r * size + c]! - want.mean[r]![c]!));
          if (want.argmax_margin[r]![c]! > 1e-5 * largest) expect(argmax[r * size + c], `${layer}[${r},${c}]`).toBe(want.argmax[r]![c]);
        }
      }
      expect(worst / largest, layer).toBeLessThanOrEqual(1e-4);
    }
  });
});

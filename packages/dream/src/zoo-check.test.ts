// The honest check of the issue: for units of a zoo layer, does the optimised image excite
// its channel more than the channel's best dataset image (`extract | topk -k 1`)? And is
// `value` what `extract` measures on the saved PNG? Reduced steps (128 of 512, 16 of 64 units).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { compareWithTopk } from './test-support/compare-topk.js';

const temp = mkdtempSync(join(tmpdir(), 'cnnpipe-dream-zoo-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
const vgg = 'examples/zoo/vgg.onnx';
const units = Array.from({ length: 16 }, (_, c) => c);

async function ok(tool: string, args: string[], stdin?: Uint8Array) {
  const run = await runBin(tool, args, stdin);
  if (run.code !== 0) throw new Error(`${tool} ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

describe('zoo VGG block3: feature visualisations against the best dataset images', () => {
  it('beat the best test image on most units, and value is what extract measures on the PNG', async () => {
    const png = join(temp, 'png');
    const vis = await ok('dream', ['--model', vgg, '--layer', 'block3', ...units.flatMap((c) => ['--channel', String(c)]), '--steps', '128', '--png', png]);
    const acts = await ok('extract', ['--model', vgg, '--layer', 'block3', 'examples/data/fashion-mnist/test']);
    const top = await ok('topk', ['-k', '1'], acts);
    const { units: rows, fraction, medianRatio } = compareWithTopk(vis, top);
    console.log(`dream vs topk -k 1 (vgg block3, 16 units, 128 steps): ${(fraction * 100).toFixed(0)}% of units beat their best test image, median ratio ${medianRatio.toFixed(2)}`);
    expect(rows).toHaveLength(16);
    expect(fraction).toBeGreaterThanOrEqual(0.5);
    expect(medianRatio).toBeGreaterThan(1);

    // `value` = the channel mean extract computes on the written PNG.
    const measured = fromIPC(await ok('extract', ['--model', vgg, '--layer', 'block3', png]));
    const table = fromIPC(vis);
    for (let r = 0; r < measured.numRows; r++) {
      const image = String(measured.getChild('image')!.get(r));
      const unit = Number(/block3-(\d+)\.png$/.exec(image)![1]);
      const channels = measured.getChild('block3')!.get(r)!.toArray() as Float32Array;
      const value = table.getChild('value')!.get(units.indexOf(unit)) as number;
      expect(Math.abs(channels[unit]! - value)).toBeLessThan(1e-5 * Math.max(1, Math.abs(value)));
    }
    expect(readFileSync(join(png, 'block3-0.png')).subarray(1, 4).toString()).toBe('PNG');
  }, 900_000);
});

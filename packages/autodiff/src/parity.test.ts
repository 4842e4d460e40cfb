import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '@cnnpipe/core/testing';
import { loadModel, resolveLayer } from '@cnnpipe/extract';
import { describe, expect, it } from 'vitest';
import { channelMeanSeed } from './seeds.js';
import { pattern, relativeError, runGradient } from './test-support/gradients.js';

// Input gradients of channel means against torch.autograd (tools/autodiff/parity_autodiff.py):
// torchvision topologies differentiated as nn.Modules, the zoo's trained models through an
// ONNX interpreter written over torch.nn.functional.

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

interface Fixture {
  model: string;
  size: number;
  channels: number;
  batch: number;
  layers: { layer: string; channel: number; shape: number[] }[];
}

const names = readdirSync(fixtures).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();

describe('input gradients equal torch.autograd (1e-4 relative)', () => {
  it('covers the zoo and the torchvision topologies', () => {
    expect(names).toEqual(expect.arrayContaining(['tv-resnet', 'tv-vgg-bn', 'tv-mobilenetv2', 'tv-googlenet', 'tv-densenet', 'tv-squeezenet', 'tv-shufflenetv2', 'tv-efficientnet-b0', 'zoo-vgg', 'zoo-resnet', 'zoo-mobilenet', 'zoo-inception', 'zoo-densenet']));
  });

  for (const name of names) {
    it(name, async () => {
      const fixture = JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8')) as Fixture;
      const expected = new Float32Array(Uint8Array.from(readFileSync(join(fixtures, `${name}.grad.f32`))).buffer);
      const model = loadModel(join(fixtures, fixture.model));
      const per = fixture.channels * fixture.size * fixture.size;
      const x = pattern(fixture.batch * per);
      const errors: Record<string, number> = {};
      for (const [k, layer] of fixture.layers.entries()) {
        const seed = channelMeanSeed(layer.shape, Array<number>(fixture.batch).fill(layer.channel));
        const { graph, gradient } = await runGradient(model, [resolveLayer(model, layer.layer)], x, [seed], fixture.size);
        expect(graph.tapShapes[0]).toEqual(layer.shape);
        const reference = expected.subarray(k * fixture.batch * per, (k + 1) * fixture.batch * per);
        expect(Math.max(...reference.map(Math.abs))).toBeGreaterThan(0);
        errors[layer.layer] = relativeError(gradient, reference);
      }
      if (process.env.AUTODIFF_VERBOSE) console.log(name, errors);
      for (const error of Object.values(errors)) expect(error).toBeLessThan(1e-4);
    });
  }
});

describe('full-width torchvision ResNet18, built by PyTorch at test time', () => {
  const python = '/usr/bin/python3';
  const hasTorch = spawnSync(python, ['-c', 'import torch, torchvision, onnx'], { stdio: 'ignore' }).status === 0;

  // Full width, no committed fixture (45 MB). At this size one ReLU whose pre-activation is
  // within float32 rounding of 0 can land on the other side than in PyTorch (at 224: 3e-8 vs
  // -1e-7, with values up to 3.4), which alone moves the gradient by about 1/sqrt(active
  // units), 3e-3: the 1e-4 parity is the reduced-width fixtures' above; this catches
  // anything systematic (observed at 112: 9e-7).
  it.skipIf(!hasTorch)('layer4 channel mean: input gradient equals torch.autograd at 112x112 (1e-2 relative, kinks aside)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-autodiff-r18-'));
    try {
      const size = 112;
      const batch = 2;
      const torch = spawnSync(python, [join(repoRoot, 'tools', 'bench', 'autodiff_torch.py'), dir, String(batch), '0', '2', String(size)], { encoding: 'utf8' });
      expect(torch.status, torch.stderr).toBe(0);
      const { channel } = JSON.parse(torch.stdout.trim().split('\n').pop()!) as { channel: number };
      const expected = new Float32Array(Uint8Array.from(readFileSync(join(dir, 'grad.f32'))).buffer);
      const model = loadModel(join(dir, 'resnet18.onnx'));
      const tap = resolveLayer(model, 'layer4');
      const x = pattern(batch * 3 * size * size);
      const seed = channelMeanSeed([512, 4, 4], [channel, channel]);
      const { gradient } = await runGradient(model, [tap], x, [seed], size);
      expect(relativeError(gradient, expected)).toBeLessThan(1e-2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

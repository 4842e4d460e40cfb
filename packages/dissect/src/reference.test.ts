import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { resolvePreprocess } from '@cnnpipe/core';
import { loadModel, modelInput } from '@cnnpipe/extract';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProbe } from './broden.js';
import { FeatureRunner, featureLayers } from './features.js';
import { PROBE, PYTHON, RESNET, hasPython, tempDir } from './test-support/helpers.js';

const SCRIPT = join(import.meta.dirname, 'test-support/netdissect_reference.py');
const CATEGORIES = ['object', 'part', 'scene', 'texture', 'color'];

interface Reference {
  thresholds: number[];
  truth: number[];
  inter: number[][];
  act: number[][];
  units: { categories: { label: number | null; iou: number }[]; category: number; label: number | null; iou: number }[];
}

/** The same float32 maps dissect's graph computes, for numpy (same model, preprocessing and batch size). */
async function features(layer: string): Promise<{ data: Float32Array; shape: number[] }> {
  const probe = readProbe(PROBE);
  const model = loadModel(RESNET);
  const input = modelInput(model);
  const base = resolvePreprocess(input.channels, {}, input.size);
  const pp = { ...base, resize: base.size };
  const [l] = await featureLayers(model, [layer], pp.size);
  const runner = await FeatureRunner.open(model, input, [l!], pp, 32, 'cpu', () => undefined);
  const per = l!.units * l!.h * l!.w;
  const data = new Float32Array(probe.images.length * per);
  for await (const b of runner.batches(probe.images.map((i) => i.path))) data.set(b.maps[0]!.subarray(0, b.count * per), b.first * per);
  await runner.release();
  return { data, shape: [probe.images.length, l!.units, l!.h, l!.w] };
}

const live = hasPython('numpy, PIL');

describe.skipIf(!live)('dissect agrees with a numpy transcription of NetDissect-Lite', () => {
  const tmp = tempDir();
  const refs = new Map<string, Reference>();
  let table: Table;
  const quantile = 0.02;
  beforeAll(async () => {
    for (const layer of ['layer2', 'layer3']) {
      const { data, shape } = await features(layer);
      const file = join(tmp.dir, `${layer}.f32`);
      writeFileSync(file, data);
      const py = spawnSync(PYTHON, [SCRIPT, PROBE, file, shape.join(','), CATEGORIES.join(','), String(quantile)], { encoding: 'utf8', maxBuffer: 1 << 28 });
      if (py.status !== 0) throw new Error(py.stderr);
      refs.set(layer, JSON.parse(py.stdout) as Reference);
    }
    const out = join(tmp.dir, 'd.arrows');
    const res = await runBin('dissect', ['--model', RESNET, '--layer', 'layer2', '--layer', 'layer3', '--probe', PROBE, '--quantile', String(quantile), '--tally-csv', join(tmp.dir, 'tally-{layer}.csv'), '-o', out]);
    expect(res.stderr).toMatch(/layer2: \d+ of 32 units are detectors/);
    expect(res.code).toBe(0);
    table = fromIPC(readFileSync(out));
  }, 120_000);
  afterAll(() => tmp.remove());

  it('gives the same thresholds, per-category labels and IoUs (1e-6)', () => {
    const names = readProbe(PROBE).names;
    const col = (name: string) => table.getChild(name)!.toArray() as ArrayLike<unknown>;
    const layers = col('layer') as string[];
    let labelled = 0;
    for (const layer of ['layer2', 'layer3']) {
      const ref = refs.get(layer)!;
      const rows = Array.from({ length: table.numRows }, (_, r) => r).filter((r) => layers[r] === layer);
      expect(rows.length).toBe(ref.thresholds.length);
      rows.forEach((r, k) => {
        const u = ref.units[k]!;
        expect(Math.abs((col('threshold')[r] as number) - ref.thresholds[k]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ref.thresholds[k]!)));
        CATEGORIES.forEach((c, ci) => {
          const want = u.categories[ci]!;
          expect(col(`${c}_label`)[r]).toBe(want.label === null ? null : names[want.label]);
          expect(Math.abs((col(`${c}_iou`)[r] as number) - want.iou)).toBeLessThanOrEqual(1e-6);
        });
        expect(col('concept')[r]).toBe(u.label === null ? null : names[u.label]);
        expect(col('category')[r]).toBe(u.label === null ? null : CATEGORIES[u.category]);
        expect(Math.abs((col('score')[r] as number) - u.iou)).toBeLessThanOrEqual(1e-6);
        if (u.iou > 0) labelled++;
      });
    }
    // The comparison means something only if units do overlap concepts.
    expect(labelled).toBeGreaterThan(50);
  });

  it("writes NetDissect-Lite's tally.csv with the reference's truth, activation and intersection counts", () => {
    const names = readProbe(PROBE).names;
    const ref = refs.get('layer3')!;
    const [header, ...lines] = readFileSync(join(tmp.dir, 'tally-layer3.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    expect(header!.slice(0, 9)).toEqual(['unit', 'category', 'label', 'score', 'object-label', 'object-truth', 'object-activation', 'object-intersect', 'object-iou']);
    expect(lines.length).toBe(64);
    const scores = lines.map((l) => Number(l[3]));
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const line of lines) {
      const k = Number(line[0]) - 1; // 1-based
      CATEGORIES.forEach((c, ci) => {
        const at = header!.indexOf(`${c}-label`);
        const label = ref.units[k]!.categories[ci]!.label;
        if (label === null) return;
        expect(line[at]).toBe(names[label]);
        expect(Number(line[at + 1])).toBe(ref.truth[label]);
        expect(Number(line[at + 2])).toBe(ref.act[k]![ci]);
        expect(Number(line[at + 3])).toBe(ref.inter[k]![label]);
      });
    }
  });
});

import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import PngJs from 'pngjs';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE, RESNET, tempDir } from './test-support/helpers.js';
import { modelPixels } from '@cnnpipe/core';
import { TILE } from './montage.js';
import { DECOYS, PLANTED, plantedModel } from './test-support/planted-model.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

function rows(table: Table): Record<string, unknown>[] {
  return table.toArray().map((r) => (r as { toJSON(): Record<string, unknown> }).toJSON());
}

describe('a planted detector', () => {
  let table: Table;
  beforeAll(async () => {
    const model = join(tmp.dir, 'planted.onnx');
    writeFileSync(model, plantedModel());
    // A at 2% of the pixels is of the size of the probe's concepts (a few per cent each).
    const res = await runBin('dissect', ['--model', model, '--layer', 'planted', '--probe', PROBE, '--quantile', '0.02', '--montage', join(tmp.dir, 'montage'), '-o', join(tmp.dir, 'planted.arrows')]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/planted: 3 of 6 units are detectors/);
    table = fromIPC(readFileSync(join(tmp.dir, 'planted.arrows')));
  });

  it('labels unit i with concept i, with a high IoU', () => {
    const units = rows(table);
    const decoyBest = Math.max(...units.slice(PLANTED.length).map((u) => u.score as number));
    PLANTED.forEach((concept, i) => {
      expect(units[i]!.concept).toBe(concept);
      expect(units[i]!.detector).toBe(true);
      expect(units[i]!.score as number).toBeGreaterThan(0.1);
      expect(units[i]!.score as number).toBeGreaterThan(3 * decoyBest);
    });
    expect(units[0]!.category).toBe('texture');
    expect(units[2]!.category).toBe('color');
    expect(units[2]!.color_label).toBe('white');
  });

  it('with --detectors-only, names the detectors only', async () => {
    const res = await runBin('dissect', ['--model', join(tmp.dir, 'planted.onnx'), '--layer', 'planted', '--probe', PROBE, '--quantile', '0.02', '--detectors-only']);
    expect(res.code, res.stderr).toBe(0);
    const only = rows(fromIPC(res.stdout));
    expect(only.map((u) => u.concept)).toEqual([...PLANTED, ...DECOYS.map(() => null)]);
    // The corner decoy still has its (weak) best colour in its own column.
    expect(only[PLANTED.length + 1]!.color_label).toBe(rows(table)[PLANTED.length + 1]!.color_label);
  });

  it('gives the decoys no detector', () => {
    const units = rows(table);
    DECOYS.forEach((_, j) => {
      const u = units[PLANTED.length + j]!;
      expect(u.detector).toBe(false);
      expect(u.score as number).toBeLessThan(0.04);
    });
    // The constant unit never exceeds its own threshold: no label at all.
    expect(units[PLANTED.length]!.concept).toBe(null);
  });

  it("draws each unit's top probe images with the activation above its threshold lit", async () => {
    const units = rows(table);
    const read = (u: number) => PngJs.PNG.sync.read(readFileSync(units[u]!.montage as string));
    const constant = read(PLANTED.length);
    expect([constant.width, constant.height]).toEqual([8 * TILE + 7 * 3, TILE]);
    // The constant unit is never above its threshold: its first image (the probe's first, on
    // ties) is drawn at a fifth of its brightness everywhere.
    const first = await modelPixels(readFileSync(join(PROBE, 'images/fmnist/00000.png')), { resize: TILE, size: TILE, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] });
    for (let p = 0; p < TILE * TILE; p += 37) {
      const y = Math.floor(p / TILE);
      const x = p % TILE;
      expect(constant.data[(y * constant.width + x) * 4]).toBe(Math.round(first.data[p * first.channels]! * 0.2));
    }
    // The stripe detector lights part of each of its top images, not all of it.
    const striped = read(0);
    let lit = 0;
    let dim = 0;
    for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) (striped.data[(y * striped.width + x) * 4]! > 60 ? lit++ : dim++);
    expect(lit).toBeGreaterThan(100);
    expect(dim).toBeGreaterThan(100);
  });

  it('summarises unique detectors per category per layer for plot bar', async () => {
    const res = await runBin('dissect', ['summary', join(tmp.dir, 'planted.arrows')]);
    expect(res.code, res.stderr).toBe(0);
    const summary = rows(fromIPC(res.stdout));
    expect(summary.map((r) => r.category)).toEqual(['object', 'part', 'scene', 'texture', 'color']);
    expect(summary.map((r) => r.unique)).toEqual([0, 0, 0, 2, 1]);
    expect(summary.map((r) => r.detectors)).toEqual([0, 0, 0, 2, 1]);
    // plot knows the kind: categories on x, unique detectors on y, a panel per layer.
    const plot = await runBin('plot', ['bar'], res.stdout);
    expect(plot.code, plot.stderr).toBe(0);
    expect(plot.stdout.toString()).toMatch(/aria-label="category: texture; unique: 2"/);
  });
});

describe('shards', () => {
  const common = ['--model', RESNET, '--layer', 'layer3', '--layer', 'layer4', '--probe', PROBE, '--batch', '16'];
  it('quantiles, tally and merge over 3 shards give the single run, bit for bit', async () => {
    const whole = await runBin('dissect', [...common, '--tally-csv', join(tmp.dir, 'whole-{layer}.csv'), '-o', join(tmp.dir, 'whole.arrows')]);
    expect(whole.code, whole.stderr).toBe(0);
    const again = await runBin('dissect', [...common, '--recompute', '-o', join(tmp.dir, 'recompute.arrows')]);
    expect(again.code, again.stderr).toBe(0);
    const q = [0, 1, 2].map((i) => join(tmp.dir, `q${i}.arrows`));
    const t = [0, 1, 2].map((i) => join(tmp.dir, `t${i}.arrows`));
    for (let i = 0; i < 3; i++) {
      const r = await runBin('dissect', ['quantiles', ...common, '--shard', `${i}/3`, '-o', q[i]!]);
      expect(r.code, r.stderr).toBe(0);
    }
    for (let i = 0; i < 3; i++) {
      const r = await runBin('dissect', ['tally', ...common, '--shard', `${i}/3`, ...q, '-o', t[i]!]);
      expect(r.code, r.stderr).toBe(0);
    }
    const merged = await runBin('dissect', ['merge', t[2]!, t[0]!, t[1]!, '--tally-csv', join(tmp.dir, 'merged-{layer}.csv'), '-o', join(tmp.dir, 'merged.arrows')]);
    expect(merged.code, merged.stderr).toBe(0);
    const a = rows(fromIPC(readFileSync(join(tmp.dir, 'whole.arrows'))));
    expect(a.length).toBe(64 + 128);
    expect(rows(fromIPC(readFileSync(join(tmp.dir, 'merged.arrows'))))).toEqual(a);
    expect(rows(fromIPC(readFileSync(join(tmp.dir, 'recompute.arrows'))))).toEqual(a);
    for (const layer of ['layer3', 'layer4']) {
      expect(readFileSync(join(tmp.dir, `merged-${layer}.csv`), 'utf8')).toBe(readFileSync(join(tmp.dir, `whole-${layer}.csv`), 'utf8'));
    }
    // Some unit must overlap some concept, or equality would say little.
    expect(a.filter((r) => (r.score as number) > 0.02).length).toBeGreaterThan(10);
    // A missing shard is an error, not a smaller dissection.
    const partial = await runBin('dissect', ['merge', t[0]!, t[1]!, '-o', join(tmp.dir, 'partial.arrows')]);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/shards 2\/3 are missing/);
    expect(existsSync(join(tmp.dir, 'partial.arrows'))).toBe(false);
  });
});

describe('what other tools read', () => {
  it("csv --to-arrow --kind concepts reads the tally.csv back; venn compares two dissections", async () => {
    const file = join(tmp.dir, 'whole-layer4.csv');
    const back = await runBin('csv', ['--to-arrow', '--kind', 'concepts', '--layer', 'layer4', file]);
    expect(back.code, back.stderr).toBe(0);
    const fromCsv = rows(fromIPC(back.stdout)).sort((a, b) => (a.unit as number) - (b.unit as number));
    const ours = rows(fromIPC(readFileSync(join(tmp.dir, 'whole.arrows')))).filter((r) => r.layer === 'layer4');
    expect(fromCsv.map((r) => r.unit)).toEqual(ours.map((r) => r.unit));
    expect(fromCsv.map((r) => r.concept || null)).toEqual(ours.map((r) => r.concept));
    fromCsv.forEach((r, i) => expect(r.score).toBeCloseTo(ours[i]!.score as number, 12));
    const venn = await runBin('venn', [join(tmp.dir, 'whole.arrows'), join(tmp.dir, 'planted.arrows'), '--names', 'resnet,planted']);
    expect(venn.code, venn.stderr).toBe(0);
    expect(fromIPC(venn.stdout).numRows).toBeGreaterThan(0);
  });
});

describe('bad input', () => {
  const out = () => join(tmp.dir, 'bad.arrows');
  async function fails(args: string[], message: RegExp): Promise<void> {
    rmSync(out(), { force: true });
    const res = await runBin('dissect', ['--model', RESNET, '--layer', 'layer2', ...args, '-o', out()]);
    expect(res.code).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines.length, res.stderr).toBe(1);
    expect(lines[0]).toMatch(message);
    expect(existsSync(out())).toBe(false);
  }
  function copyProbe(name: string): string {
    const dir = join(tmp.dir, name);
    cpSync(PROBE, dir, { recursive: true });
    return dir;
  }

  it('a folder that is not in Broden layout', async () => {
    const dir = join(tmp.dir, 'not-broden');
    cpSync(join(PROBE, 'images'), dir, { recursive: true });
    await fails(['--probe', dir], /^dissect: error: .*not-broden\/category\.csv: cannot read \(ENOENT; a Broden probe folder has index\.csv/);
  });

  it('a missing mask file', async () => {
    const dir = copyProbe('missing-mask');
    rmSync(join(dir, 'images/fmnist/00042_part_1.png'));
    await fails(['--probe', dir], /00042_part_1\.png: no such file \(named in .*index\.csv line 44\)/);
  });

  it('a mask of the wrong size', async () => {
    const dir = copyProbe('wrong-size');
    const png = new PngJs.PNG({ width: 27, height: 27 });
    png.data.fill(0);
    writeFileSync(join(dir, 'images/fmnist/00117_color.png'), PngJs.PNG.sync.write(png));
    await fails(['--probe', dir], /00117_color\.png: mask is 27x27 \(expected sw x sh = 28x28 from index\.csv\)/);
  });

  it('a mask label that label.csv does not list', async () => {
    const dir = copyProbe('unlisted-label');
    const png = new PngJs.PNG({ width: 28, height: 28 });
    png.data.fill(0);
    png.data[(3 * 28 + 5) * 4] = 9; // label 9 + 256 * 0: between the colours (1..8) and the garments (10..)
    for (let p = 3; p < png.data.length; p += 4) png.data[p] = 255;
    writeFileSync(join(dir, 'images/fmnist/00050_object.png'), PngJs.PNG.sync.write(png));
    await fails(['--probe', dir], /00050_object\.png: pixel \(5, 3\) has label 9, which label\.csv does not list/);
  });

  it('an unknown category', async () => {
    await fails(['--probe', PROBE, '--categories', 'object,material'], /--categories material: no such category in .*fashion-probe\/category\.csv \(it lists color, object, part, scene, texture\)/);
  });

  it('an image-level label not in label.csv', async () => {
    const dir = copyProbe('bad-label');
    const index = readFileSync(join(dir, 'index.csv'), 'utf8').split('\n');
    index[11] = index[11]!.replace(/,(\d+),([^,]*)$/, ',99,$2');
    writeFileSync(join(dir, 'index.csv'), index.join('\n'));
    await fails(['--probe', dir], /index\.csv: line 12: label 99 in column 'scene' is not in .*label\.csv/);
  });
});

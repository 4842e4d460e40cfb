import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { META, float32Data, float64Data, int32Data, makeBatch, utf8Data } from '@cnnpipe/core';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import { Table, tableToIPC } from 'apache-arrow';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'ica-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const N = 12;

function topkIPC(options: { argmax?: boolean; kind?: string; preprocess?: string } = {}): Uint8Array {
  const rows = 2 * N;
  const neuron = Int32Array.from({ length: rows }, (_, i) => Math.floor(i / N));
  const rank = Int32Array.from({ length: rows }, (_, i) => (i % N) + 1);
  const images = Array.from({ length: rows }, (_, i) => `img/${i % N}.png`);
  const metadata = new Map([
    [META.kind, options.kind ?? 'topk'],
    [META.layers, JSON.stringify([{ name: 'conv', tensor: 't', shape: [2, 4, 4], rf: { size: 4, stride: 2, offset: 0.5 } }])],
    [META.preprocess, options.preprocess ?? JSON.stringify({ resize: 8, size: 8, channels: 1, mean: [0.5], std: [0.25] })],
    [META.model, 'm.onnx'],
  ]);
  const columns = {
    layer: utf8Data(new Array<string>(rows).fill('conv')),
    neuron: int32Data(neuron),
    rank: int32Data(rank),
    image: utf8Data(images),
    label: int32Data(new Int32Array(rows)),
    class: utf8Data(new Array<string>(rows).fill('x')),
    value: float32Data(new Float32Array(rows).fill(1)),
    ...(options.argmax === false ? {} : { argmax: int32Data(Int32Array.from({ length: rows }, (_, i) => (i * 5) % 16)) }),
  };
  return tableToIPC(new Table(makeBatch(columns, metadata)), 'stream');
}

beforeAll(async () => {
  mkdirSync(join(dir, 'img'));
  for (let i = 0; i < N; i++) {
    const raw = Buffer.from(Array.from({ length: 64 }, (_, p) => Math.round(127 + 120 * Math.sin(p * (0.3 + i * 0.17) + i))));
    await sharp(raw, { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(join(dir, 'img', `${i}.png`));
  }
});

describe('ica CLI', () => {
  it('writes the components kind and a montage per neuron', async () => {
    const montage = join(dir, 'montage');
    const result = await runBin('ica', ['--components', '3', '--images', dir, '--montage', montage, '--max-iter', '500'], topkIPC());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const table = fromIPC(result.stdout);
    expect(table.schema.metadata.get(META.kind)).toBe('components');
    expect(table.schema.metadata.get(META.model)).toBe('m.onnx');
    const rows = table.toArray().map((r) => r.toJSON() as { layer: string; neuron: number; component: number; height: number; width: number; channels: number; pixels: Float32Array });
    expect(rows.map((r) => `${r.layer}/${r.neuron}/${r.component}`)).toEqual(['conv/0/0', 'conv/0/1', 'conv/0/2', 'conv/1/0', 'conv/1/1', 'conv/1/2']);
    for (const r of rows) {
      expect([r.height, r.width, r.channels]).toEqual([4, 4, 1]);
      expect(r.pixels.length).toBe(16);
      for (const v of r.pixels) expect(Number.isFinite(v)).toBe(true);
    }
    expect(readdirSync(montage).sort()).toEqual(['conv-0.png', 'conv-1.png']);
    const meta = await sharp(join(montage, 'conv-0.png')).metadata();
    expect(meta.format).toBe('png');
  });

  it('--channels rgb and joint on colour images give 3-channel components', async () => {
    const pp = JSON.stringify({ resize: 8, size: 8, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    const colour = join(dir, 'rgb');
    mkdirSync(join(colour, 'img'), { recursive: true });
    for (let i = 0; i < N; i++) {
      const raw = Buffer.from(Array.from({ length: 192 }, (_, p) => Math.round(127 + 120 * Math.sin(p * (0.21 + i * 0.13) + i))));
      await sharp(raw, { raw: { width: 8, height: 8, channels: 3 } }).png().toFile(join(colour, 'img', `${i}.png`));
    }
    for (const mode of ['rgb', 'joint']) {
      const result = await runBin('ica', ['--components', '2', '--channels', mode, '--images', colour], topkIPC({ preprocess: pp }));
      expect(result.stderr).toBe('');
      const rows = fromIPC(result.stdout).toArray().map((r) => r.toJSON() as { channels: number; pixels: Float32Array });
      expect(rows.length).toBe(4);
      for (const r of rows) {
        expect(r.channels).toBe(3);
        expect(r.pixels.length).toBe(48);
      }
    }
  });

  it('is deterministic for a seed', async () => {
    const a = await runBin('ica', ['--components', '2', '--images', dir, '--seed', '4'], topkIPC());
    const b = await runBin('ica', ['--components', '2', '--images', dir, '--seed', '4'], topkIPC());
    expect(a.code).toBe(0);
    expect(Buffer.compare(a.stdout, b.stdout)).toBe(0);
  });

  it('asks for more components than patches allow: fewer, with a warning', async () => {
    const result = await runBin('ica', ['--components', '30', '--images', dir], topkIPC());
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/ica: warning: conv neuron 0: 11 components \(asked 30/);
    const rows = fromIPC(result.stdout).numRows;
    expect(rows).toBe(22);
  });

  it('wrong kind or no argmax: exit 1 with what was expected', async () => {
    const wrong = await runBin('ica', ['--images', dir], topkIPC({ kind: 'cof' }));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/ica: error: .*wrong table kind \(expected 'topk', got 'cof'\)/);
    const noArgmax = await runBin('ica', ['--images', dir], topkIPC({ argmax: false }));
    expect(noArgmax.code).toBe(1);
    expect(noArgmax.stderr).toMatch(/no 'argmax' column/);
  });

  it('--stats titles each montage with the neuron\'s facet; a table of another kind is refused', async () => {
    const stats = makeBatch(
      {
        layer: utf8Data(['conv', 'conv']),
        neuron: int32Data(Int32Array.of(0, 1)),
        gini: float64Data(Float64Array.of(0.5, 0.2)),
        flatness: float64Data(Float64Array.of(0.1, 0.3)),
        mf: float64Data(Float64Array.of(0.2, 1.5)),
        mf_norm: float64Data(Float64Array.of(0, 1)),
        facet: utf8Data(['SF', 'MF']),
        p_value: float64Data(Float64Array.of(0.5, 0.01)),
      },
      new Map([[META.kind, 'neuron-stats']]),
    );
    const statsPath = join(dir, 'stats.arrows');
    writeFileSync(statsPath, tableToIPC(new Table([stats]), 'stream'));
    const titleWidth = async (montage: string) => {
      // The title's inked extent in the top band of conv-1.png.
      const { data, info } = await sharp(join(montage, 'conv-1.png')).greyscale().raw().toBuffer({ resolveWithObject: true });
      let right = 0;
      for (let y = 0; y < 30; y++) for (let x = 0; x < info.width; x++) if (data[y * info.width + x]! < 128) right = Math.max(right, x);
      return right;
    };
    const plain = await runBin('ica', ['--components', '2', '--images', dir, '--montage', join(dir, 'plain')], topkIPC());
    const titled = await runBin('ica', ['--components', '2', '--images', dir, '--montage', join(dir, 'titled'), '--stats', statsPath], topkIPC());
    expect([plain.code, titled.code]).toEqual([0, 0]);
    expect(await titleWidth(join(dir, 'titled'))).toBeGreaterThan((await titleWidth(join(dir, 'plain'))) + 100);
    const topkPath = join(dir, 'topk.arrows');
    writeFileSync(topkPath, topkIPC());
    const wrong = await runBin('ica', ['--images', dir, '--montage', join(dir, 'wrong'), '--stats', topkPath], topkIPC());
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/--stats .*topk\.arrows.*wrong table kind \(expected 'neuron-stats', got 'topk'\)/);
    const notStats = await runBin('ica', ['--images', dir, '--montage', join(dir, 'x'), '--stats', join(dir, 'nope.arrows')], topkIPC());
    expect(notStats.code).toBe(1);
    expect(notStats.stderr).toMatch(/nope\.arrows: cannot read: no such file/);
  });

  it('a missing image names it', async () => {
    const result = await runBin('ica', ['--images', join(dir, 'nowhere')], topkIPC());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/nowhere\/img\/0.png: cannot read image \(no such file\)/);
  });

  it('--help shows a runnable example; bad flags are usage errors', async () => {
    const help = await runBin('ica', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/\| topk -k 20 \| ica --components 8/);
    const bad = await runBin('ica', ['--components', '0'], topkIPC());
    expect(bad.code).toBe(2);
    const mode = await runBin('ica', ['--channels', 'blue'], topkIPC());
    expect(mode.code).toBe(2);
  });
});

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromIPC, runBin } from '@cnnpipe/core/testing';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

const vgg = 'examples/zoo/vgg.onnx';
const temp = mkdtempSync(join(tmpdir(), 'cnnpipe-dream-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const model = ['--model', vgg, '--layer', 'block3', '--size', '64'];
const base = [...model, '--steps', '12'];

describe('dream', () => {
  it('writes a visualizations table and one PNG per unit holding the same pixels', async () => {
    const dir = join(temp, 'vis');
    const run = await runBin('dream', [...base, '--channel', '3', '--channel', '7', '--png', dir, '--curve']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const table = fromIPC(run.stdout);
    expect(table.schema.metadata.get('cnnpipe.kind')).toBe('visualizations');
    expect(table.schema.fields.map((f) => f.name)).toEqual(['layer', 'neuron', 'objective', 'value', 'height', 'width', 'channels', 'pixels', 'curve']);
    expect(table.numRows).toBe(2);
    expect(table.getChild('neuron')!.toArray()).toEqual(Int32Array.from([3, 7]));
    expect(readdirSync(dir).sort()).toEqual(['block3-3.png', 'block3-7.png']);
    const file = readFileSync(join(dir, 'block3-7.png'));
    const meta = await sharp(file).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([64, 64, 1]);
    const png = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    const pixels = table.getChild('pixels')!.get(1)!.toArray() as Float32Array;
    expect(pixels.length).toBe(64 * 64);
    for (let p = 0; p < pixels.length; p += 97) expect(Math.round(pixels[p]! * 255)).toBe(png.data[p]);
    // The objective rises over the steps.
    for (let r = 0; r < 2; r++) {
      const curve = table.getChild('curve')!.get(r)!.toArray() as Float32Array;
      expect(curve.length).toBe(12);
      expect((curve[9]! + curve[10]! + curve[11]!) / 3).toBeGreaterThan((curve[0]! + curve[1]! + curve[2]!) / 3);
    }
  });

  it('same --seed, same bytes; another seed, other images', async () => {
    const args = [...model, '--channel', '5', '--steps', '4'];
    const a = await runBin('dream', [...args, '--seed', '7']);
    const b = await runBin('dream', [...args, '--seed', '7']);
    const c = await runBin('dream', [...args, '--seed', '8']);
    expect(a.code).toBe(0);
    expect(Buffer.compare(a.stdout, b.stdout)).toBe(0);
    // The pixels' own bytes (a view's .buffer may be a shared pool holding both outputs).
    const pixels = (bytes: Buffer) => {
      const view = fromIPC(bytes).getChild('pixels')!.get(0)!.toArray() as Float32Array;
      return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    };
    expect(pixels(a.stdout).length).toBeGreaterThan(0);
    expect(pixels(a.stdout).equals(pixels(c.stdout))).toBe(false);
  });

  it('DeepDream --from an image raises the layer mean of squares above the image’s own', async () => {
    const from = 'examples/data/fashion-mnist/test/bag/00018.png';
    const dd = ['--model', vgg, '--layer', 'block2', '--objective', 'deepdream', '--from', from, '--size', '56'];
    const start = await runBin('dream', [...dd, '--steps', '0']);
    const dreamt = await runBin('dream', [...dd, '--steps', '20']);
    expect(dreamt.stderr).toBe('');
    const value = (bytes: Buffer) => fromIPC(bytes).getChild('value')!.get(0) as number;
    const t = fromIPC(dreamt.stdout);
    expect(t.getChild('neuron')!.get(0)).toBeNull();
    expect(t.getChild('objective')!.get(0)).toBe('deepdream');
    expect(value(dreamt.stdout)).toBeGreaterThan(value(start.stdout) * 1.1);
  });

  it('a diversity batch: one row per image, a sample column', async () => {
    const run = await runBin('dream', [...model, '--channel', '2', '--diversity', '100', '--batch', '3', '--steps', '3']);
    expect(run.code).toBe(0);
    const t = fromIPC(run.stdout);
    expect(t.getChild('sample')!.toArray()).toEqual(Int32Array.from([0, 1, 2]));
    expect(t.getChild('objective')!.get(0)).toBe('channel-diversity:100');
  });

  it.each([
    [['--layer', 'nope'], 1, /nope/],
    [['--channel', '64'], 2, /--channel 64: out of range .*0\.\.63/],
    [[], 2, /--channel C .* or --all/],
    [['--channel', '1', '--from', 'x.png'], 2, /--from .*deepdream/],
    [['--channel', '1', '--steps', '-1'], 2, /--steps/],
  ])('bad input %j: exit %i, one line', async (extra, code, message) => {
    const args = [...base];
    const at = args.indexOf('--layer');
    if (extra[0] === '--layer') args.splice(at, 2);
    const run = await runBin('dream', [...args, ...extra]);
    expect(run.code).toBe(code);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
  });
});

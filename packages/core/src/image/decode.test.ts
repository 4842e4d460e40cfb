import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp, { type OutputInfo } from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { grayLikePil } from './convert.js';
import { decodeSimplePng, type RawImage } from './decode.js';
import { resizeCropPil } from './resample.js';
import { PRESETS, loadImage, normaliseInto, resolvePreprocess, type Preprocess } from './preprocess.js';

const root = resolve(fileURLToPath(import.meta.url), '../../../../..');
const fashion = join(root, 'examples/data/fashion-mnist');

function committedPngs(): string[] {
  const out: string[] = [];
  for (const split of readdirSync(fashion).sort()) {
    for (const cls of readdirSync(join(fashion, split)).sort()) for (const f of readdirSync(join(fashion, split, cls)).sort()) out.push(join(fashion, split, cls, f));
  }
  return out;
}

/**
 * The same preprocessing with every decode through sharp (loadImage before decodeSimplePng):
 * the fast PNG path must give these pixels bit for bit. Resize and normalisation are checked
 * against torchvision itself in preprocess.test.ts.
 */
async function sharpOnly(path: string, pp: Preprocess): Promise<Float32Array> {
  const decoded = await sharp(path, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
  let image: RawImage = { data: decoded.data, width: decoded.info.width, height: decoded.info.height, channels: decoded.info.channels };
  if (image.channels !== pp.channels) {
    if (pp.channels === 1) image = grayLikePil(image);
    else {
      const raw = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels as 1 | 2 | 3 | 4 } });
      const out = await raw.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      image = { data: out.data, width: out.info.width, height: out.info.height, channels: out.info.channels };
    }
  }
  const data = resizeCropPil(image, pp.resize, pp.size).data;
  const plane = pp.size * pp.size;
  const stride = data.length / plane;
  const out = new Float32Array(pp.channels * plane);
  const f = Math.fround;
  for (let c = 0; c < pp.channels; c++) {
    for (let p = 0; p < plane; p++) out[c * plane + p] = f(f(f(data[p * stride + c]! / 255) - f(pp.mean[c]!)) / f(pp.std[c]!));
  }
  return out;
}

/**
 * Whether pngjs' pixels are sharp's: the same bands, or one gray band where sharp hands
 * out that band three times (sharp decodes gray PNGs to sRGB).
 */
function samePixels(mine: RawImage, theirs: { data: Buffer; info: OutputInfo }): boolean {
  if (mine.width !== theirs.info.width || mine.height !== theirs.info.height) return false;
  const repeat = theirs.info.channels / mine.channels;
  if (!(repeat === 1 || (mine.channels === 1 && repeat === 3))) return false;
  return theirs.data.every((v, i) => v === mine.data[Math.floor(i / repeat)]);
}

async function viaLoadImage(path: string, pp: Preprocess): Promise<Float32Array> {
  const out = new Float32Array(pp.channels * pp.size * pp.size);
  await loadImage(path, pp, out, 0);
  return out;
}

const pngFolders: string[] = [];
afterAll(() => {
  for (const dir of pngFolders) rmSync(dir, { recursive: true, force: true });
});

/** Test images of every PNG flavour, written by sharp from a deterministic gradient. */
async function flavouredPngs(): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'cnnpipe-png-'));
  pngFolders.push(dir);
  const [w, h] = [37, 23];
  // Every byte value appears in every band (7, 13, 3 and 11 are prime to 256; w * h > 256).
  const rgba = Buffer.alloc(w * h * 4);
  for (let p = 0; p < w * h; p++) rgba.set([(p * 7) % 256, (p * 13 + 50) % 256, (p * 3) % 256, (p * 11) % 256], p * 4);
  const raw = (channels: 1 | 2 | 3 | 4) => {
    const data = Buffer.alloc(w * h * channels);
    for (let p = 0; p < w * h; p++) for (let c = 0; c < channels; c++) data[p * channels + c] = rgba[p * 4 + c]!;
    return sharp(data, { raw: { width: w, height: h, channels } });
  };
  const files: Record<string, (path: string) => Promise<unknown>> = {
    gray: (p) => raw(1).png().toFile(p),
    'gray-interlaced': (p) => raw(1).png({ progressive: true }).toFile(p),
    'gray-alpha': (p) => raw(2).png().toFile(p),
    rgb: (p) => raw(3).png().toFile(p),
    'rgb-interlaced': (p) => raw(3).png({ progressive: true, compressionLevel: 0 }).toFile(p),
    rgba: (p) => raw(4).png().toFile(p),
    // 200 colours make sharp write 8-bit indices, 16 colours 4-bit ones.
    palette: (p) => raw(3).png({ palette: true, colours: 200, dither: 0 }).toFile(p),
    'palette-4bit': (p) => raw(3).png({ palette: true, colours: 16, dither: 0 }).toFile(p),
    'palette-gray': (p) => raw(1).toColourspace('srgb').png({ palette: true, colours: 200, dither: 0 }).toFile(p),
    'palette-alpha': (p) => raw(4).png({ palette: true, colours: 16, dither: 0 }).toFile(p),
    'rgb-16bit': (p) => raw(3).toColourspace('rgb16').png().toFile(p),
    'gray-16bit': (p) => raw(1).toColourspace('grey16').png().toFile(p),
    'rgb-icc': (p) => raw(3).withIccProfile('p3').png().toFile(p),
    jpeg: (p) => raw(3).jpeg().toFile(p),
  };
  const out: Record<string, string> = {};
  for (const [name, write] of Object.entries(files)) {
    out[name] = join(dir, `${name}.${name === 'jpeg' ? 'jpg' : 'png'}`);
    await write(out[name]);
  }
  return out;
}

describe('decodeSimplePng', () => {
  it('decodes every committed Fashion-MNIST PNG to exactly the bytes sharp decodes', async () => {
    const paths = committedPngs();
    expect(paths.length).toBeGreaterThan(1000);
    for (let i = 0; i < paths.length; i += 64) {
      await Promise.all(
        paths.slice(i, i + 64).map(async (path) => {
          const mine = decodeSimplePng(readFileSync(path));
          const theirs = await sharp(path).raw().toBuffer({ resolveWithObject: true });
          expect(mine, path).toBeDefined();
          expect(samePixels(mine!, theirs), path).toBe(true);
        }),
      );
    }
  });

  it('either matches sharp byte for byte or declines (alpha, 16-bit, 4-bit, ICC profile, not a PNG)', async () => {
    const files = await flavouredPngs();
    const handled: string[] = [];
    for (const [name, path] of Object.entries(files)) {
      const mine = decodeSimplePng(readFileSync(path));
      if (!mine) continue;
      handled.push(name);
      const theirs = await sharp(path).raw().toBuffer({ resolveWithObject: true });
      expect(samePixels(mine, theirs), name).toBe(true);
    }
    expect(handled).toEqual(expect.arrayContaining(['gray', 'gray-interlaced', 'rgb', 'rgb-interlaced', 'palette', 'palette-gray']));
    for (const declined of ['gray-alpha', 'rgba', 'palette-alpha', 'palette-4bit', 'rgb-16bit', 'gray-16bit', 'rgb-icc', 'jpeg']) expect(handled).not.toContain(declined);
    expect(decodeSimplePng(Buffer.from('not an image'))).toBeUndefined();
  });
});

describe('loadImage', () => {
  const presets = (channels: 1 | 3) => Object.keys(PRESETS).map((preset) => resolvePreprocess(channels, { preset }));

  it('gives the sharp-only pixels for every PNG flavour, gray and RGB models, every preset', async () => {
    const files = await flavouredPngs();
    for (const [name, path] of Object.entries(files)) {
      for (const pp of [...presets(1), ...presets(3), resolvePreprocess(3, { size: 20, resize: 20 })]) {
        const [mine, theirs] = await Promise.all([viaLoadImage(path, pp), sharpOnly(path, pp)]);
        expect(Buffer.from(mine.buffer).equals(Buffer.from(theirs.buffer)), `${name} ${JSON.stringify(pp)}`).toBe(true);
      }
    }
  });

  it('gives the sharp-only pixels for committed Fashion-MNIST images, gray and RGB models, every preset', async () => {
    const paths = committedPngs().filter((_, i) => i % 350 === 0);
    for (const path of paths) {
      for (const pp of [...presets(1), ...presets(3)]) {
        const [mine, theirs] = await Promise.all([viaLoadImage(path, pp), sharpOnly(path, pp)]);
        expect(Buffer.from(mine.buffer).equals(Buffer.from(theirs.buffer)), `${path} ${JSON.stringify(pp)}`).toBe(true);
      }
    }
  });

  it('names the file when it cannot be read or decoded', async () => {
    const pp = resolvePreprocess(1, {});
    await expect(viaLoadImage('/nowhere/x.png', pp)).rejects.toThrow(/\/nowhere\/x\.png: cannot read image \(no such file\)/);
  });
});

describe('normaliseInto', () => {
  it('writes (v/255 - mean)/std per channel as CHW, repeating a single band for every channel', () => {
    const pp: Preprocess = { resize: 1, size: 1, channels: 3, mean: [0, 0.5, 1], std: [1, 0.5, 2] };
    const rgb = new Float32Array(4);
    normaliseInto({ data: Uint8Array.from([255, 0, 51]), width: 1, height: 1, channels: 3 }, pp, rgb, 1);
    expect(Array.from(rgb)).toEqual([0, 1, -1, Math.fround((0.2 - 1) / 2)]);
    const gray = new Float32Array(3);
    normaliseInto({ data: Uint8Array.from([255]), width: 1, height: 1, channels: 1 }, pp, gray, 0);
    expect(Array.from(gray)).toEqual([1, 1, 0]);
  });
});

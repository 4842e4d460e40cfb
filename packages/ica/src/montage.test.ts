import { denormalise, type Preprocess } from '@cnnpipe/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { montagePng, type MontageInput, type MontageLayout } from './montage.js';

const size = 8;
const pp: Preprocess = { resize: 8, size: 8, channels: 1, mean: [0.5], std: [0.25] } as Preprocess;
const patch = (seed: number) => Float32Array.from({ length: size * size }, (_, i) => Math.sin(i * 0.7 + seed));

function input(over: Partial<MontageInput> = {}): MontageInput {
  return {
    layer: 'block3',
    neuron: 18,
    patches: Array.from({ length: 23 }, (_, i) => patch(i)),
    patchChannels: 1,
    components: Array.from({ length: 4 }, (_, i) => patch(100 + i)),
    componentChannels: 1,
    size,
    preprocess: pp,
    ...over,
  };
}

async function draw(over: Partial<MontageInput> = {}) {
  let layout!: MontageLayout;
  const png = await montagePng({ ...input(over), onLayout: (l) => (layout = l) });
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => data[y * info.width + x]!;
  /** Inked (text) pixels in a box of the white background. */
  const ink = (x0: number, y0: number, x1: number, y1: number) => {
    let n = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (at(x, y) < 200) n++;
    return n;
  };
  return { layout, info, at, ink };
}

describe('ICA montage', () => {
  it('draws each patch enlarged, pixel for pixel, in rank order, 10 a row', async () => {
    const { layout, at } = await draw();
    expect(layout.scale).toBe(8);
    expect(layout.cols).toBe(10);
    // Patch 12 (rank 13): row 1, column 2.
    const bytes = denormalise(patch(12), 1, pp);
    const x0 = layout.left + 2 * (layout.cell + 4);
    const y0 = layout.patchTop + 1 * (layout.cell + 4);
    for (let p = 0; p < size * size; p++) {
      const [px, py] = [p % size, Math.floor(p / size)];
      expect(Math.abs(at(x0 + px * 8 + 3, y0 + py * 8 + 3) - bytes[p]!)).toBeLessThanOrEqual(1);
    }
  });

  it('has a title, a heading over the patches and one over the components, rank labels and numbered components', async () => {
    const { layout, ink, info } = await draw();
    expect(ink(0, 0, info.width, 30)).toBeGreaterThan(100); // title (the font loaded)
    expect(ink(0, 34, info.width, layout.patchTop)).toBeGreaterThan(100); // patches' heading
    // Rank labels left of rows 1, 2, 3 ("1", "11", "21"); none left of a fourth row.
    for (let r = 0; r < 3; r++) {
      const y = layout.patchTop + r * (layout.cell + 4);
      expect(ink(12, y, layout.left - 2, y + 14), `row ${r}`).toBeGreaterThan(3);
    }
    expect(layout.compTop).toBeGreaterThan(layout.patchTop + 3 * (layout.cell + 4));
    expect(ink(0, layout.compTop - 24, info.width, layout.compTop)).toBeGreaterThan(100); // components' heading
    for (let c = 0; c < 4; c++) {
      const x = layout.left + c * (layout.cell + 4);
      expect(ink(x, layout.compTop + layout.cell, x + layout.cell, layout.compTop + layout.cell + layout.labelH), `component ${c + 1}`).toBeGreaterThan(3);
    }
    const x = layout.left + 4 * (layout.cell + 4);
    expect(ink(x, layout.compTop, x + layout.cell, layout.compTop + layout.cell + layout.labelH)).toBe(0); // no fifth
  });

  it("puts the neuron's facet in the title when known", async () => {
    const plain = await draw();
    const titled = await draw({ facet: { facet: 'MF', mf: 0.493 } });
    const right = (d: typeof plain) => d.ink(240, 0, d.info.width, 30);
    expect(right(plain)).toBe(0);
    expect(right(titled)).toBeGreaterThan(100);
  });
});

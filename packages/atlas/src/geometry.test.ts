import { describe, expect, it } from 'vitest';
import { clipBox, layerSlugs, patchRegion, receptiveBox, spriteView } from './geometry.js';
import { commonFolder } from './site-model.js';
import { spriteLayout } from './sprites.js';

describe('sprite layout', () => {
  it('packs tiles row by row into sheets no wider or taller than the limit', () => {
    const layout = spriteLayout(10, 28, 100); // 3 columns, 3 rows a sheet
    expect(layout.columns).toBe(3);
    expect(layout.sheets).toBe(2);
    expect(layout.width).toBe(84);
    expect(layout.heights).toEqual([84, 28]);
    expect(layout.slot(0)).toEqual({ sheet: 0, x: 0, y: 0 });
    expect(layout.slot(4)).toEqual({ sheet: 0, x: 28, y: 28 });
    expect(layout.slot(9)).toEqual({ sheet: 1, x: 0, y: 0 });
  });

  it('gives every tile its own slot', () => {
    const layout = spriteLayout(1000, 17, 300);
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const s = layout.slot(i);
      expect(s.x + 17).toBeLessThanOrEqual(layout.width);
      expect(s.y + 17).toBeLessThanOrEqual(layout.heights[s.sheet]!);
      seen.add(`${s.sheet}:${s.x}:${s.y}`);
    }
    expect(seen.size).toBe(1000);
  });

  it('narrows the sheet to the tiles there are', () => {
    expect(spriteLayout(2, 28).width).toBe(56);
  });
});

describe('views and receptive fields', () => {
  const layout = spriteLayout(100, 28, 280); // 10 columns

  it('scales and shifts the sheet so one tile fills the viewport', () => {
    const slot = layout.slot(12); // column 2, row 1
    expect(spriteView(layout, slot, 112)).toEqual({ width: 1120, left: -224, top: -112 });
  });

  it('zooms into a region of a tile', () => {
    const slot = layout.slot(0);
    // region 7 px wide shown at 70 px: 10x
    expect(spriteView(layout, slot, 70, { x: 14, y: 7, size: 7 })).toEqual({ width: 2800, left: -140, top: -70 });
  });

  it('boxes the receptive field of the argmax cell (as ica crops it)', () => {
    const info = { name: 'b', tensor: 't', shape: [8, 7, 7], rf: { size: 6, stride: 4, offset: 1.5 } };
    // cell (1, 2): centre 5.5 / 9.5, patch starts at centre - 2.5
    expect(receptiveBox(1 * 7 + 2, info)).toEqual({ left: 7, top: 3, size: 6 });
    expect(receptiveBox(null, info)).toBeUndefined();
    expect(receptiveBox(3, { ...info, rf: undefined })).toBeUndefined();
  });

  it('clips the card patch into the image, and shows the whole image for a field larger than it', () => {
    const pp = { resize: 28, size: 28, channels: 1 as const, mean: [0], std: [1] };
    const info = { name: 'b', tensor: 't', shape: [8, 7, 7], rf: { size: 12, stride: 4, offset: 1.5 } };
    expect(patchRegion(0, info, pp, 28)).toEqual({ x: 0, y: 0, size: 12 }); // starts at -4: clipped to 0
    expect(patchRegion(48, info, pp, 56)).toEqual({ x: 32, y: 32, size: 24 }); // ends past 28: moved in, x2 scale
    expect(patchRegion(0, { ...info, rf: { size: 50, stride: 8, offset: 3.5 } }, pp, 28)).toEqual({ x: 0, y: 0, size: 28 });
  });
});

describe('names', () => {
  it('makes distinct, safe folder names for layers', () => {
    expect(layerSlugs(['features.28', '/a/b:0', 'a-b-0', 'img', ''])).toEqual(['features.28', 'a-b-0', 'a-b-0-2', 'img-2', 'layer']);
  });

  it('finds the folder all image paths share', () => {
    expect(commonFolder(['/d/test/shirt/1.png', '/d/test/bag/2.png'])).toBe('/d/test/');
    expect(commonFolder(['a.png', 'b/c.png'])).toBe('');
    expect(commonFolder(['/x/a.png'])).toBe('/x/');
  });
});

describe('a receptive field drawn on its image', () => {
  it('inside the image: the field itself, no side past the edge', () => {
    const c = clipBox({ left: 4, top: 6, size: 12 }, 28);
    expect(c).toEqual({ left: 4, top: 6, width: 12, height: 12, centre: { x: 10, y: 12 }, past: { left: false, top: false, right: false, bottom: false } });
  });
  it('over an edge: the part inside, that side past', () => {
    const c = clipBox({ left: -5, top: 20, size: 12 }, 28);
    expect([c.left, c.top, c.width, c.height]).toEqual([0, 20, 7, 8]);
    expect(c.past).toEqual({ left: true, top: false, right: false, bottom: true });
    expect(c.centre).toEqual({ x: 1, y: 26 });
  });
  it('larger than the image (VGG block4, 50 px on 28): the whole image, every side past, the centre kept', () => {
    const c = clipBox({ left: -13.5, top: -9.5, size: 50 }, 28);
    expect([c.left, c.top, c.width, c.height]).toEqual([0, 0, 28, 28]);
    expect(Object.values(c.past)).toEqual([true, true, true, true]);
    expect(c.centre).toEqual({ x: 11.5, y: 15.5 });
  });
});

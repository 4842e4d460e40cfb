import { describe, expect, it } from 'vitest';
import { readProbe } from './broden.js';
import { loadSegmentation } from './masks.js';
import { PROBE } from './test-support/helpers.js';

describe("the fashion probe's Broden edge cases", () => {
  const probe = readProbe(PROBE);
  const row = (n: number) => probe.images.find((im) => im.path.endsWith(`fmnist/${String(n).padStart(5, '0')}.png`))!;

  it('reads categories in NetDissect-Lite order and every row with labels', () => {
    expect(probe.categories).toEqual(['object', 'part', 'scene', 'texture', 'color']);
    expect(probe.images.length).toBe(120);
    expect(probe.names[300]).toBe('shaft');
    expect(probe.primary[300]).toBe(probe.categories.indexOf('part'));
    expect(probe.primary[9]).toBe(-1); // no label 9
  });

  it("skips a scene cell '0', reads ';' lists of masks and of image-level labels", () => {
    expect(row(3).scalars).toEqual([]); // scene '0': Broden's defect, no label
    expect(row(5).scalars.length).toBe(2); // two scenes
    expect(row(0).masks.filter((m) => m.includes('_part_')).length).toBe(2); // several part masks
  });

  it('reads an image with only image-level labels', () => {
    expect(row(9).masks).toEqual([]);
    expect(row(9).scalars).toEqual([259]);
  });

  it('decodes labels above 255 as R + 256 G', async () => {
    const im = row(0);
    const seg = await loadSegmentation(im, probe.names);
    const labels = new Set(seg.planes);
    expect([...labels].some((l) => l >= 300 && l <= 307)).toBe(true);
    expect([...labels].every((l) => l === 0 || probe.names[l] !== null)).toBe(true);
    expect(seg.count).toBe(im.masks.length);
  });

  it('limits the categories to --categories, in its order', () => {
    const two = readProbe(PROBE, ['texture', 'color']);
    expect(two.categories).toEqual(['texture', 'color']);
    expect(two.primary[10]).toBe(-1); // a garment is in neither
    expect(two.images.find((im) => im.path.endsWith('00009.png'))!.scalars).toEqual([259]);
  });
});

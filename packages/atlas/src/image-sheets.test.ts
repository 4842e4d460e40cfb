import { describe, expect, it } from 'vitest';
import type { AtlasData, Neuron } from './data.js';
import { planImageSheets } from './image-sheets.js';

const neuron = (layer: string, n: number, images: string[]): Neuron => ({
  layer,
  neuron: n,
  components: [],
  top: images.map((image, i) => ({ rank: i + 1, image, label: null, cls: null, value: 1 - i / 100, argmax: null })),
});

function data(channels: 1 | 3): AtlasData {
  return {
    classes: [],
    preprocess: { resize: 28, size: 28, channels, mean: [0], std: [1] },
    layers: [
      { name: 'a', neurons: [neuron('a', 0, ['x', 'y', 'z']), neuron('a', 1, ['y', 'w']), neuron('a', 2, [])] },
      { name: 'b', neurons: [neuron('b', 5, ['z', 'x'])] },
    ],
  };
}
const slugs = new Map([
  ['a', 'a'],
  ['b', 'b'],
]);

describe('image sheet planning', () => {
  it('draws each distinct image once while they fit in a few shared sheets', () => {
    const sheets = planImageSheets(data(1), slugs, { top: 100, tile: 28, maxSide: 2048 });
    expect(sheets.mode).toBe('shared');
    expect(sheets.distinct).toEqual(['x', 'y', 'z', 'w']);
    expect(sheets.sets).toHaveLength(1);
    expect(sheets.sets[0]!.paths).toEqual(['x', 'y', 'z', 'w']);
    // neuron a/1's first image is 'y', tile 1; b/5's second is 'x', tile 0
    expect(sheets.top('a', 1, 0)).toMatchObject({ file: 'img/images-0.png', slot: { sheet: 0, x: 28, y: 0 } });
    expect(sheets.top('b', 5, 1).slot).toEqual({ sheet: 0, x: 0, y: 0 });
    expect(sheets.card('a', 0)!.slot).toEqual({ sheet: 0, x: 0, y: 0 });
    expect(sheets.card('a', 2)).toBeUndefined();
  });

  it('gives each neuron its own sheet and each layer a card sheet when shared sheets would be too many', () => {
    const sheets = planImageSheets(data(1), slugs, { top: 2, tile: 28, maxSide: 2048, maxSharedSheets: 0 });
    expect(sheets.mode).toBe('per-neuron');
    const files = sheets.sets.flatMap((s) => Array.from({ length: s.layout.sheets }, (_, i) => s.file(i)));
    expect(files).toEqual(['img/a/0.png', 'img/a/1.png', 'img/a/cards-0.png', 'img/b/5.png', 'img/b/cards-0.png']);
    // --top 2 keeps two images of a/0
    expect(sheets.sets[0]!.paths).toEqual(['x', 'y']);
    expect(sheets.top('a', 1, 1)).toMatchObject({ file: 'img/a/1.png', slot: { sheet: 0, x: 28, y: 0 } });
    expect(sheets.card('a', 1)).toMatchObject({ file: 'img/a/cards-0.png', slot: { sheet: 0, x: 28, y: 0 } });
    expect(sheets.card('b', 5)).toMatchObject({ file: 'img/b/cards-0.png', slot: { sheet: 0, x: 0, y: 0 } });
  });

  it('lays a neuron sheet out ten images a row in one file', () => {
    const many = data(1);
    many.layers[0]!.neurons[0] = neuron('a', 0, Array.from({ length: 25 }, (_, i) => `i${i}`));
    const sheets = planImageSheets(many, slugs, { top: 100, tile: 64, maxSide: 2048, maxSharedSheets: 0 });
    const layout = sheets.sets[0]!.layout;
    expect([layout.sheets, layout.width, layout.heights[0]]).toEqual([1, 640, 192]);
    expect(sheets.top('a', 0, 24).slot).toEqual({ sheet: 0, x: 256, y: 128 });
  });

  it('uses JPEG for colour photo thumbnails and PNG for gray or tiny ones', () => {
    expect(planImageSheets(data(3), slugs, { top: 100, tile: 96, maxSide: 2048 }).format).toBe('jpg');
    expect(planImageSheets(data(3), slugs, { top: 100, tile: 96, maxSide: 2048 }).sets[0]!.file(0)).toBe('img/images-0.jpg');
    expect(planImageSheets(data(3), slugs, { top: 100, tile: 28, maxSide: 2048 }).format).toBe('png');
    expect(planImageSheets(data(1), slugs, { top: 100, tile: 96, maxSide: 2048 }).format).toBe('png');
  });
});

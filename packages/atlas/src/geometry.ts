import { patchOrigin, type LayerInfo, type Preprocess } from '@cnnpipe/core';
import type { SpriteLayout, SpriteSlot } from './sprites.js';

/** A square region of a tile, in tile pixels. */
export interface Region {
  x: number;
  y: number;
  size: number;
}

/** CSS (px) that shows `region` of a sprite tile in a `display` px square viewport. */
export interface SpriteView {
  width: number;
  left: number;
  top: number;
}

export function spriteView(layout: SpriteLayout, slot: SpriteSlot, display: number, region?: Region): SpriteView {
  const r = region ?? { x: 0, y: 0, size: layout.tile };
  const scale = display / r.size;
  return { width: layout.width * scale, left: -(slot.x + r.x) * scale, top: -(slot.y + r.y) * scale };
}

/** The receptive field of feature cell `argmax`, in input pixels (may reach past the image). */
export function receptiveBox(argmax: number | null, info: LayerInfo | undefined): { left: number; top: number; size: number } | undefined {
  if (argmax === null || !info?.rf || info.shape.length < 3) return undefined;
  const { top, left } = patchOrigin(argmax, info.shape[2]!, info.rf);
  return { left, top, size: info.rf.size };
}

/** A receptive field clipped to the image, in input pixels, with the sides that reach past it. */
export interface ClippedBox {
  left: number;
  top: number;
  width: number;
  height: number;
  /** The field's centre (the peak cell), which stays where it is. */
  centre: { x: number; y: number };
  /** Sides of the field beyond the image: drawn dashed at the image's edge. */
  past: { left: boolean; top: boolean; right: boolean; bottom: boolean };
}

/**
 * What of a receptive field can be drawn on its image: the part inside the image (the whole
 * image when the field is larger than it, as VGG's block4 on 28 px inputs or ResNet18's
 * layer4 at 224), the sides that continue past the edge, and the field's centre.
 */
export function clipBox(box: { left: number; top: number; size: number }, image: number): ClippedBox {
  const x0 = Math.max(0, box.left);
  const y0 = Math.max(0, box.top);
  const x1 = Math.min(image, box.left + box.size);
  const y1 = Math.min(image, box.top + box.size);
  return {
    left: x0,
    top: y0,
    width: Math.max(0, x1 - x0),
    height: Math.max(0, y1 - y0),
    centre: { x: box.left + box.size / 2, y: box.top + box.size / 2 },
    past: { left: box.left < 0, top: box.top < 0, right: box.left + box.size > image, bottom: box.top + box.size > image },
  };
}

/**
 * The square region of a thumbnail that shows a neuron's receptive field, clipped to the
 * image (a field larger than the image shows the whole image): the card's "top patch".
 */
export function patchRegion(argmax: number | null, info: LayerInfo | undefined, pp: Preprocess, tile: number): Region {
  const box = receptiveBox(argmax, info);
  if (!box || box.size >= pp.size) return { x: 0, y: 0, size: tile };
  const clamp = (start: number) => Math.min(Math.max(start, 0), pp.size - box.size);
  const scale = tile / pp.size;
  return { x: clamp(box.left) * scale, y: clamp(box.top) * scale, size: box.size * scale };
}

/** Safe, distinct folder names for layers (`features.28` stays, `/a/b:0` becomes `a-b-0`). */
export function layerSlugs(names: string[]): string[] {
  const used = new Set<string>(['img']);
  return names.map((name) => {
    const base = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'layer';
    let slug = base;
    for (let i = 2; used.has(slug.toLowerCase()); i++) slug = `${base}-${i}`;
    used.add(slug.toLowerCase());
    return slug;
  });
}

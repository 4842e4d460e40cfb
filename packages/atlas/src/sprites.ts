import { PixelCanvas, loadSharp } from '@cnnpipe/core';

/** Where a tile sits: which sheet, and its top-left pixel in it. */
export interface SpriteSlot {
  sheet: number;
  x: number;
  y: number;
}

/** How `count` square tiles of `tile` px pack into sheets at most `maxWidth` x `maxHeight` px. */
export interface SpriteLayout {
  tile: number;
  columns: number;
  rowsPerSheet: number;
  sheets: number;
  /** Every sheet is `width` wide (a short last sheet too, so one CSS width fits all). */
  width: number;
  /** Height of each sheet (the last may be shorter). */
  heights: number[];
  slot(index: number): SpriteSlot;
}

/**
 * Packs tiles row by row into as few sheets as fit: thousands of thumbnails become a
 * handful of PNG files instead of one file each.
 */
export function spriteLayout(count: number, tile: number, maxWidth = 2048, maxHeight = maxWidth): SpriteLayout {
  if (!(tile > 0)) throw new Error(`tile size must be positive, got ${tile}`);
  const columns = Math.max(1, Math.min(count, Math.floor(maxWidth / tile)));
  const rowsPerSheet = Math.max(1, Math.floor(maxHeight / tile));
  const perSheet = columns * rowsPerSheet;
  const sheets = Math.ceil(count / perSheet);
  const heights = Array.from({ length: sheets }, (_, s) => {
    const onSheet = Math.min(perSheet, count - s * perSheet);
    return Math.ceil(onSheet / columns) * tile;
  });
  return {
    tile,
    columns,
    rowsPerSheet,
    sheets,
    width: columns * tile,
    heights,
    slot(index: number): SpriteSlot {
      const sheet = Math.floor(index / perSheet);
      const within = index - sheet * perSheet;
      return { sheet, x: (within % columns) * tile, y: Math.floor(within / columns) * tile };
    },
  };
}

/** PNG keeps pixels exact (small and gray images); JPEG keeps photo thumbnails small. */
export type SheetFormat = 'png' | 'jpg';

/** A square tile, CHW bytes with 1 or 3 channels. */
export interface Tile {
  pixels: Uint8Array;
  channels: number;
}

/**
 * Renders the sheets of a layout one at a time (so memory holds one sheet's tiles, not
 * all), handing each PNG to `write`. `tileAt(i)` makes tile i, `tile` x `tile` px.
 */
export async function renderSheets(
  layout: SpriteLayout,
  count: number,
  channels: 1 | 3,
  tileAt: (index: number) => Promise<Tile>,
  write: (sheet: number, image: Buffer) => void,
  format: SheetFormat = 'png',
  concurrency = 8,
): Promise<void> {
  const perSheet = layout.columns * layout.rowsPerSheet;
  for (let s = 0; s < layout.sheets; s++) {
    const canvas = new PixelCanvas(layout.width, layout.heights[s]!, channels, 255);
    const first = s * perSheet;
    const last = Math.min(count, first + perSheet);
    let next = first;
    const worker = async () => {
      for (let i = next++; i < last; i = next++) {
        const { x, y } = layout.slot(i);
        const t = await tileAt(i);
        canvas.drawChw(t.pixels, t.channels, layout.tile, layout.tile, x, y);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const raw = (await loadSharp())(canvas.data, { raw: { width: layout.width, height: layout.heights[s]!, channels } });
    write(s, await (format === 'png' ? raw.png({ compressionLevel: 9 }) : raw.jpeg({ quality: 85 })).toBuffer());
  }
}

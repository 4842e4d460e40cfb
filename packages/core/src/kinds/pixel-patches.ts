import { Float32 } from 'apache-arrow';
import { int32Data } from '../arrow/columns.js';
import type { Columns } from './codec.js';
import { int32Column } from './decode-columns.js';
import { flatListData, listValues, type FlatList } from './list-columns.js';

/**
 * The image-patch columns the components and saliency kinds end with: per row a
 * height x width x channels patch of float32 pixels (CHW, row-major).
 */
export interface PixelPatches {
  height: Int32Array;
  width: Int32Array;
  channels: Int32Array;
  pixels: FlatList<Float32Array>;
}

export function decodePixelPatches(columns: Columns): PixelPatches {
  return {
    height: int32Column(columns, 'height'),
    width: int32Column(columns, 'width'),
    channels: int32Column(columns, 'channels'),
    pixels: listValues(columns.getChild('pixels')!, new Float32Array(0)),
  };
}

/** The patch columns' data, in table order (height, width, channels, pixels). */
export function pixelPatchData(rows: PixelPatches) {
  return {
    height: int32Data(rows.height),
    width: int32Data(rows.width),
    channels: int32Data(rows.channels),
    pixels: flatListData(rows.pixels, () => new Float32()),
  };
}

export function emptyPixelPatches(): PixelPatches {
  const none = new Int32Array(0);
  return { height: none, width: none, channels: none, pixels: { values: new Float32Array(0), offsets: new Int32Array(1) } };
}

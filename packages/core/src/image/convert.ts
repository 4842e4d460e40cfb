import type { RawImage } from './decode.js';

/**
 * PIL's `convert('L')` (Pillow src/libImaging/Convert.c, rgb2l / rgba2l / la2l): ITU-R 601-2
 * luma in 16-bit fixed point, (R*19595 + G*38470 + B*7471 + 0x8000) >> 16; alpha is dropped,
 * gray+alpha keeps its gray band. What torchvision's Grayscale and a notebook's
 * `Image.open(p).convert('L')` give; libvips' greyscale is a different formula.
 */
export function grayLikePil(image: RawImage): RawImage {
  const { width, height, channels, data } = image;
  const pixels = width * height;
  const out = new Uint8Array(pixels);
  if (channels === 1) out.set(data.subarray(0, pixels));
  else if (channels === 2) for (let p = 0; p < pixels; p++) out[p] = data[p * 2]!;
  else {
    for (let p = 0, i = 0; p < pixels; p++, i += channels) out[p] = (data[i]! * 19595 + data[i + 1]! * 38470 + data[i + 2]! * 7471 + 0x8000) >> 16;
  }
  return { data: out, width, height, channels: 1 };
}

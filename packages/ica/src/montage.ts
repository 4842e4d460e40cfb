import sharp from 'sharp';
import type { Preprocess } from '@cnnpipe/core';

/** A component min-max scaled to 0..255 (a constant component is mid-gray). */
export function toUint8(values: Float32Array): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Uint8Array(values.length);
  const span = hi - lo;
  for (let i = 0; i < values.length; i++) out[i] = span > 0 ? Math.round(((values[i]! - lo) / span) * 255) : 128;
  return out;
}

/** A normalised CHW patch back to 0..255 pixels. */
function denormalise(patch: Float32Array, channels: number, pp: Preprocess): Uint8Array {
  const plane = patch.length / channels;
  const out = new Uint8Array(patch.length);
  for (let c = 0; c < channels; c++) {
    const m = pp.mean[c] ?? 0;
    const s = pp.std[c] ?? 1;
    for (let p = 0; p < plane; p++) {
      out[c * plane + p] = Math.max(0, Math.min(255, Math.round((patch[c * plane + p]! * s + m) * 255)));
    }
  }
  return out;
}

export interface MontageInput {
  /** Top patches (CHW, `patchChannels` x size x size), in rank order. */
  patches: Float32Array[];
  patchChannels: number;
  /** Components (CHW, `componentChannels` x size x size). */
  components: Float32Array[];
  componentChannels: number;
  size: number;
  preprocess: Preprocess;
}

/**
 * A PNG: the top patches in a grid (up to 10 a row), a gap, then the components in a row
 * (each min-max scaled to 0..255). Cells are enlarged so small patches stay visible.
 */
export async function montagePng(input: MontageInput): Promise<Buffer> {
  const { patches, components, size } = input;
  const cols = Math.max(1, Math.min(10, Math.max(patches.length, components.length)));
  const gap = 2;
  const cell = size + gap;
  const patchRows = Math.ceil(patches.length / cols);
  const compRows = Math.ceil(components.length / cols);
  const sep = components.length > 0 && patches.length > 0 ? 6 : 0;
  const width = cols * cell + gap;
  const height = (patchRows + compRows) * cell + gap + sep;
  const outChannels = Math.max(input.patchChannels, input.componentChannels) === 1 ? 1 : 3;
  const img = new Uint8Array(width * height * outChannels).fill(160);
  const draw = (pixels: Uint8Array, channels: number, x0: number, y0: number) => {
    const plane = size * size;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < outChannels; c++) {
          const src = channels === 1 ? pixels[y * size + x]! : pixels[c * plane + y * size + x]!;
          img[((y0 + y) * width + x0 + x) * outChannels + c] = src;
        }
      }
    }
  };
  patches.forEach((p, i) =>
    draw(denormalise(p, input.patchChannels, input.preprocess), input.patchChannels, gap + (i % cols) * cell, gap + Math.floor(i / cols) * cell),
  );
  const top = gap + patchRows * cell + sep;
  components.forEach((comp, i) =>
    draw(toUint8(comp), input.componentChannels, gap + (i % cols) * cell, top + Math.floor(i / cols) * cell),
  );
  const scale = Math.max(1, Math.min(8, Math.round(64 / size)));
  return sharp(Buffer.from(img), { raw: { width, height, channels: outChannels as 1 | 3 } })
    .resize(width * scale, height * scale, { kernel: 'nearest' })
    .png()
    .toBuffer();
}

import sharp from 'sharp';
import { PixelCanvas, denormalise, minMaxBytes, type Preprocess } from '@cnnpipe/core';

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
  const outChannels: 1 | 3 = Math.max(input.patchChannels, input.componentChannels) === 1 ? 1 : 3;
  const canvas = new PixelCanvas(width, height, outChannels, 160);
  patches.forEach((p, i) =>
    canvas.drawChw(denormalise(p, input.patchChannels, input.preprocess), input.patchChannels, size, size, gap + (i % cols) * cell, gap + Math.floor(i / cols) * cell),
  );
  const top = gap + patchRows * cell + sep;
  components.forEach((comp, i) =>
    canvas.drawChw(minMaxBytes(comp), input.componentChannels, size, size, gap + (i % cols) * cell, top + Math.floor(i / cols) * cell),
  );
  const scale = Math.max(1, Math.min(8, Math.round(64 / size)));
  return sharp(canvas.data, { raw: { width, height, channels: outChannels } })
    .resize(width * scale, height * scale, { kernel: 'nearest' })
    .png()
    .toBuffer();
}

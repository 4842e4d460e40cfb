import { CliError } from '@cnnpipe/core';

/**
 * Seeds: the gradient of an objective with respect to a tap, given to the graph as its
 * seed input. All are batch-major Float32Arrays of N · prod(tapShape).
 */

const sizeOf = (shape: number[]) => shape.reduce((p, d) => p * d, 1);

/** Channel mean per image n: 1/(H·W) over channel channels[n] (1 at that entry of a [C] vector tap). */
export function channelMeanSeed(tapShape: number[], channels: number[]): Float32Array {
  const [c, ...spatial] = tapShape as [number, ...number[]];
  const cells = sizeOf(spatial);
  const seed = new Float32Array(channels.length * c * cells);
  channels.forEach((channel, n) => {
    if (!(channel >= 0 && channel < c)) throw new CliError(`channel ${channel} is out of range (the layer has ${c} channels)`);
    seed.fill(1 / cells, (n * c + channel) * cells, (n * c + channel + 1) * cells);
  });
  return seed;
}

/** One unit per image: 1 at (channel, y, x); y and x are ignored for a [C] tap. */
export function neuronSeed(tapShape: number[], neurons: { channel: number; y?: number; x?: number }[]): Float32Array {
  const [c, h = 1, w = 1] = tapShape as [number, number?, number?];
  const per = sizeOf(tapShape);
  const seed = new Float32Array(neurons.length * per);
  neurons.forEach(({ channel, y = 0, x = 0 }, n) => {
    if (!(channel >= 0 && channel < c && y >= 0 && y < h && x >= 0 && x < w)) throw new CliError(`unit (${channel}, ${y}, ${x}) is outside the layer's [${tapShape.join(', ')}]`);
    seed[n * per + (channel * h + y) * w + x] = 1;
  });
  return seed;
}

/** DeepDream's mean of squares over one image: 2·A / numel, from the tap's value A. */
export function meanSquareSeed(values: Float32Array, tapShape: number[]): Float32Array {
  const scale = 2 / sizeOf(tapShape);
  const seed = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) seed[i] = values[i]! * scale;
  return seed;
}

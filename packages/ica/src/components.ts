import { fastICA, type FastIcaOptions, type FastIcaResult } from './fastica.js';
import { grayOf } from './patches.js';

export type ChannelMode = 'gray' | 'rgb' | 'joint';

export interface NeuronComponents {
  /** Channels of each component (1 for gray, else the image's channels). */
  channels: number;
  /** One CHW float32 array per component (channels x size x size). */
  components: Float32Array[];
  /** Components the rank allowed (before rgb stacking takes the minimum over channels). */
  rank: number;
  converged: boolean;
  /** FastICA iterations run (the most over the channels in rgb mode). */
  iterations: number;
}

function stack(rows: Float32Array[], features: number): Float64Array {
  const x = new Float64Array(rows.length * features);
  rows.forEach((r, i) => x.set(r, i * features));
  return x;
}

function columns(mixing: Float64Array, features: number, k: number): Float32Array[] {
  return Array.from({ length: k }, (_, c) => {
    const out = new Float32Array(features);
    for (let j = 0; j < features; j++) out[j] = mixing[j * k + c]!;
    return out;
  });
}

/**
 * The ICA basis patterns of one neuron's patches (each CHW, `channels` x `size` x `size`):
 * gray = ICA of the channel mean; joint = ICA of all channels concatenated; rgb = ICA of
 * each channel separately, the j-th components of the channels stacked (as the study did).
 */
export async function neuronComponents(
  patches: Float32Array[],
  channels: number,
  size: number,
  mode: ChannelMode,
  options: FastIcaOptions,
): Promise<NeuronComponents> {
  const plane = size * size;
  const n = patches.length;
  if (mode === 'gray' || (mode === 'rgb' && channels === 1)) {
    const r = await fastICA(stack(patches.map((p) => grayOf(p, channels)), plane), n, plane, options);
    return { channels: 1, components: columns(r.mixing, plane, r.components), rank: r.rank, converged: r.converged, iterations: r.iterations };
  }
  if (mode === 'joint') {
    const features = channels * plane;
    const r = await fastICA(stack(patches, features), n, features, options);
    return { channels, components: columns(r.mixing, features, r.components), rank: r.rank, converged: r.converged, iterations: r.iterations };
  }
  const perChannel: { r: FastIcaResult; cols: Float32Array[] }[] = [];
  for (let c = 0; c < channels; c++) {
    const r = await fastICA(stack(patches.map((p) => p.subarray(c * plane, (c + 1) * plane)), plane), n, plane, options);
    perChannel.push({ r, cols: columns(r.mixing, plane, r.components) });
  }
  const k = Math.min(...perChannel.map((p) => p.r.components));
  const components = Array.from({ length: k }, (_, j) => {
    const out = new Float32Array(channels * plane);
    perChannel.forEach((p, c) => out.set(p.cols[j]!, c * plane));
    return out;
  });
  return {
    channels,
    components,
    rank: Math.min(...perChannel.map((p) => p.r.rank)),
    converged: perChannel.every((p) => p.r.converged),
    iterations: Math.max(...perChannel.map((p) => p.r.iterations)),
  };
}

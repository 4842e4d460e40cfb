import { CliError, readRows, type LayerInfo, type TopkBatch } from '@cnnpipe/core';

/** One topk entry that matters here. */
export interface Entry {
  rank: number;
  image: string;
  argmax: number;
}

/** The topk rows grouped by layer then neuron, each group in rank order; layers in order of appearance. */
export function groupRows(batches: TopkBatch[], source: string): Map<string, Map<number, Entry[]>> {
  const groups = new Map<string, Map<number, Entry[]>>();
  for (const batch of batches) {
    const { neuron, rank } = batch;
    const layer = readRows(batch.layer, batch.rows);
    const image = readRows(batch.image, batch.rows);
    for (let r = 0; r < batch.rows; r++) {
      const a = batch.argmax?.(r) ?? null;
      const l = layer[r];
      const path = image[r];
      if (l === null || l === undefined) throw new CliError(`${source}: row ${r} has no layer (expected a layer name)`);
      if (path === null || path === undefined) throw new CliError(`${source}: row ${r} has no image path (expected a path)`);
      if (a === null || a < 0) {
        throw new CliError(`${source}: layer '${l}' neuron ${neuron[r]} has no argmax (expected the argmax of a convolutional layer: extract --argmax)`);
      }
      let byNeuron = groups.get(l);
      if (!byNeuron) groups.set(l, (byNeuron = new Map()));
      let list = byNeuron.get(neuron[r]!);
      if (!list) byNeuron.set(neuron[r]!, (list = []));
      list.push({ rank: rank[r]!, image: path, argmax: a });
    }
  }
  for (const byNeuron of groups.values()) for (const list of byNeuron.values()) list.sort((a, b) => a.rank - b.rank);
  return groups;
}

/** A layer's feature-map width and receptive field, from the cnnpipe.layers that extract writes. */
export function layerInfo(layers: LayerInfo[] | undefined, name: string, source: string): { width: number; height: number; rf: NonNullable<LayerInfo['rf']> } {
  const info = layers?.find((l) => l.name === name);
  if (!info) {
    throw new CliError(`${source}: layer '${name}' is not in cnnpipe.layers (expected its shape and receptive field, as extract writes them)`);
  }
  const [, height, width] = info.shape;
  if (info.shape.length !== 3 || !height || !width || !info.rf) {
    throw new CliError(`${source}: layer '${name}' has shape [${info.shape.join(',')}]${info.rf ? '' : ' and no receptive field'} (expected a convolutional layer [C,H,W] with rf)`);
  }
  return { width, height, rf: info.rf };
}


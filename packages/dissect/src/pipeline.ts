import type { Progress } from '@cnnpipe/core';
import type { Probe, ProbeImage } from './broden.js';
import type { FeatureBatch, FeatureLayer } from './features.js';
import { loadSegmentation, type Segmentation } from './masks.js';
import { TopValues, keepCount } from './quantile.js';
import type { SpillFile } from './spill.js';
import { TallyKernel, addTruth, emptyTally, type LayerTally } from './tally.js';
import type { TopImages } from './top-images.js';

/** Values per unit of a layer over the whole probe (every shard): images x h x w. */
export function valuesPerUnit(layer: FeatureLayer, totalImages: number): number {
  return totalImages * layer.h * layer.w;
}

/** Pass 1: each unit's top values (and, with a spill file, the maps kept for pass 2). */
export async function thresholdPass(
  source: AsyncIterable<FeatureBatch>,
  layers: FeatureLayer[],
  totalImages: number,
  quantile: number,
  spill?: SpillFile,
  progress?: Progress,
): Promise<TopValues[]> {
  const tops = layers.map((l) => new TopValues(l.units, keepCount(valuesPerUnit(l, totalImages), quantile)));
  for await (const batch of source) {
    layers.forEach((l, i) => tops[i]!.addBatch(batch.maps[i]!, batch.count, l.h * l.w));
    spill?.write(batch);
    progress?.tick(batch.count);
  }
  return tops;
}

export interface TallyResult {
  tallies: LayerTally[];
  /** G[l]: pixels of each label over the images tallied. */
  truth: Float64Array;
  images: number;
}

/** Pass 2: the sums, image by image; the next batch's masks load while this one is counted. */
export async function tallyPass(
  source: AsyncIterable<FeatureBatch>,
  images: ProbeImage[],
  probe: Probe,
  layers: FeatureLayer[],
  thresholds: Float64Array[],
  progress?: Progress,
  tops?: TopImages[],
): Promise<TallyResult> {
  const L = probe.names.length;
  const C = probe.categories.length;
  const tallies = layers.map((l) => emptyTally(l.units, L, C));
  const truth = new Float64Array(L);
  const kernels = new Map<string, TallyKernel>();
  const kernel = (l: FeatureLayer, im: ProbeImage) => {
    const key = `${l.h}x${l.w}:${im.sh}x${im.sw}`;
    let k = kernels.get(key);
    if (!k) kernels.set(key, (k = new TallyKernel(l.h, l.w, im.sh, im.sw, C)));
    return k;
  };
  const pending = new Map<number, Promise<Segmentation>>();
  const segmentation = (i: number) => {
    let p = pending.get(i);
    if (!p) {
      p = loadSegmentation(images[i]!, probe.names);
      p.catch(() => undefined);
      pending.set(i, p);
    }
    return p;
  };
  let tallied = 0;
  for await (const batch of source) {
    const segs = await Promise.all(Array.from({ length: batch.count }, (_, j) => segmentation(batch.first + j)));
    for (let j = batch.count; j < 2 * batch.count && batch.first + j < images.length; j++) void segmentation(batch.first + j);
    for (let j = 0; j < batch.count; j++) {
      const im = images[batch.first + j]!;
      const seg = segs[j]!;
      pending.delete(batch.first + j);
      addTruth(truth, seg.planes, im.scalars, im.sh * im.sw);
      layers.forEach((l, i) => {
        kernel(l, im).addImage(tallies[i]!, batch.maps[i]!, j * l.units * l.h * l.w, thresholds[i]!, seg.planes, seg.count, im.scalars, probe.primary);
        tops?.[i]!.addImage(batch.maps[i]!, j * l.units * l.h * l.w, batch.first + j);
      });
    }
    tallied += batch.count;
    progress?.tick(batch.count);
  }
  return { tallies, truth, images: tallied };
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { LruCache, flatList, loadPreprocessed, type ComponentsRows, type LayerInfo, type Preprocess, type ToolContext } from '@cnnpipe/core';
import { neuronComponents, type ChannelMode } from './components.js';
import { facetKey, readFacets } from './facets.js';
import { montagePng } from './montage.js';
import { cropPatch } from './patches.js';
import type { Entry } from './rows.js';

/** What the per-neuron loop needs from the command line. */
export interface IcaSettings {
  components: number;
  channels: ChannelMode;
  images?: string;
  montage?: string;
  stats?: string;
  maxIter: number;
  tol: number;
  seed: number;
}

const MAX_WARNINGS = 10;

/**
 * For each layer (in order) and neuron: its top patches cropped, FastICA over them, the
 * montage PNG if asked; `write` gets each layer's components rows. Warns about neurons
 * with fewer components and those whose FastICA did not converge.
 */
export async function icaByLayer(
  groups: Map<string, Map<number, Entry[]>>,
  infos: Map<string, { width: number; rf: NonNullable<LayerInfo['rf']> }>,
  pp: Preprocess,
  args: IcaSettings,
  ctx: ToolContext,
  write: (rows: ComponentsRows) => Promise<void>,
): Promise<void> {
  if (args.montage) mkdirSync(args.montage, { recursive: true });
  const facets = await readFacets(args.stats);
  // Decoded images are shared by many neurons' top lists; keep the recent ones.
  const cache = new LruCache<string, Promise<Float32Array>>(512);
  const pathOf = (image: string) => (isAbsolute(image) || !args.images ? image : resolve(args.images, image));
  let total = 0;
  for (const byNeuron of groups.values()) total += byNeuron.size;
  const progress = ctx.progress('neurons', total, 'neurons');
  let fewer = 0;
  let unconverged = 0;

  for (const [layer, byNeuron] of groups) {
    const { width, rf } = infos.get(layer)!;
    const names: string[] = [];
    const neurons: number[] = [];
    const index: number[] = [];
    const dims: number[] = [];
    const pixels: Float32Array[] = [];
    for (const [neuron, entries] of byNeuron) {
      const patches: Float32Array[] = [];
      for (const e of entries) {
        const image = await cache.get(pathOf(e.image), (path) => loadPreprocessed(path, pp));
        patches.push(cropPatch(image, pp.channels, pp.size, e.argmax, width, rf));
      }
      const result = await neuronComponents(patches, pp.channels, rf.size, args.channels, {
        components: args.components,
        maxIter: args.maxIter,
        tol: args.tol,
        seed: args.seed,
      });
      const k = result.components.length;
      if (k < args.components) {
        if (fewer < MAX_WARNINGS) {
          ctx.warn(`${layer} neuron ${neuron}: ${k} components (asked ${args.components}; ${patches.length} patches span ${result.rank} dimensions)`);
        }
        fewer++;
      }
      if (!result.converged) unconverged++;
      result.components.forEach((comp, c) => {
        names.push(layer);
        neurons.push(neuron);
        index.push(c);
        dims.push(result.channels);
        pixels.push(comp);
      });
      if (args.montage) {
        const png = await montagePng({
          layer, neuron, facet: facets?.get(facetKey(layer, neuron)),
          patches,
          patchChannels: pp.channels,
          components: result.components,
          componentChannels: result.channels,
          size: rf.size,
          preprocess: pp,
        });
        writeFileSync(join(args.montage, `${layer.replace(/[/\\]/g, '_')}-${neuron}.png`), png);
      }
      progress.tick(1);
    }
    const rows = names.length;
    await write({
      layer: names,
      neuron: Int32Array.from(neurons),
      component: Int32Array.from(index),
      height: new Int32Array(rows).fill(rf.size),
      width: new Int32Array(rows).fill(rf.size),
      channels: Int32Array.from(dims),
      pixels: flatList(pixels, new Float32Array(0)),
    });
  }
  progress.finish();
  if (fewer > MAX_WARNINGS) ctx.warn(`${fewer} neurons in all got fewer than ${args.components} components`);
  // More iterations barely help (2000 still left 61 of 86 on the demo VGG, k=100, 8
  // components); fewer components or a larger tolerance do (4 components: 40; --tol 1e-2: 30).
  if (unconverged > 0) {
    ctx.warn(
      `FastICA did not converge within ${args.maxIter} iterations for ${unconverged} neurons: their components are the last iterate ` +
        '(more iterations rarely help; fewer --components or a larger --tol do)',
    );
  }
}

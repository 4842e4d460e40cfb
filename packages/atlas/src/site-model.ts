import type { AtlasData, Layer, Neuron } from './data.js';
import { layerSlugs } from './geometry.js';
import { spriteLayout, type SpriteLayout } from './sprites.js';
import { summarizeLayer, type LayerSummary } from './summary.js';

export interface AtlasOptions {
  /** Top images shown per neuron (the topk table may hold more). */
  top: number;
  /** Thumbnail side in px; default: the input size, at most 96. */
  thumb?: number;
  /** ICA component tiles are at most this many px. */
  componentSide?: number;
  title?: string;
  /** Largest sprite sheet side in px. */
  maxSheetSide?: number;
}

export interface ComponentSprites {
  layout: SpriteLayout;
  /** Tile index of each neuron's first component; its others follow. */
  first: Map<number, number>;
  count: number;
}

/** Everything the pages need, computed once: page names, summaries, sprite positions. */
export interface SiteModel {
  data: AtlasData;
  title: string;
  top: number;
  slugs: Map<string, string>;
  summaries: Map<string, LayerSummary>;
  /** One tile per distinct top image across the site (images shared by neurons are drawn once). */
  images: { layout: SpriteLayout; index: Map<string, number>; paths: string[]; root: string };
  components: Map<string, ComponentSprites>;
}

/** The folder all paths share ('' if none), so pages can show short names like `shirt/01754.png`. */
export function commonFolder(paths: string[]): string {
  if (paths.length === 0) return '';
  let prefix = paths[0]!.slice(0, paths[0]!.lastIndexOf('/') + 1);
  for (const p of paths) while (prefix && !p.startsWith(prefix)) prefix = prefix.slice(0, prefix.slice(0, -1).lastIndexOf('/') + 1);
  return prefix;
}

export function topImages(neuron: Neuron, top: number) {
  return neuron.top.slice(0, top);
}

export function buildSiteModel(data: AtlasData, options: AtlasOptions): SiteModel {
  const maxSide = options.maxSheetSide ?? 2048;
  const thumb = options.thumb ?? Math.min(data.preprocess.size, 96);
  const paths: string[] = [];
  const index = new Map<string, number>();
  for (const layer of data.layers) {
    for (const n of layer.neurons) {
      for (const t of topImages(n, options.top)) {
        if (!index.has(t.image)) {
          index.set(t.image, paths.length);
          paths.push(t.image);
        }
      }
    }
  }
  const components = new Map<string, ComponentSprites>();
  for (const layer of data.layers) {
    const first = new Map<number, number>();
    let count = 0;
    let side = 0;
    for (const n of layer.neurons) {
      if (n.components.length === 0) continue;
      first.set(n.neuron, count);
      count += n.components.length;
      side = Math.max(side, n.components[0]!.height);
    }
    if (count > 0) components.set(layer.name, { layout: spriteLayout(count, Math.min(side, options.componentSide ?? 64), maxSide), first, count });
  }
  const slugs = layerSlugs(data.layers.map((l) => l.name));
  return {
    data,
    title: options.title ?? (data.model ? `${data.model}` : 'cnnpipe atlas'),
    top: options.top,
    slugs: new Map(data.layers.map((l, i) => [l.name, slugs[i]!])),
    summaries: new Map(data.layers.map((l: Layer) => [l.name, summarizeLayer(l, data.classes)])),
    images: { layout: spriteLayout(Math.max(paths.length, 1), thumb, maxSide), index, paths, root: commonFolder(paths) },
    components,
  };
}

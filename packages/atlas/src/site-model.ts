import type { AtlasData, Layer, Neuron } from './data.js';
import { layerSlugs } from './geometry.js';
import { planImageSheets, type ImageSheets } from './image-sheets.js';
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
  /** Most site-wide image sheets before switching to a sheet per neuron. */
  maxSharedSheets?: number;
}

/** Per layer, the saliency tiles of its neurons' top images (those the saliency table has a map for). */
export interface SaliencySprites {
  layout: SpriteLayout;
  /** Tile index by `${neuron}:${top index}`. */
  slots: Map<string, number>;
  tiles: { image: string; map: Float32Array }[];
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
  /** Where every thumbnail is drawn. */
  images: ImageSheets;
  /** The folder all image paths share, left out where pages show an image's name. */
  imageRoot: string;
  components: Map<string, ComponentSprites>;
  saliency: Map<string, SaliencySprites>;
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
  const saliency = new Map<string, SaliencySprites>();
  for (const layer of data.layers) {
    const slots = new Map<string, number>();
    const tiles: SaliencySprites['tiles'] = [];
    for (const n of layer.neurons) {
      topImages(n, options.top).forEach((t, i) => {
        if (!t.saliency) return;
        slots.set(`${n.neuron}:${i}`, tiles.length);
        tiles.push({ image: t.image, map: t.saliency });
      });
    }
    if (tiles.length > 0) saliency.set(layer.name, { layout: spriteLayout(tiles.length, thumb, maxSide), slots, tiles });
  }
  const names = data.layers.map((l) => l.name);
  const slugList = layerSlugs(names);
  const slugs = new Map(names.map((name, i) => [name, slugList[i]!]));
  const images = planImageSheets(data, slugs, { top: options.top, tile: thumb, maxSide, maxSharedSheets: options.maxSharedSheets });
  return {
    data,
    title: options.title ?? (data.model ? `${data.model}` : 'cnnpipe atlas'),
    top: options.top,
    slugs,
    summaries: new Map(data.layers.map((l: Layer) => [l.name, summarizeLayer(l, data.classes)])),
    images,
    imageRoot: commonFolder(images.distinct),
    components,
    saliency,
  };
}

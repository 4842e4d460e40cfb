import type { AtlasData } from './data.js';
import { spriteLayout, type SheetFormat, type SpriteLayout, type SpriteSlot } from './sprites.js';

/** Tiles drawn into the sheets of one layout: which image each tile shows, and the file of each sheet. */
export interface SheetSet {
  layout: SpriteLayout;
  paths: string[];
  file(sheet: number): string;
}

/** Where one thumbnail is drawn. */
export interface TileRef {
  file: string;
  layout: SpriteLayout;
  slot: SpriteSlot;
}

export interface ImageSheets {
  /** shared: each distinct image drawn once in a few site-wide sheets; per-neuron: a sheet per neuron and a card sheet per layer. */
  mode: 'shared' | 'per-neuron';
  tile: number;
  format: SheetFormat;
  sets: SheetSet[];
  /** The distinct images shown on the site, in first-appearance order. */
  distinct: string[];
  /** The neuron's `index`-th top image. */
  top(layer: string, neuron: number, index: number): TileRef;
  /** The neuron's strongest image, for its card (undefined if it has none). */
  card(layer: string, neuron: number): TileRef | undefined;
}

const COLUMNS = 10;

function ref(set: SheetSet, index: number): TileRef {
  const slot = set.layout.slot(index);
  return { file: set.file(slot.sheet), layout: set.layout, slot };
}

/**
 * Plans the thumbnail sheets. While every distinct image fits in `maxSharedSheets` sheets
 * (the demo: 1,935 images in one), each is drawn once and every page loads at most those
 * sheets. Beyond that (ImageNet: 512 neurons x 100 mostly distinct images), a page must
 * not pull in dozens of shared sheets, so each neuron gets one sheet of its own top images
 * and each layer one sheet of its neurons' strongest images for the cards.
 */
export function planImageSheets(
  data: AtlasData,
  slugs: Map<string, string>,
  options: { top: number; tile: number; maxSide: number; maxSharedSheets?: number },
): ImageSheets {
  const { tile, maxSide } = options;
  const format: SheetFormat = data.preprocess.channels === 3 && tile >= 48 ? 'jpg' : 'png';
  const distinct = new Map<string, number>();
  for (const layer of data.layers) {
    for (const n of layer.neurons) for (const t of n.top.slice(0, options.top)) if (!distinct.has(t.image)) distinct.set(t.image, distinct.size);
  }
  const shared = spriteLayout(Math.max(1, distinct.size), tile, maxSide);
  if (shared.sheets <= (options.maxSharedSheets ?? 4)) {
    const set: SheetSet = { layout: shared, paths: [...distinct.keys()], file: (s) => `img/images-${s}.${format}` };
    const neurons = new Map(data.layers.flatMap((l) => l.neurons.map((n) => [`${l.name}\u0000${n.neuron}`, n] as const)));
    const neuronOf = (layer: string, neuron: number) => neurons.get(`${layer}\u0000${neuron}`);
    return {
      mode: 'shared',
      tile,
      format,
      sets: [set],
      distinct: set.paths,
      top: (layer, neuron, index) => ref(set, distinct.get(neuronOf(layer, neuron)!.top[index]!.image)!),
      card: (layer, neuron) => {
        const best = neuronOf(layer, neuron)?.top[0];
        return best ? ref(set, distinct.get(best.image)!) : undefined;
      },
    };
  }
  const sets: SheetSet[] = [];
  const perNeuron = new Map<string, SheetSet>();
  const cards = new Map<string, { set: SheetSet; index: Map<number, number> }>();
  for (const layer of data.layers) {
    const slug = slugs.get(layer.name)!;
    const index = new Map<number, number>();
    const cardPaths: string[] = [];
    for (const n of layer.neurons) {
      const tops = n.top.slice(0, options.top);
      if (tops.length === 0) continue;
      index.set(n.neuron, cardPaths.length);
      cardPaths.push(tops[0]!.image);
      const rows = Math.ceil(tops.length / COLUMNS);
      const set: SheetSet = { layout: spriteLayout(tops.length, tile, COLUMNS * tile, rows * tile), paths: tops.map((t) => t.image), file: () => `img/${slug}/${n.neuron}.${format}` };
      perNeuron.set(`${layer.name}\u0000${n.neuron}`, set);
      sets.push(set);
    }
    if (cardPaths.length > 0) {
      const set: SheetSet = { layout: spriteLayout(cardPaths.length, tile, maxSide), paths: cardPaths, file: (s) => `img/${slug}/cards-${s}.${format}` };
      cards.set(layer.name, { set, index });
      sets.push(set);
    }
  }
  return {
    mode: 'per-neuron',
    tile,
    format,
    sets,
    distinct: [...distinct.keys()],
    top: (layer, neuron, index) => ref(perNeuron.get(`${layer}\u0000${neuron}`)!, index),
    card: (layer, neuron) => {
      const c = cards.get(layer);
      const i = c?.index.get(neuron);
      return c && i !== undefined ? ref(c.set, i) : undefined;
    },
  };
}

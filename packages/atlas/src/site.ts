import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CliError, LruCache, loadSharp, errorMessage, type ToolContext } from '@cnnpipe/core';
import { componentSheet, indexPage, layerPage, montageFile, neuronPage, saliencySheet, visualizationFile } from './pages.js';
import type { SiteModel } from './site-model.js';
import { renderSheets, type Tile } from './sprites.js';
import { componentTile, imageTile, missingTile, saliencyTile } from './tiles.js';

const ASSETS = new URL('../assets/', import.meta.url);

const MAX_WARNINGS = 5;

export interface WriteOptions {
  /** Folder that relative image paths in the topk table are relative to. */
  images?: string;
}

/** Writes the site into `dir` (an empty folder): pages, style, script and sprite sheets. */
export async function writeSite(site: SiteModel, dir: string, options: WriteOptions, ctx: Pick<ToolContext, 'progress' | 'warn'>): Promise<{ files: number; missing: number }> {
  let files = 0;
  const write = (path: string, content: string | Buffer) => {
    writeFileSync(join(dir, path), content);
    files++;
  };
  mkdirSync(join(dir, 'img'));
  for (const asset of ['atlas.css', 'atlas.js']) {
    copyFileSync(new URL(asset, ASSETS), join(dir, asset));
    files++;
  }

  const { data } = site;
  const pp = data.preprocess;
  const { sets, tile, format } = site.images;
  const pathOf = (image: string) => (isAbsolute(image) || !options.images ? image : resolve(options.images, image));
  const progress = ctx.progress('thumbnails', sets.reduce((a, s) => a + s.paths.length, 0), 'images');
  // An image among several neurons' tops (per-neuron sheets) is decoded once while it stays cached.
  const cache = new LruCache<string, Promise<Tile>>(2048);
  let missing = 0;
  let drawn = 0;
  let firstMissing = '';
  const load = async (path: string): Promise<Tile> => {
    try {
      const t = await imageTile(pathOf(path), pp, tile);
      drawn++;
      return t;
    } catch (error) {
      firstMissing ||= pathOf(path);
      if (missing++ < MAX_WARNINGS) ctx.warn(`${errorMessage(error)}; drawn gray`);
      return missingTile(tile);
    }
  };
  for (const set of sets) {
    await renderSheets(
      set.layout,
      set.paths.length,
      pp.channels,
      (i) => {
        progress.tick(1);
        return cache.get(set.paths[i]!, load);
      },
      (sheet, image) => {
        mkdirSync(dirname(join(dir, set.file(sheet))), { recursive: true });
        write(set.file(sheet), image);
      },
      format,
    );
  }
  progress.finish();
  // A site of gray squares only is not a result: the paths are relative to somewhere else.
  if (drawn === 0 && missing > 0) {
    throw new CliError(`none of the ${missing} top images could be read (the first: ${firstMissing}); give --images ROOT, the folder the topk table's paths are relative to`);
  }
  if (missing > MAX_WARNINGS) ctx.warn(`${missing} images in all could not be read (use --images ROOT if the topk table holds relative paths)`);

  for (const layer of data.layers) {
    const sprites = site.components.get(layer.name);
    if (!sprites) continue;
    const tiles = layer.neurons.flatMap((n) => n.components);
    const channels = tiles.some((t) => t.channels === 3) ? 3 : 1;
    const slug = site.slugs.get(layer.name)!;
    await renderSheets(sprites.layout, sprites.count, channels, (i) => componentTile(tiles[i]!, sprites.layout.tile), (sheet, png) => write(componentSheet(slug, sheet), png));
  }

  // dream's feature visualisations, one PNG per unit.
  for (const layer of data.layers) {
    for (const n of layer.neurons) {
      const v = n.visualization;
      if (!v) continue;
      const plane = v.height * v.width;
      const bytes = Buffer.alloc(plane * v.channels);
      for (let c = 0; c < v.channels; c++) for (let p = 0; p < plane; p++) bytes[p * v.channels + c] = Math.max(0, Math.min(255, Math.round(v.pixels[c * plane + p]! * 255)));
      const target = join(dir, visualizationFile(site.slugs.get(layer.name)!, n.neuron));
      mkdirSync(dirname(target), { recursive: true });
      const image = (await loadSharp())(bytes, { raw: { width: v.width, height: v.height, channels: v.channels as 1 | 3 } });
      write(visualizationFile(site.slugs.get(layer.name)!, n.neuron), await (v.channels === 1 ? image.toColourspace('b-w') : image).png().toBuffer());
    }
  }

  for (const layer of data.layers) {
    const sprites = site.saliency.get(layer.name);
    if (!sprites) continue;
    const slug = site.slugs.get(layer.name)!;
    const drawn = async (i: number): Promise<Tile> => {
      const { image, map } = sprites.tiles[i]!;
      try {
        return await saliencyTile(pathOf(image), map, pp, sprites.layout.tile);
      } catch (error) {
        if (missing++ < MAX_WARNINGS) ctx.warn(`${errorMessage(error)}; drawn gray`);
        return missingTile(sprites.layout.tile);
      }
    };
    await renderSheets(sprites.layout, sprites.tiles.length, 3, drawn, (sheet, image) => write(saliencySheet(slug, sheet, format), image), format);
  }

  // dissect --montage images, copied in so the site stands alone.
  for (const layer of data.layers) {
    for (const n of layer.neurons) {
      if (!n.montage) continue;
      const target = join(dir, montageFile(site.slugs.get(layer.name)!, n.neuron));
      mkdirSync(dirname(target), { recursive: true });
      try {
        copyFileSync(n.montage, target);
        files++;
      } catch (error) {
        if (missing++ < MAX_WARNINGS) ctx.warn(`${n.montage}: cannot copy the dissection montage (${(error as NodeJS.ErrnoException).code}); left out`);
        n.montage = undefined;
      }
    }
  }

  write('index.html', indexPage(site));
  const pages = ctx.progress('pages', data.layers.reduce((a, l) => a + l.neurons.length, 0), 'pages');
  for (const layer of data.layers) {
    const slug = site.slugs.get(layer.name)!;
    mkdirSync(join(dir, slug));
    write(join(slug, 'index.html'), layerPage(site, layer));
    layer.neurons.forEach((n, i) => {
      write(join(slug, `${n.neuron}.html`), neuronPage(site, layer, n, i));
      pages.tick(1);
    });
  }
  pages.finish();
  return { files, missing };
}

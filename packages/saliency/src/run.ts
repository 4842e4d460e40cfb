import { basename, extname, join } from 'node:path';
import { createGradientSession, gradientGraph } from '@cnnpipe/autodiff';
import {
  CliError,
  DirectorySink,
  KindWriter,
  META,
  decodeBatch,
  denormalise,
  flatList,
  saliencyCodec,
  type SaliencyRows,
  type ExecutionProvider,
  type LayerInfo,
  type Preprocess,
  type Progress,
} from '@cnnpipe/core';
import { modelInput, resolveLayer, type ImageItem, type LoadedModel } from '@cnnpipe/extract';
import { heat, overlay, writeHeatmap } from './heatmap.js';
import { SaliencyComputer, type SaliencyOptions } from './saliency.js';

export interface SaliencyRun {
  model: LoadedModel;
  layer: string;
  images: ImageItem[];
  /** Per image, its units (from a topk table) instead of SaliencyOptions.units; and the name the output gives it. */
  units?: number[][];
  names?: string[];
  classes: string[];
  preprocess: Preprocess;
  /** Images decoded per step. */
  batch: number;
  ep: ExecutionProvider;
  output?: string;
  png?: string;
  progress: Progress;
  warn: (message: string) => void;
  strict: boolean;
}

export const SALIENCY_META = 'cnnpipe.saliency';

/**
 * Streams saliency rows (image, layer, neuron, height, width, channels, pixels) to the
 * output, one Arrow batch per batch of images, and with `png` one heat map per row.
 */
export async function runSaliency(run: SaliencyRun, options: SaliencyOptions): Promise<number> {
  const pp = run.preprocess;
  const input = modelInput(run.model);
  const tensor = resolveLayer(run.model, run.layer);
  const graph = await gradientGraph(run.model, [tensor], { size: pp.size });
  const layers: LayerInfo[] = [{ name: run.layer, tensor, shape: graph.tapShapes[0]! }];
  const metadata = new Map([
    [META.kind, 'saliency'],
    [META.classes, JSON.stringify(run.classes)],
    [META.layers, JSON.stringify(layers)],
    [META.model, basename(run.model.path)],
    [META.preprocess, JSON.stringify(pp)],
    [SALIENCY_META, JSON.stringify({ method: options.method, ...(options.method === 'smoothgrad' ? { samples: options.samples, noise: options.noise, seed: options.seed } : {}) })],
  ]);
  const { session } = await createGradientSession(graph, { ep: run.ep, onFallback: run.warn });
  const computer = new SaliencyComputer(graph, session, options);
  const perImage = input.channels * pp.size * pp.size;
  const pngs = run.png ? new DirectorySink(run.png) : undefined;
  let writer: KindWriter<SaliencyRows> | undefined;
  let skipped = 0;
  let written = 0;
  try {
    for (let start = 0; start < run.images.length; start += run.batch) {
      const items = run.images.slice(start, start + run.batch);
      const { pixels, errors } = await decodeBatch(items.map((i) => i.path), pp);
      run.progress.tick(items.length);
      const kept: number[] = [];
      errors.forEach((message, i) => {
        if (message === null) return kept.push(i);
        if (run.strict) throw new CliError(message);
        if (skipped++ < 5) run.warn(`skipped: ${message}`);
        return undefined;
      });
      if (kept.length === 0) continue;
      const compact = new Float32Array(kept.length * perImage);
      kept.forEach((i, k) => compact.set(pixels.subarray(i * perImage, (i + 1) * perImage), k * perImage));
      const maps = await computer.maps(compact, kept.length, run.units && kept.map((i) => run.units![start + i]!));
      const nameOf = (k: number) => run.names?.[start + kept[k]!] ?? items[kept[k]!]!.path;
      const rows = maps.length;
      writer ??= KindWriter.open(saliencyCodec, run.output, { metadata: Object.fromEntries(metadata), shape: undefined });
      await writer.write({
        image: maps.map((m) => nameOf(m.image)),
        layer: maps.map(() => run.layer),
        neuron: Int32Array.from(maps, (m) => m.neuron),
        height: new Int32Array(rows).fill(pp.size),
        width: new Int32Array(rows).fill(pp.size),
        channels: new Int32Array(rows).fill(input.channels),
        pixels: flatList(maps.map((m) => m.pixels), new Float32Array(0)),
      });
      if (pngs) {
        for (const m of maps) {
          const image = compact.subarray(m.image * perImage, (m.image + 1) * perImage);
          const rgb = overlay(heat(m.pixels, input.channels, pp.size * pp.size), denormalise(image, input.channels, pp), input.channels);
          const item = items[kept[m.image]!]!;
          const name = `${String(start + kept[m.image]!).padStart(5, '0')}-${basename(item.path, extname(item.path))}-${run.layer}-${m.neuron}.png`;
          await writeHeatmap(join(pngs.temp, name), rgb, pp.size);
        }
      }
      written += kept.length;
    }
    if (written === 0) throw new CliError(`none of the ${run.images.length} images could be read (see the warnings above)`);
    await writer?.close();
    pngs?.commit();
  } catch (error) {
    writer?.abort();
    throw error;
  } finally {
    await session.release();
  }
  run.progress.finish();
  if (skipped > 0) run.warn(`${skipped} of ${run.images.length} images could not be read and were skipped (--strict makes this an error)`);
  return written;
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import {
  ArrowWriter,
  ByteSink,
  CliError,
  DirectorySink,
  META,
  dissectQuantilesCodec,
  dissectTallyCodec,
  listRow,
  resolvePreprocess,
  writeKind,
  type DissectQuantilesRows,
  type DissectTallyRows,
  type ExecutionProvider,
  type PreprocessFlags,
  type LayerInfo,
  type Preprocess,
  type ToolContext,
} from '@cnnpipe/core';
import { loadModel, modelInput, shardOf, type LoadedModel, type ModelInput } from '@cnnpipe/extract';
import { readProbe, type Probe, type ProbeImage } from './broden.js';
import { FeatureRunner, featureLayers, type FeatureLayer } from './features.js';
import { tallyPass, thresholdPass, valuesPerUnit, type TallyResult } from './pipeline.js';
import { TopValues, keepCount } from './quantile.js';
import { labelUnits, type UnitLabel } from './score.js';
import { SpillFile } from './spill.js';
import { summarize } from './summary.js';
import { tallyCsv } from './tally-csv.js';
import { TopImages } from './top-images.js';
import { montagePath, tileDecoder, unitMontage } from './montage.js';
import { addTally, emptyTally, type LayerTally } from './tally.js';
import {
  DISSECT_META,
  conceptsBatch,
  quantilesTable,
  readPartial,
  rowsOf,
  shapeOf,
  tallyTable,
  type RunInfo,
  type TallyInfo,
} from './tables.js';

/** The flags that say what to dissect. */
export interface ModelArgs extends PreprocessFlags {
  model: string;
  layer: string[];
  probe: string;
  categories?: string[];
  quantile: number;
  batch: number;
  ep: ExecutionProvider;
  requireEp?: boolean;
  shard?: string;
}

interface Setup {
  probe: Probe;
  model: LoadedModel;
  input: ModelInput;
  preprocess: Preprocess;
  layers: FeatureLayer[];
  /** This shard's images. */
  images: ProbeImage[];
  info: RunInfo;
}

async function setup(args: ModelArgs, warn: (message: string) => void): Promise<Setup> {
  const probe = readProbe(args.probe, args.categories);
  const model = loadModel(args.model);
  const input = modelInput(model);
  const base = resolvePreprocess(input.channels, args, input.size);
  // The masks cover the whole image: no centre crop unless --resize asks for one.
  const preprocess = args.resize === undefined ? { ...base, resize: base.size } : base;
  const layers = await featureLayers(model, args.layer, preprocess.size);
  const images = shardOf(probe.images, args.shard);
  const oblong = probe.images.filter((im) => im.ih !== im.iw).length;
  if (oblong > 0 && args.resize === undefined) {
    warn(`${oblong} probe images are not square (index.csv ih != iw): the model sees their centre crop while the masks cover the whole image (Broden's images are square)`);
  }
  const info: RunInfo = {
    model: basename(args.model),
    probe: args.probe,
    quantile: args.quantile,
    categories: probe.categories,
    totalImages: probe.images.length,
    shard: args.shard ?? '0/1',
    layers: layers.map(shapeOf),
    layerInfo: layers.map((l) => l.info),
  };
  return { probe, model, input, preprocess, layers, images, info };
}

async function runner(s: Setup, args: ModelArgs, ctx: ToolContext): Promise<FeatureRunner> {
  return FeatureRunner.open(s.model, s.input, s.layers, s.preprocess, args.batch, args.ep, ctx.warn, args.requireEp);
}

const pathsOf = (images: ProbeImage[]) => images.map((i) => i.path);

/** What the final table and the reports need of one layer. */
export interface LayerOutcome {
  info: LayerInfo;
  thresholds: Float64Array;
  tally: LayerTally;
  labels: UnitLabel[];
}

export interface Outcome {
  layers: LayerOutcome[];
  truth: Float64Array;
  names: (string | null)[];
  categories: string[];
  images: number;
  model: string;
  quantile: number;
  /** With --montage: the folder being written, and per layer each unit's montage path. */
  montage?: { sink: DirectorySink; paths: string[][] };
}

/** A whole dissection in one process: the threshold pass, then the tally pass. */
export async function dissectWhole(args: ModelArgs & { recompute: boolean; montage?: string; top: number }, ctx: ToolContext): Promise<Outcome> {
  const s = await setup(args, ctx.warn);
  const run = await runner(s, args, ctx);
  const spill = args.recompute ? undefined : new SpillFile(s.layers.map((l) => l.units * l.h * l.w));
  try {
    const paths = pathsOf(s.images);
    const p1 = ctx.progress('threshold pass', paths.length, 'images');
    const started = performance.now();
    const tops = await thresholdPass(run.batches(paths), s.layers, s.images.length, args.quantile, spill, p1);
    p1.finish();
    const passOne = (performance.now() - started) / 1000;
    const thresholds = tops.map((t, i) => t.thresholds(valuesPerUnit(s.layers[i]!, s.images.length), args.quantile));
    const p2 = ctx.progress('tally pass', paths.length, 'images');
    const peaks = args.montage ? s.layers.map((l) => new TopImages(l.units, args.top, l.h * l.w)) : undefined;
    const result = await tallyPass(spill ? spill.read() : run.batches(paths), s.images, s.probe, s.layers, thresholds, p2, peaks);
    p2.finish();
    const passTwo = (performance.now() - started) / 1000 - passOne;
    const montage = args.montage && peaks ? await writeMontages(args.montage, s.layers, peaks, thresholds, paths, ctx) : undefined;
    ctx.info(`${paths.length} images: threshold pass (model${spill ? ', maps spilled to disk' : ''}) ${passOne.toFixed(1)} s, tally pass${spill ? '' : ' (model again)'} ${passTwo.toFixed(1)} s`);
    return { ...outcome(s.layers.map((l) => l.info), thresholds, result, s.probe.names, s.probe.primary, s.info), montage };
  } finally {
    spill?.close();
    await run.release();
  }
}

/** Every unit's montage into a temporary folder, renamed to `dir` once the table is written. */
async function writeMontages(dir: string, layers: FeatureLayer[], tops: TopImages[], thresholds: Float64Array[], paths: string[], ctx: ToolContext): Promise<{ sink: DirectorySink; paths: string[][] }> {
  const sink = new DirectorySink(dir);
  const decode = tileDecoder();
  const progress = ctx.progress('montages', layers.reduce((a, l) => a + l.units, 0), 'units');
  const files: string[][] = [];
  for (const [i, l] of layers.entries()) {
    mkdirSync(dirname(montagePath(sink.temp, l.info.name, 0)), { recursive: true });
    const layerFiles: string[] = [];
    for (let k = 0; k < l.units; k++) {
      writeFileSync(montagePath(sink.temp, l.info.name, k), await unitMontage(tops[i]!, k, thresholds[i]![k]!, l.h, l.w, paths, decode));
      layerFiles.push(montagePath(dir, l.info.name, k));
      progress.tick(1);
    }
    files.push(layerFiles);
  }
  progress.finish();
  return { sink, paths: files };
}

function outcome(infos: LayerInfo[], thresholds: Float64Array[], result: TallyResult, names: (string | null)[], primary: Int32Array, info: RunInfo): Outcome {
  return {
    layers: infos.map((li, i) => ({ info: li, thresholds: thresholds[i]!, tally: result.tallies[i]!, labels: labelUnits(result.tallies[i]!, result.truth, primary) })),
    truth: result.truth,
    names,
    categories: info.categories,
    images: result.images,
    model: info.model,
    quantile: info.quantile,
  };
}

/** `dissect quantiles`: this shard's top values per unit. */
export async function quantilesPart(args: ModelArgs, ctx: ToolContext, output?: string): Promise<void> {
  const s = await setup(args, ctx.warn);
  const run = await runner(s, args, ctx);
  try {
    const p = ctx.progress('threshold pass', s.images.length, 'images');
    const tops = await thresholdPass(run.batches(pathsOf(s.images)), s.layers, s.info.totalImages, args.quantile, undefined, p);
    p.finish();
    const { rows, metadata } = quantilesTable(s.info, tops);
    await writeKind(dissectQuantilesCodec, output, rows, { metadata, shape: undefined });
  } finally {
    await run.release();
  }
}

/** Checks that partial tables are the shards 0..N-1 of one run (each once) and agree on `same`. */
function checkShards(parts: { file: string; info: RunInfo }[], same: (i: RunInfo) => unknown): void {
  const first = parts[0]!;
  const key = JSON.stringify(same(first.info));
  const count = Number(first.info.shard.split('/')[1]);
  const seen = new Set<number>();
  for (const p of parts) {
    if (JSON.stringify(same(p.info)) !== key) throw new CliError(`${p.file}: not from the same dissection as ${first.file} (model, probe, layers, categories or quantile differ)`);
    const [i, n] = p.info.shard.split('/').map(Number) as [number, number];
    if (n !== count) throw new CliError(`${p.file}: shard ${p.info.shard}, but ${first.file} is one of ${count}`);
    if (seen.has(i)) throw new CliError(`${p.file}: shard ${p.info.shard} is given twice`);
    seen.add(i);
  }
  if (seen.size !== count) {
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
    throw new CliError(`shards ${missing.map((i) => `${i}/${count}`).join(', ')} are missing (got ${parts.map((p) => p.file).join(', ')})`);
  }
}

// The probe by its size, not its path: shards may run on machines that mount it elsewhere.
const runKey = (i: RunInfo) => [i.model, i.quantile, i.categories, i.totalImages, i.layers];

/** Thresholds from the shards' quantile summaries (exact: see quantile.ts). */
async function mergedThresholds(files: string[], expected: RunInfo): Promise<Float64Array[]> {
  if (files.length === 0) throw new CliError('dissect tally needs the quantile summaries of every shard (dissect quantiles -o q_I.arrows) as arguments');
  const parts = await Promise.all(files.map(async (file) => ({ file, ...(await readPartial<RunInfo, DissectQuantilesRows>(file, dissectQuantilesCodec)) })));
  checkShards(parts, runKey);
  const exp = { ...expected, shard: parts[0]!.info.shard };
  if (JSON.stringify(runKey(parts[0]!.info)) !== JSON.stringify(runKey(exp))) {
    throw new CliError(`${files[0]}: its model, probe, layers, categories or quantile differ from this command's flags`);
  }
  const layers = expected.layers;
  const tops = layers.map((l) => new TopValues(l.units, keepCount(l.h * l.w * expected.totalImages, expected.quantile)));
  for (const p of parts) {
    rowsOf(p.rows, layers, p.file, (row, li, k) => tops[li]!.addValues(k, listRow(p.rows.values, row)));
  }
  return tops.map((t, i) => t.thresholds(layers[i]!.h * layers[i]!.w * expected.totalImages, expected.quantile));
}

/** `dissect tally`: this shard's sums, with the thresholds of all shards' summaries. */
export async function tallyPart(args: ModelArgs, summaries: string[], ctx: ToolContext, output?: string): Promise<void> {
  const s = await setup(args, ctx.warn);
  const thresholds = await mergedThresholds(summaries, s.info);
  const run = await runner(s, args, ctx);
  try {
    const p = ctx.progress('tally pass', s.images.length, 'images');
    const result = await tallyPass(run.batches(pathsOf(s.images)), s.images, s.probe, s.layers, thresholds, p);
    p.finish();
    const info: TallyInfo = { ...s.info, names: s.probe.names, primary: Array.from(s.probe.primary), truth: Array.from(result.truth), images: result.images };
    const { rows, metadata } = tallyTable(info, thresholds, result.tallies);
    await writeKind(dissectTallyCodec, output, rows, { metadata, shape: { labels: rows.labels, categories: rows.categories } });
  } finally {
    await run.release();
  }
}

/** `dissect merge`: the shards' sums added, then IoUs and labels. */
export async function mergeParts(files: string[]): Promise<Outcome> {
  if (files.length === 0) throw new CliError('dissect merge needs the tally parts (dissect tally -o t_I.arrows) as arguments');
  const parts = await Promise.all(files.map(async (file) => ({ file, ...(await readPartial<TallyInfo, DissectTallyRows>(file, dissectTallyCodec)) })));
  checkShards(parts, (i) => [...runKey(i), (i as TallyInfo).names, (i as TallyInfo).primary]);
  const info = parts[0]!.info;
  const L = info.names.length;
  const C = info.categories.length;
  const tallies = info.layers.map((l) => emptyTally(l.units, L, C));
  const thresholds = info.layers.map((l) => new Float64Array(l.units).fill(Number.NaN));
  const truth = new Float64Array(L);
  let images = 0;
  for (const p of parts) {
    p.info.truth.forEach((g, l) => (truth[l]! += g));
    images += p.info.images;
    const part = info.layers.map((l) => emptyTally(l.units, L, C));
    const { inter, act } = p.rows;
    rowsOf(p.rows, info.layers, p.file, (row, li, k) => {
      part[li]!.inter.set(inter.subarray(row * L, (row + 1) * L), k * L);
      part[li]!.act.set(act.subarray(row * C, (row + 1) * C), k * C);
      const t = p.rows.threshold[row]!;
      const had = thresholds[li]![k]!;
      if (!Number.isNaN(had) && had !== t) throw new CliError(`${p.file}: layer ${info.layers[li]!.name} unit ${k} has threshold ${t}, another part ${had} (tally parts must share one dissect quantiles merge)`);
      thresholds[li]![k] = t;
    });
    part.forEach((t, i) => addTally(tallies[i]!, t));
  }
  const primary = Int32Array.from(info.primary);
  return outcome(info.layerInfo, thresholds, { tallies, truth, images }, info.names, primary, info);
}

/** Writes the concepts table (and the tally.csv files), and prints the detector counts. */
export async function writeOutcome(o: Outcome, options: { threshold: number; tallyCsv?: string; output?: string; detectorsOnly?: boolean }, ctx: ToolContext): Promise<void> {
  if (options.tallyCsv && o.layers.length > 1 && !options.tallyCsv.includes('{layer}')) {
    throw new CliError(`--tally-csv ${options.tallyCsv}: ${o.layers.length} layers need one file each (put {layer} in the name, e.g. tally-{layer}.csv)`);
  }
  const meta = new Map([
    [META.kind, 'concepts'],
    [META.model, o.model],
    [META.layers, JSON.stringify(o.layers.map((l) => l.info))],
    [DISSECT_META, JSON.stringify({ quantile: o.quantile, threshold: options.threshold, categories: o.categories, images: o.images })],
  ]);
  const batch = conceptsBatch(o.layers, o.names, o.categories, options.threshold, meta, o.montage?.paths, options.detectorsOnly);
  const sinks = options.tallyCsv
    ? o.layers.map((l) => ({ l, sink: ByteSink.open(options.tallyCsv!.replace(/\{layer\}/g, l.info.name)) }))
    : [];
  const writer = ArrowWriter.open(options.output, batch.schema);
  try {
    for (const { l, sink } of sinks) await sink.write(tallyCsv(l.labels, l.tally, o.truth, o.names, o.categories));
    await writer.write(batch);
    for (const { sink } of sinks) sink.commit();
    await writer.close();
    o.montage?.sink.commit();
  } catch (error) {
    for (const { sink } of sinks) sink.abort();
    writer.abort();
    throw error;
  }
  for (const l of o.layers) {
    const rows = summarize(
      l.labels.map(() => l.info.name),
      l.labels.map((u) => (u.label >= 0 ? o.names[u.label] ?? null : null)),
      l.labels.map((u) => (u.label >= 0 ? o.categories[u.category]! : null)),
      l.labels.map((u) => u.iou),
      options.threshold,
      o.categories,
    );
    const total = rows.reduce((s, r) => s + r.detectors, 0);
    ctx.info(`${l.info.name}: ${total} of ${l.labels.length} units are detectors (IoU >= ${options.threshold}); unique per category: ${rows.map((r) => `${r.category} ${r.unique}`).join(', ')}`);
  }
}

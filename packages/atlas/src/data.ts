import {
  CliError,
  META,
  NonFiniteGuard,
  classesOf,
  cofCodec,
  componentsCodec,
  conceptsCodec,
  expectKind,
  floatColumns,
  layersOf,
  listRow,
  neuronStatsCodec,
  openArrow,
  parsePreprocess,
  readKind,
  saliencyCodec,
  similarityCodec,
  topkCodec,
  utf8Reader,
  visualizationsCodec,
  type KindCodec,
  type LayerInfo,
  type Preprocess,
} from '@cnnpipe/core';
import type { RecordBatch, Schema } from 'apache-arrow';
import { modelMismatch } from './provenance.js';

/** One of a neuron's top images (a topk row). */
export interface TopImage {
  rank: number;
  image: string;
  label: number | null;
  cls: string | null;
  value: number;
  /** Flat h*W+w index of the strongest cell, when extract ran with --argmax. */
  argmax: number | null;
  /** From the saliency table: d(the neuron's channel mean)/d(input) on this image, CHW like the input. */
  saliency?: Float32Array;
}

export interface NeuronStats {
  gini: number;
  flatness: number;
  mf: number;
  mfNorm: number;
  facet: string;
  pValue: number;
}

/** One ICA basis pattern (CHW float32). */
export interface Component {
  height: number;
  width: number;
  channels: number;
  pixels: Float32Array;
}

export interface Neuron {
  layer: string;
  neuron: number;
  top: TopImage[];
  /** CoF row: how many of the top images fall in each class. */
  counts?: Int32Array;
  stats?: NeuronStats;
  /** Pearson similarity to each neuron of the layer, indexed like `Layer.similarityOrder`. */
  similarity?: Float64Array;
  components: Component[];
  /** From the concepts table (CLIP-Dissect, NetDissect or `cof --concepts`); a dissection's category too. */
  concept?: { name: string; score: number; category?: string };
  /** A dissection's (dissect's) best label and IoU in each category. */
  dissection?: { category: string; label: string | null; iou: number }[];
  /** dissect --montage: a PNG of the unit's top probe images with its thresholded activation lit. */
  montage?: string;
  /** dream: the unit's feature visualisation (CHW in [0, 1]) and its objective's value on it. */
  visualization?: Component & { value: number; objective: string };
}

export interface Layer {
  name: string;
  info?: LayerInfo;
  neurons: Neuron[];
  /** Neuron numbers in the order of the similarity table's columns. */
  similarityOrder?: number[];
}

export interface AtlasData {
  model?: string;
  classes: string[];
  preprocess: Preprocess;
  layers: Layer[];
}

/** The tables atlas reads; topk, cof and stats are required. */
export interface AtlasInputs {
  topk: string;
  cof: string;
  stats: string;
  components?: string;
  similarity?: string;
  concepts?: string;
  visualizations?: string;
  saliency?: string;
}

/** Core's NaN/Inf policy for one input (stop, or drop rows with --skip-nonfinite). */
export type NonFinitePolicy = (input: string) => NonFiniteGuard;

/** A table read through its kind's codec: each batch decoded, with the batch for its nulls and extra columns. */
interface Loaded<D> {
  name: string;
  schema: Schema;
  parts: { batch: RecordBatch; rows: D }[];
}

async function load<D>(codec: KindCodec<D, unknown, never>, path: string, flag: string, policy: NonFinitePolicy): Promise<Loaded<D>> {
  const input = await openArrow(path);
  expectKind(input.schema, codec.kind, `--${flag} ${input.name}`);
  // Every float column (values, statistics, pixels, similarity rows, scores); nulls are fine.
  const reader = await readKind(codec, input, { guard: policy, columns: floatColumns(input.schema) });
  const parts: Loaded<D>['parts'] = [];
  for await (const batch of reader.records()) parts.push({ batch, rows: codec.decode(batch) });
  return { name: input.name, schema: input.schema, parts };
}

/** Whether row `r` of a batch's column is not null. */
const valid = (batch: RecordBatch, name: string, r: number): boolean => batch.getChild(name)?.isValid(r) ?? false;

/** A statistic as the table holds it: null (read as NaN by the codec) stays null. */
const orNull = (v: number): number => (Number.isNaN(v) ? (null as unknown as number) : v);

/** Of two labels for one unit, the higher-scoring (a NaN score loses; ties keep the first). */
export function betterConcept(current: Neuron['concept'], candidate: NonNullable<Neuron['concept']>): NonNullable<Neuron['concept']> {
  if (!current || (!(current.score >= candidate.score) && !Number.isNaN(candidate.score))) return candidate;
  return current;
}

/** Reads and joins the tables by (layer, neuron); layers in the order extract tapped them. */
export async function readAtlasData(
  inputs: AtlasInputs,
  policy: NonFinitePolicy = (name) => new NonFiniteGuard(name, false),
  warn: (message: string) => void = () => undefined,
): Promise<AtlasData> {
  const topk = await load(topkCodec, inputs.topk, 'topk', policy);
  const cof = await load(cofCodec, inputs.cof, 'cof', policy);
  const stats = await load(neuronStatsCodec, inputs.stats, 'stats', policy);
  const components = inputs.components ? await load(componentsCodec, inputs.components, 'components', policy) : undefined;
  const similarity = inputs.similarity ? await load(similarityCodec, inputs.similarity, 'similarity', policy) : undefined;
  const concepts = inputs.concepts ? await load(conceptsCodec, inputs.concepts, 'concepts', policy) : undefined;
  const saliency = inputs.saliency ? await load(saliencyCodec, inputs.saliency, 'saliency', policy) : undefined;
  const visualizations = inputs.visualizations ? await load(visualizationsCodec, inputs.visualizations, 'visualizations', policy) : undefined;

  const tables = { topk, cof, stats, components, similarity, concepts, saliency, visualizations };
  const mismatch = modelMismatch(
    Object.entries(tables).flatMap(([flag, t]) => (t ? [{ flag, name: t.name, model: t.schema.metadata.get(META.model) }] : [])),
  );
  if (mismatch) warn(mismatch);

  const preprocess = parsePreprocess(topk.schema.metadata.get(META.preprocess), `--topk ${topk.name}`);
  const classes = classesOf(topk.schema) ?? classesOf(cof.schema) ?? [];
  const infos = layersOf(topk.schema) ?? [];
  const layers = new Map<string, Map<number, Neuron>>();
  const neuronOf = (layer: string, neuron: number): Neuron => {
    let byNeuron = layers.get(layer);
    if (!byNeuron) layers.set(layer, (byNeuron = new Map()));
    let n = byNeuron.get(neuron);
    if (!n) byNeuron.set(neuron, (n = { layer, neuron, top: [], components: [] }));
    return n;
  };

  for (const { rows: t } of topk.parts) {
    for (let r = 0; r < t.rows; r++) {
      const image = t.image(r);
      if (image === null) continue;
      neuronOf(t.layer(r)!, t.neuron[r]!).top.push({ rank: t.rank[r]!, image, label: t.label(r), cls: t.class(r), value: t.value[r]!, argmax: t.argmax?.(r) ?? null });
    }
  }
  for (const byNeuron of layers.values()) for (const n of byNeuron.values()) n.top.sort((a, b) => a.rank - b.rank);

  for (const { rows: c } of cof.parts) {
    for (let r = 0; r < c.layer.length; r++) neuronOf(c.layer[r]!, c.neuron[r]!).counts = c.counts.slice(r * c.classes, (r + 1) * c.classes);
  }
  for (const { rows: s } of stats.parts) {
    for (let r = 0; r < s.layer.length; r++) {
      neuronOf(s.layer[r]!, s.neuron[r]!).stats = {
        gini: orNull(s.gini[r]!),
        flatness: orNull(s.flatness[r]!),
        mf: orNull(s.mf[r]!),
        mfNorm: orNull(s.mfNorm[r]!),
        facet: s.facet[r] as string,
        pValue: orNull(s.pValue[r]!),
      };
    }
  }
  for (const { batch, rows: c } of components?.parts ?? []) {
    for (let r = 0; r < c.layer.length; r++) {
      if (!valid(batch, 'pixels', r)) continue;
      neuronOf(c.layer[r]!, c.neuron[r]!).components.push({ height: c.height[r]!, width: c.width[r]!, channels: c.channels[r]!, pixels: listRow(c.pixels, r).slice() });
    }
  }
  const similarityOrder = new Map<string, number[]>();
  for (const { batch, rows: s } of similarity?.parts ?? []) {
    for (let r = 0; r < s.layer.length; r++) {
      if (!valid(batch, 'values', r)) continue;
      const [layer, neuron] = [s.layer[r]!, s.neuron[r]!];
      neuronOf(layer, neuron).similarity = listRow(s.values, r).slice();
      let order = similarityOrder.get(layer);
      if (!order) similarityOrder.set(layer, (order = []));
      order.push(neuron);
    }
  }
  if (concepts) {
    // dissect's extra columns: category, and <category>_label / <category>_iou pairs.
    const names = new Set(concepts.schema.fields.map((f) => f.name));
    const dissected = [...names].filter((f) => f.endsWith('_label') && names.has(`${f.slice(0, -6)}_iou`)).map((f) => f.slice(0, -6));
    for (const { batch, rows: c } of concepts.parts) {
      const category = utf8Reader(batch.getChild('category'));
      const montage = utf8Reader(batch.getChild('montage'));
      const extra = dissected.map((d) => ({ category: d, label: utf8Reader(batch.getChild(`${d}_label`)), iou: batch.getChild(`${d}_iou`)! }));
      for (let r = 0; r < c.layer.length; r++) {
        // A concepts file may cover neurons the atlas does not show; only label those it does.
        // With several labels for one unit (a NetDissect tally), the best-scoring one wins.
        const n = layers.get(c.layer[r]!)?.get(c.unit[r]!);
        if (!n) continue;
        const name = c.concept[r]!;
        const cat = category(r);
        if (name !== null) n.concept = betterConcept(n.concept, { name, score: c.score[r]!, ...(cat ? { category: cat } : {}) });
        const m = montage(r);
        if (m) n.montage = m;
        if (extra.length > 0) n.dissection = extra.map((d) => ({ category: d.category, label: d.label(r), iou: Number(d.iou.get(r)) }));
      }
    }
  }

  // dream's rows: one per unit (the first image of a diversity batch); only for neurons the atlas shows.
  for (const { batch, rows: v } of visualizations?.parts ?? []) {
    for (let r = 0; r < v.layer.length; r++) {
      if (v.neuron.isNull?.(r) || !valid(batch, 'pixels', r) || (v.sample && (!valid(batch, 'sample', r) || v.sample[r] !== 0))) continue;
      const n = layers.get(v.layer[r]!)?.get(v.neuron.values[r]!);
      if (!n) continue;
      n.visualization = {
        height: v.height[r]!,
        width: v.width[r]!,
        channels: v.channels[r]!,
        pixels: listRow(v.pixels, r).slice(),
        value: v.value[r]!,
        objective: v.objective[r]!,
      };
    }
  }

  // Maps of (layer, neuron, image) pairs the atlas shows; a neuron's top image gets its map.
  for (const { batch, rows: s } of saliency?.parts ?? []) {
    for (let r = 0; r < s.layer.length; r++) {
      const n = layers.get(s.layer[r]!)?.get(s.neuron[r]!);
      if (!valid(batch, 'pixels', r) || !n) continue;
      const [height, width, channels] = [s.height[r]!, s.width[r]!, s.channels[r]!];
      if (height !== preprocess.size || width !== preprocess.size || channels !== preprocess.channels) {
        throw new CliError(`--saliency ${saliency!.name}: maps are ${channels}x${height}x${width}, the topk table's images ${preprocess.channels}x${preprocess.size}x${preprocess.size} (run saliency with the same preprocessing as extract)`);
      }
      const image = s.image[r]!;
      for (const t of n.top) if (t.image === image) t.saliency = listRow(s.pixels, r).slice();
    }
  }

  const order = [...infos.map((i) => i.name).filter((name) => layers.has(name)), ...[...layers.keys()].filter((name) => !infos.some((i) => i.name === name))];
  return {
    model: topk.schema.metadata.get(META.model),
    classes,
    preprocess,
    layers: order.map((name) => ({
      name,
      info: infos.find((i) => i.name === name),
      neurons: [...layers.get(name)!.values()].sort((a, b) => a.neuron - b.neuron),
      similarityOrder: similarityOrder.get(name),
    })),
  };
}

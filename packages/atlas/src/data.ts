import {
  CliError,
  META,
  NonFiniteGuard,
  classesOf,
  expectKind,
  fixedSizeListValues,
  layersOf,
  openArrow,
  parsePreprocess,
  primitiveValues,
  readAllBatches,
  stringValues,
  type LayerInfo,
  type Preprocess,
} from '@cnnpipe/core';
import type { RecordBatch, Schema, Vector } from 'apache-arrow';

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

interface Loaded {
  name: string;
  schema: Schema;
  batches: RecordBatch[];
}

/** Core's NaN/Inf policy for one input (stop, or drop rows with --skip-nonfinite). */
export type NonFinitePolicy = (input: string) => NonFiniteGuard;

async function load(path: string, kind: string, flag: string, policy: NonFinitePolicy): Promise<Loaded> {
  const input = await openArrow(path);
  expectKind(input.schema, kind, `--${flag} ${input.name}`);
  // Every float column (values, statistics, pixels, similarity rows, scores); nulls are fine.
  const guard = policy(input.name);
  const batches: RecordBatch[] = [];
  let row = 0;
  for (const batch of await readAllBatches(input)) {
    batches.push(...guard.filterBatch(batch, row));
    row += batch.numRows;
  }
  guard.finish();
  return { name: input.name, schema: input.schema, batches };
}

function column(batch: RecordBatch, name: string): Vector {
  return batch.getChild(name) as Vector;
}

/** Calls `row` with a getter for every row of every batch. */
function eachRow(table: Loaded, row: (get: (name: string) => unknown, batch: RecordBatch, r: number) => void): void {
  for (const batch of table.batches) {
    const cache = new Map<string, Vector>();
    const get = (r: number) => (name: string) => {
      let v = cache.get(name);
      if (!v) cache.set(name, (v = column(batch, name)));
      return v.get(r) as unknown;
    };
    for (let r = 0; r < batch.numRows; r++) row(get(r), batch, r);
  }
}

/** Of two labels for one unit, the higher-scoring (a NaN score loses; ties keep the first). */
export function betterConcept(current: Neuron['concept'], candidate: NonNullable<Neuron['concept']>): NonNullable<Neuron['concept']> {
  if (!current || (!(current.score >= candidate.score) && !Number.isNaN(candidate.score))) return candidate;
  return current;
}

/** Reads and joins the tables by (layer, neuron); layers in the order extract tapped them. */
export async function readAtlasData(inputs: AtlasInputs, policy: NonFinitePolicy = (name) => new NonFiniteGuard(name, false)): Promise<AtlasData> {
  const topk = await load(inputs.topk, 'topk', 'topk', policy);
  const cof = await load(inputs.cof, 'cof', 'cof', policy);
  const stats = await load(inputs.stats, 'neuron-stats', 'stats', policy);
  const components = inputs.components ? await load(inputs.components, 'components', 'components', policy) : undefined;
  const similarity = inputs.similarity ? await load(inputs.similarity, 'similarity', 'similarity', policy) : undefined;
  const concepts = inputs.concepts ? await load(inputs.concepts, 'concepts', 'concepts', policy) : undefined;
  const saliency = inputs.saliency ? await load(inputs.saliency, 'saliency', 'saliency', policy) : undefined;
  const visualizations = inputs.visualizations ? await load(inputs.visualizations, 'visualizations', 'visualizations', policy) : undefined;

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

  const hasArgmax = topk.schema.fields.some((f) => f.name === 'argmax');
  eachRow(topk, (get) => {
    const image = get('image') as string | null;
    if (image === null) return;
    neuronOf(get('layer') as string, get('neuron') as number).top.push({
      rank: get('rank') as number,
      image,
      label: (get('label') as number | null) ?? null,
      cls: (get('class') as string | null) ?? null,
      value: get('value') as number,
      argmax: hasArgmax ? ((get('argmax') as number | null) ?? null) : null,
    });
  });
  for (const byNeuron of layers.values()) for (const n of byNeuron.values()) n.top.sort((a, b) => a.rank - b.rank);

  for (const batch of cof.batches) {
    const layer = stringValues(column(batch, 'layer'));
    const neuron = primitiveValues(column(batch, 'neuron'));
    const { values, size } = fixedSizeListValues(column(batch, 'counts'));
    for (let r = 0; r < batch.numRows; r++) {
      neuronOf(layer[r]!, neuron[r]!).counts = Int32Array.from(values.subarray(r * size, (r + 1) * size) as ArrayLike<number>);
    }
  }
  eachRow(stats, (get) => {
    neuronOf(get('layer') as string, get('neuron') as number).stats = {
      gini: get('gini') as number,
      flatness: get('flatness') as number,
      mf: get('mf') as number,
      mfNorm: get('mf_norm') as number,
      facet: get('facet') as string,
      pValue: get('p_value') as number,
    };
  });
  if (components) {
    eachRow(components, (get) => {
      const pixels = get('pixels') as Vector | null;
      if (!pixels) return;
      neuronOf(get('layer') as string, get('neuron') as number).components.push({
        height: get('height') as number,
        width: get('width') as number,
        channels: get('channels') as number,
        pixels: Float32Array.from(pixels.toArray() as Float32Array),
      });
    });
  }
  const similarityOrder = new Map<string, number[]>();
  if (similarity) {
    eachRow(similarity, (get) => {
      const layer = get('layer') as string;
      const neuron = get('neuron') as number;
      const row = get('values') as Vector | null;
      if (!row) return;
      neuronOf(layer, neuron).similarity = Float64Array.from(row.toArray() as Float64Array);
      let order = similarityOrder.get(layer);
      if (!order) similarityOrder.set(layer, (order = []));
      order.push(neuron);
    });
  }
  if (concepts) {
    // dissect's extra columns: category, and <category>_label / <category>_iou pairs.
    const names = new Set(concepts.schema.fields.map((f) => f.name));
    const dissected = [...names].filter((f) => f.endsWith('_label') && names.has(`${f.slice(0, -6)}_iou`)).map((f) => f.slice(0, -6));
    eachRow(concepts, (get) => {
      const layer = get('layer') as string;
      const unit = get('unit') as number;
      const name = get('concept') as string | null;
      const score = get('score') as number | null;
      // A concepts file may cover neurons the atlas does not show; only label those it does.
      // With several labels for one unit (a NetDissect tally), the best-scoring one wins.
      const n = layers.get(layer)?.get(unit);
      const category = names.has('category') ? (get('category') as string | null) : null;
      if (n && name !== null) n.concept = betterConcept(n.concept, { name, score: score ?? Number.NaN, ...(category ? { category } : {}) });
      const montage = names.has('montage') ? (get('montage') as string | null) : null;
      if (n && montage) n.montage = montage;
      if (n && dissected.length > 0) n.dissection = dissected.map((c) => ({ category: c, label: get(`${c}_label`) as string | null, iou: Number(get(`${c}_iou`)) }));
    });
  }

  if (visualizations) {
    // dream's rows: one per unit (the first image of a diversity batch); only for neurons the atlas shows.
    const hasSample = visualizations.schema.fields.some((f) => f.name === 'sample');
    eachRow(visualizations, (get) => {
      const neuron = get('neuron') as number | null;
      const pixels = get('pixels') as Vector | null;
      if (neuron === null || !pixels || (hasSample && (get('sample') as number | null) !== 0)) return;
      const n = layers.get(get('layer') as string)?.get(neuron);
      if (!n) return;
      n.visualization = {
        height: get('height') as number,
        width: get('width') as number,
        channels: get('channels') as number,
        pixels: Float32Array.from(pixels.toArray() as Float32Array),
        value: get('value') as number,
        objective: get('objective') as string,
      };
    });
  }

  if (saliency) {
    // Maps of (layer, neuron, image) pairs the atlas shows; a neuron's top image gets its map.
    eachRow(saliency, (get) => {
      const pixels = get('pixels') as Vector | null;
      const n = layers.get(get('layer') as string)?.get(get('neuron') as number);
      if (!pixels || !n) return;
      const [height, width, channels] = [get('height'), get('width'), get('channels')] as number[];
      if (height !== preprocess.size || width !== preprocess.size || channels !== preprocess.channels) {
        throw new CliError(`--saliency ${saliency.name}: maps are ${channels}x${height}x${width}, the topk table's images ${preprocess.channels}x${preprocess.size}x${preprocess.size} (run saliency with the same preprocessing as extract)`);
      }
      const image = get('image') as string;
      for (const t of n.top) if (t.image === image) t.saliency = Float32Array.from(pixels.toArray() as Float32Array);
    });
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

import {
  CliError,
  META,
  boolData,
  flatList,
  float64Data,
  int32Data,
  makeBatch,
  readKind,
  utf8Data,
  type DissectQuantilesRows,
  type DissectSummaryRows,
  type DissectTallyRows,
  type KindCodec,
  type LayerInfo,
} from '@cnnpipe/core';
import type { RecordBatch } from 'apache-arrow';
import type { FeatureLayer } from './features.js';
import type { TopValues } from './quantile.js';
import type { UnitLabel } from './score.js';
import type { SummaryRow } from './summary.js';
import type { LayerTally } from './tally.js';

/** Schema metadata key of dissect's own parameters and the probe's label table. */
export const DISSECT_META = 'cnnpipe.dissect';
export const KIND_QUANTILES = 'dissect-quantiles';
export const KIND_TALLY = 'dissect-tally';
export const KIND_SUMMARY = 'dissect-summary';

/** A layer as the partial tables record it. */
export interface LayerShape {
  name: string;
  units: number;
  h: number;
  w: number;
}

/** What every partial table carries, so merging can check the parts belong together. */
export interface RunInfo {
  model: string;
  probe: string;
  quantile: number;
  categories: string[];
  /** Images of the whole probe (all shards). */
  totalImages: number;
  /** `I/N`, or `0/1` for a whole run. */
  shard: string;
  layers: LayerShape[];
  layerInfo: LayerInfo[];
}

export interface TallyInfo extends RunInfo {
  names: (string | null)[];
  primary: number[];
  truth: number[];
  images: number;
}

export const shapeOf = (l: FeatureLayer): LayerShape => ({ name: l.info.name, units: l.units, h: l.h, w: l.w });

function metadata(kind: string, info: object, layers: LayerInfo[], model: string): Map<string, string> {
  return new Map([
    [META.kind, kind],
    [META.model, model],
    [META.layers, JSON.stringify(layers)],
    [DISSECT_META, JSON.stringify(info)],
  ]);
}

/** Pass 1's partial: per (layer, unit) the top values this shard saw; its metadata. */
export function quantilesTable(info: RunInfo, tops: TopValues[]): { rows: DissectQuantilesRows; metadata: Record<string, string> } {
  const layer: string[] = [];
  const unit: number[] = [];
  const values: Float32Array[] = [];
  info.layers.forEach((l, i) => {
    for (let k = 0; k < l.units; k++) {
      layer.push(l.name);
      unit.push(k);
      values.push(tops[i]!.top(k));
    }
  });
  const rows = { layer, unit: Int32Array.from(unit), values: flatList(values, new Float32Array(0)) };
  return { rows, metadata: Object.fromEntries(metadata(KIND_QUANTILES, info, info.layerInfo, info.model)) };
}

/** Pass 2's partial: per (layer, unit) the sums; G and the label table in the metadata. */
export function tallyTable(info: TallyInfo, thresholds: Float64Array[], tallies: LayerTally[]): { rows: DissectTallyRows; metadata: Record<string, string> } {
  const layer: string[] = [];
  const parts = info.layers.map((l, i) => ({ l, t: tallies[i]!, th: thresholds[i]! }));
  for (const { l } of parts) for (let k = 0; k < l.units; k++) layer.push(l.name);
  const cat = <T extends Float64Array>(arrays: T[]) => {
    const out = new Float64Array(arrays.reduce((s, a) => s + a.length, 0));
    let at = 0;
    for (const a of arrays) {
      out.set(a, at);
      at += a.length;
    }
    return out;
  };
  const unit = Int32Array.from(parts.flatMap(({ l }) => Array.from({ length: l.units }, (_, k) => k)));
  const rows: DissectTallyRows = {
    layer,
    unit,
    threshold: cat(parts.map((p) => p.th)),
    inter: cat(parts.map((p) => p.t.inter)),
    labels: info.names.length,
    act: cat(parts.map((p) => p.t.act)),
    categories: info.categories.length,
  };
  return { rows, metadata: Object.fromEntries(metadata(KIND_TALLY, info, info.layerInfo, info.model)) };
}

/** A partial table decoded whole, with its parsed metadata, checked to be of the codec's kind. */
export async function readPartial<T extends RunInfo, D>(file: string, codec: KindCodec<D, unknown, never>): Promise<{ info: T; rows: D }> {
  const input = await readKind(codec, file);
  const raw = input.schema.metadata.get(DISSECT_META);
  let info: T;
  try {
    info = JSON.parse(raw ?? '') as T;
  } catch {
    throw new CliError(`${input.name}: no ${DISSECT_META} metadata (expected a table written by dissect ${codec.kind === KIND_TALLY ? 'tally' : 'quantiles'})`);
  }
  return { info, rows: await input.all() };
}

/** Each row of a partial table by (layer, unit), checked against the layers of its metadata. */
export function rowsOf(rows: { layer: string[]; unit: Int32Array }, layers: LayerShape[], file: string, read: (row: number, layer: number, unit: number) => void): void {
  const index = new Map(layers.map((l, i) => [l.name, i]));
  const seen = layers.map((l) => new Uint8Array(l.units));
  rows.layer.forEach((name, r) => {
    const li = index.get(name);
    const k = rows.unit[r]!;
    if (li === undefined || !(k >= 0 && k < layers[li]!.units)) throw new CliError(`${file}: row for layer '${name}' unit ${k} is not in its metadata's layers`);
    seen[li]![k] = 1;
    read(r, li, k);
  });
  layers.forEach((l, i) => {
    const missing = seen[i]!.indexOf(0);
    if (missing >= 0) throw new CliError(`${file}: no row for layer '${l.name}' unit ${missing}`);
  });
}

/** The `concepts` kind, extended: one row per (layer, unit). */
export function conceptsBatch(
  layers: { info: LayerInfo; labels: UnitLabel[]; thresholds: Float64Array }[],
  names: (string | null)[],
  categories: string[],
  iouThreshold: number,
  meta: Map<string, string>,
  montages?: string[][],
  detectorsOnly = false,
): RecordBatch {
  const rows = layers.flatMap((l, li) => l.labels.map((u) => ({ layer: l.info.name, u, t: l.thresholds[u.unit]!, montage: montages?.[li]![u.unit] ?? null })));
  const isDetector = (u: UnitLabel) => u.label >= 0 && u.iou >= iouThreshold;
  const labelled = (u: UnitLabel) => u.label >= 0 && (!detectorsOnly || isDetector(u));
  const nameOf = (label: number) => (label >= 0 ? names[label] ?? String(label) : null);
  const columns: Record<string, ReturnType<typeof int32Data> | ReturnType<typeof float64Data> | ReturnType<typeof utf8Data> | ReturnType<typeof boolData>> = {
    layer: utf8Data(rows.map((r) => r.layer)),
    unit: int32Data(Int32Array.from(rows, (r) => r.u.unit)),
    // --detectors-only: a unit below the IoU threshold has no concept (venn then counts detectors).
    concept: utf8Data(rows.map((r) => (labelled(r.u) ? nameOf(r.u.label) : null))),
    score: float64Data(Float64Array.from(rows, (r) => r.u.iou)),
    category: utf8Data(rows.map((r) => (labelled(r.u) ? categories[r.u.category]! : null))),
    detector: boolData(rows.map((r) => isDetector(r.u))),
    threshold: float64Data(Float64Array.from(rows, (r) => r.t)),
  };
  if (montages) columns.montage = utf8Data(rows.map((r) => r.montage));
  categories.forEach((c, ci) => {
    columns[`${c}_label`] = utf8Data(rows.map((r) => nameOf(r.u.labels[ci]!)));
    columns[`${c}_iou`] = float64Data(Float64Array.from(rows, (r) => r.u.ious[ci]!));
  });
  return makeBatch(columns, meta);
}

/** Unique detectors per category per layer (Bau et al.'s figure): rows for `plot bar`. */
export function summaryRows(rows: SummaryRow[]): DissectSummaryRows {
  return {
    layer: rows.map((r) => r.layer),
    category: rows.map((r) => r.category),
    unique: Int32Array.from(rows, (r) => r.unique),
    detectors: Int32Array.from(rows, (r) => r.detectors),
  };
}

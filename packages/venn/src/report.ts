import { basename } from 'node:path';
import { CliError, META, UsageError, type VennColumnType, type VennReport } from '@cnnpipe/core';
import type { Schema } from 'apache-arrow';
import {
  conceptsReport,
  indexModel,
  perLayerReport,
  scoresReport,
  summaryReport,
  topReport,
  type ConceptRow,
  type PerLayerRow,
  type ScoreRow,
  type SummaryRow,
  type TopRow,
} from './compare.js';
import { normalizeConcepts } from './normalize.js';
import { layersInOrder, mapConcepts, selectLayers, type ConceptTable } from './table.js';

/**
 * venn's reports as rows for core's venn codec: which report, its columns, its metadata
 * (cnnpipe.report, the model names, --normalize's merged spellings).
 */

/** A report's rows with their columns' names (keys of the row type) and types. */
function reportOf<R extends object>(rows: R[], columns: [keyof R & string, VennColumnType][]): VennReport {
  return { rows, columns };
}

export const REPORTS = ['summary', 'per-layer', 'concepts', 'top', 'scores'] as const;
export type Report = (typeof REPORTS)[number];

/** Metadata key naming the report a `venn` table holds. */
export const REPORT_KEY = 'cnnpipe.report';
/** Metadata keys: the two models' names (JSON [a, b]) and, with --normalize, merged spellings. */
export const NAMES_KEY = 'cnnpipe.venn.names';
export const MERGED_KEY = 'cnnpipe.venn.merged';
export const MODELS_KEY = 'cnnpipe.venn.models';

/** Model names: --names a,b, else the file names without extension, else 'a' and 'b'. */
export function modelNames(files: string[], names: string | undefined): [string, string] {
  if (names !== undefined) {
    const parts = names.split(',').map((s) => s.trim());
    if (parts.length !== 2 || parts.some((p) => p === '') || parts[0] === parts[1]) {
      throw new UsageError(`--names '${names}' (expected two different names separated by a comma, e.g. imagenet,places)`);
    }
    return [parts[0]!, parts[1]!];
  }
  const guess = files.map((f) => (f === '-' ? '' : basename(f).replace(/\.(arrows|arrow|ipc|feather)$/i, '')));
  if (guess[0] && guess[1] && guess[0] !== guess[1]) return [guess[0], guess[1]];
  return ['a', 'b'];
}

/** Computes one report from two checked tables: the pure part of the tool. */
export function computeReport(
  report: Report,
  a: ConceptTable,
  b: ConceptTable,
  options: { names: [string, string]; top?: number; layers?: string[]; normalize?: boolean },
): { report: VennReport; metadata: Map<string, string>; merged?: number; groups?: Map<string, string[]> } {
  const metadata = new Map<string, string>([
    [META.kind, 'venn'],
    [REPORT_KEY, report],
    [NAMES_KEY, JSON.stringify(options.names)],
  ]);
  if (options.layers) {
    const keep = new Set(options.layers);
    a = selectLayers(a, keep);
    b = selectLayers(b, keep);
  }
  let merged: number | undefined;
  let groups: Map<string, string[]> | undefined;
  if (options.normalize) {
    const spellings = [...a.concept, ...b.concept].filter((c): c is string => c !== null);
    const norm = normalizeConcepts(spellings);
    a = mapConcepts(a, norm.map);
    b = mapConcepts(b, norm.map);
    merged = norm.merged;
    groups = norm.groups;
    metadata.set(MERGED_KEY, String(merged));
  }
  const ia = indexModel(options.names[0], a);
  const ib = indexModel(options.names[1], b);
  const order = options.layers;
  let out: VennReport;
  switch (report) {
    case 'summary':
      out = reportOf<SummaryRow>(summaryReport(ia, ib, order), [
        ['model', 'utf8'],
        ['layer', 'utf8'],
        ['neurons', 'int32'],
        ['concepts', 'int32'],
        ['only', 'int32'],
        ['shared', 'int32'],
        ['union', 'int32'],
        ['jaccard', 'float64'],
      ]);
      break;
    case 'per-layer':
      out = reportOf<PerLayerRow>(perLayerReport(ia, ib, order), [
        ['layer', 'utf8'],
        ['a_neurons', 'int32'],
        ['b_neurons', 'int32'],
        ['a_concepts', 'int32'],
        ['b_concepts', 'int32'],
        ['shared', 'int32'],
        ['only_a', 'int32'],
        ['only_b', 'int32'],
        ['union', 'int32'],
        ['jaccard', 'float64'],
      ]);
      break;
    case 'concepts':
      out = reportOf<ConceptRow>(conceptsReport(ia, ib), [
        ['concept', 'utf8'],
        ['in', 'utf8'],
        ['a_neurons', 'int32'],
        ['b_neurons', 'int32'],
        ['a_layers', 'utf8'],
        ['b_layers', 'utf8'],
      ]);
      break;
    case 'top':
      out = reportOf<TopRow>(topReport(ia, ib, options.top ?? 15), [
        ['model', 'utf8'],
        ['rank', 'int32'],
        ['concept', 'utf8'],
        ['neurons', 'int32'],
        ['fraction', 'float64'],
      ]);
      break;
    case 'scores':
      out = reportOf<ScoreRow>(scoresReport(ia, ib, order), [
        ['model', 'utf8'],
        ['layer', 'utf8'],
        ['count', 'int32'],
        ['mean', 'float64'],
        ['min', 'float64'],
        ['q1', 'float64'],
        ['median', 'float64'],
        ['q3', 'float64'],
        ['max', 'float64'],
      ]);
      break;
  }
  return { report: out, metadata, merged, groups };
}

/**
 * The output's metadata: the report's own keys; of the inputs' metadata, the user's keys
 * (not cnnpipe.*, which describe one model each) and the two model files as
 * `cnnpipe.venn.models` (JSON [A's cnnpipe.model, B's], null where unknown).
 */
export function outputMetadata(report: Map<string, string>, a: Schema, b: Schema): Map<string, string> {
  const out = new Map<string, string>();
  for (const schema of [a, b]) {
    for (const [key, value] of schema.metadata) if (!key.startsWith('cnnpipe.') && !out.has(key)) out.set(key, value);
  }
  const models = [a, b].map((s) => s.metadata.get(META.model) ?? null);
  if (models.some((m) => m !== null)) out.set(MODELS_KEY, JSON.stringify(models));
  for (const [key, value] of report) out.set(key, value);
  return out;
}


/**
 * The layers --layer asks for (repeatable, or comma-separated), in that order; none in either
 * input is an error, one missing from one input a warning.
 */
export function chooseLayers(asked: string[], a: ConceptTable, b: ConceptTable, names: [string, string], warn: (message: string) => void): string[] {
  const layers = [...new Set(asked.flatMap((l) => l.split(',')).map((s) => s.trim()).filter((s) => s !== ''))];
  if (layers.length === 0) throw new UsageError(`--layer '${asked.join(',')}' (expected layer names)`);
  const inA = new Set(layersInOrder(a));
  const inB = new Set(layersInOrder(b));
  for (const layer of layers) {
    if (!inA.has(layer) && !inB.has(layer)) {
      const known = [...new Set([...inA, ...inB])].join(', ') || 'none';
      throw new CliError(`--layers: no layer '${layer}' in either input (expected one of: ${known})`);
    }
    if (!inA.has(layer)) warn(`layer '${layer}' is not in ${names[0]}`);
    if (!inB.has(layer)) warn(`layer '${layer}' is not in ${names[1]}`);
  }
  return layers;
}

/** The one line --normalize reports: how many spellings merged, three examples. */
export function mergedNote(merged: number, groups: Map<string, string[]> | undefined): string {
  const examples = [...(groups ?? [])].slice(0, 3).map(([c, s]) => `${s.map((x) => `'${x}'`).join(', ')} -> '${c}'`);
  return `--normalize merged ${merged} spelling(s)${examples.length ? ` (e.g. ${examples.join('; ')})` : ''}`;
}

import { CliError, UsageError } from '@cnnpipe/core';
import type { TopLevelSpec } from 'vega-lite';
import { firstOf, has, need, pick, type Frame } from './data.js';
import { vlConfig } from './render.js';
import { CHANGE, TEXT, accuracyRows, wrapTitle } from './accuracy-cells.js';

export interface ChartOptions {
  x?: string;
  y?: string;
  color?: string;
  facet?: string;
  label?: string;
  title?: string;
  width?: number;
  height?: number;
  /** density: histogram instead of kernel density. */
  hist: boolean;
  bins: number;
  /** heatmap: diverging scale (auto when values straddle 0). */
  diverging?: boolean;
  mid: number;
  /** heatmap: colour scale range 'MIN,MAX' (accuracy fractions default to 0,1). */
  domain?: string;
  /** heatmap of accuracies: each source's own accuracy (--baseline); cells are shaded by the change against it. */
  own?: Map<string, number>;
}

/** `--domain MIN,MAX` as two numbers, MIN < MAX. */
export function parseDomain(raw: string): [number, number] {
  const parts = raw.split(',').map((v) => (v.trim() === '' ? Number.NaN : Number(v)));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0]! < parts[1]!)) {
    throw new UsageError(`--domain ${raw}: expected MIN,MAX with MIN < MAX, like 0,1`);
  }
  return [parts[0]!, parts[1]!];
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Enc = Record<string, any>;

const COUNT = 'count';

function fieldType(frame: Frame, name: string): 'nominal' | 'quantitative' {
  return frame.types.get(name) === 'number' ? 'quantitative' : 'nominal';
}

/** Values of a column in first-appearance order: keeps the table's order on a nominal axis. */
function order(frame: Frame, name: string): (string | number)[] {
  const seen = new Set<string | number>();
  for (const row of frame.rows) {
    const v = row[name];
    if (v !== null && v !== undefined && typeof v !== 'boolean') seen.add(v);
  }
  return [...seen];
}

function optional(frame: Frame, flag: string, given: string | undefined, fallback: string | undefined): string | undefined {
  if (given === '') return undefined; // --color '' turns a default off
  if (given !== undefined) return need(frame, given, flag);
  return fallback;
}

function frameSpec(frame: Frame, opts: ChartOptions, facet: string | undefined, body: Record<string, unknown>): TopLevelSpec {
  const base: Record<string, unknown> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: vlConfig,
    data: { values: frame.rows },
    padding: 8,
  };
  if (opts.title) base.title = { text: wrapTitle(opts.title, facet ? 3 * (opts.width ?? 260) : (opts.width ?? 480) + 120) };
  if (facet) {
    // Columns that fill the grid (4 panels 2x2, not 3 + 1 and two empty axes).
    const panels = order(frame, facet).length;
    const cols = panels <= 3 ? panels : ([3, 2, 4].find((c) => panels % c === 0) ?? 3);
    return {
      ...base,
      facet: { field: facet, type: 'nominal', sort: order(frame, facet), header: { title: null, labelFontWeight: 'bold' } },
      columns: cols,
      resolve: { scale: { y: 'independent' } },
      spec: { width: opts.width ?? 260, height: opts.height ?? 180, ...body },
    } as unknown as TopLevelSpec;
  }
  return {
    ...base,
    // By default the plot area is 480 x 320 and axes, legend and title add to it ('fit' squeezed
    // the bars of a long-titled chart into a third of the canvas); --width/--height size the whole.
    width: opts.width ?? 480,
    height: opts.height ?? 320,
    ...(opts.width !== undefined || opts.height !== undefined ? { autosize: { type: 'fit', contains: 'padding' } } : {}),
    ...body,
  } as unknown as TopLevelSpec;
}

/** Column defaults from the table kind, overridden by flags. */
function defaults(frame: Frame): { x?: string; y?: string; color?: string; facet?: string } {
  const r = frame.report;
  if (frame.kind === 'venn' && r === 'top') return { x: pick(frame, 'concept'), y: pick(frame, 'neurons', 'count'), facet: pick(frame, 'model') };
  if (frame.kind === 'venn' && r === 'per-layer') return { x: pick(frame, 'layer'), y: pick(frame, 'jaccard', 'shared') };
  if (frame.kind === 'venn' && r === 'scores') return { x: pick(frame, 'layer'), color: pick(frame, 'model') };
  if (frame.kind === 'neuron-stats') return { x: pick(frame, 'layer'), y: pick(frame, 'gini'), color: pick(frame, 'facet') };
  if (frame.kind === 'accuracy') return { x: pick(frame, 'target'), y: pick(frame, 'source') };
  if (frame.kind === 'similarity') return { x: pick(frame, 'layer'), y: pick(frame, 'mean_pearson') };
  if (frame.kind === 'layer-similarity') return { x: pick(frame, 'b_layer'), y: pick(frame, 'a_layer') };
  if (frame.kind === 'dissect-summary') return { x: pick(frame, 'category'), y: pick(frame, 'unique'), facet: pick(frame, 'layer') };
  return {};
}

function numericDefault(frame: Frame, except: string[]): string | undefined {
  // Skip identifiers (neuron, unit, rank, dim) when a measurement exists.
  const ids = ['neuron', 'unit', 'rank', 'dim', 'component', 'n', 'argmax', 'index'];
  return firstOf(frame, 'number', [...except, ...ids]) ?? firstOf(frame, 'number', except);
}

/** x and y; a default x skips the columns given to --facet and --color (a bar per row, not one per panel). */
function xy(frame: Frame, opts: ChartOptions, yCount: boolean): { x: string; y: string } {
  const d = defaults(frame);
  const grouping = [opts.facet, opts.color].filter((c): c is string => !!c);
  const x = opts.x !== undefined ? need(frame, opts.x, '--x') : (d.x ?? firstOf(frame, 'string', grouping) ?? firstOf(frame, 'string') ?? frame.names[0]);
  if (x === undefined) throw new CliError(`${frame.source}: no columns to plot`);
  let y: string | undefined;
  if (opts.y !== undefined) y = opts.y === COUNT && !has(frame, COUNT) && yCount ? COUNT : need(frame, opts.y, '--y', 'number');
  else y = d.y ?? numericDefault(frame, [x]);
  if (y === undefined) {
    if (!yCount) throw new CliError(`${frame.source}: no numeric column for the y axis (give --y COL)`);
    y = COUNT;
  }
  return { x, y };
}

/** A column name as axis words: mean_pearson -> mean Pearson, top1 -> top-1. */
export function words(name: string): string {
  return name
    .replace(/_/g, ' ')
    .replace(/\bpearson\b/gi, 'Pearson')
    .replace(/\bgini\b/gi, 'Gini')
    .replace(/^top(\d+)$/, 'top-$1')
    .replace(/^mf$/, 'multi-faceted degree');
}

/** The y encoding; rows sharing the `stack` columns' values stack into one bar. */
function yEncoding(frame: Frame, y: string, stack: string[] = []): Enc {
  if (y === COUNT && !has(frame, COUNT)) return { aggregate: 'count', type: 'quantitative', title: frame.kind === 'neuron-stats' ? 'neurons' : 'count' };
  const ints = frame.rows.every((r) => r[y] === null || Number.isInteger(r[y]));
  // Headroom above the tallest bar, stacked rows summed (8%, then nice), so it does not touch the frame.
  const heights = new Map<string, number>();
  for (const r of frame.rows) {
    const v = r[y];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) continue;
    const key = JSON.stringify(stack.map((c) => r[c]));
    heights.set(key, (heights.get(key) ?? 0) + v);
  }
  const top = Math.max(0, ...heights.values());
  const scale = top > 0 ? { nice: true, domainMax: top * 1.08 } : { nice: true };
  return ints
    ? { field: y, type: 'quantitative', title: words(y), scale, axis: { tickMinStep: 1, format: 'd' } }
    : { field: y, type: 'quantitative', title: words(y), scale };
}

function xEncoding(frame: Frame, x: string, sortByY?: string): Enc {
  const type = fieldType(frame, x) === 'quantitative' && frame.types.get(x) === 'number' ? 'ordinal' : 'nominal';
  const labels = order(frame, x).map(String);
  const rotate = labels.length > 8 || Math.max(0, ...labels.map((l) => l.length)) > 8;
  return {
    field: x,
    type,
    title: words(x),
    sort: sortByY ? `-y` : type === 'nominal' ? order(frame, x) : 'ascending',
    axis: rotate ? { labelAngle: -40, labelAlign: 'right', labelLimit: 140 } : { labelAngle: 0, labelLimit: 140 },
  };
}

export function barSpec(frame: Frame, opts: ChartOptions): TopLevelSpec {
  const d = defaults(frame);
  // neuron-stats: the number of SF and MF neurons per layer.
  if (frame.kind === 'neuron-stats' && opts.y === undefined && d.color) opts = { ...opts, y: COUNT };
  const { x, y } = xy(frame, opts, true);
  const color = optional(frame, '--color', opts.color, d.color);
  const facet = optional(frame, '--facet', opts.facet, d.facet);
  const sorted = frame.kind === 'venn' && frame.report === 'top' ? y : undefined;
  const beside = color && (fieldType(frame, x) === 'nominal' && color !== x) ? [color] : [];
  const encoding: Enc = { x: xEncoding(frame, x, sorted), y: yEncoding(frame, y, [x, ...(facet ? [facet] : []), ...beside]) };
  if (facet) encoding.x = { ...encoding.x, sort: sorted ? '-y' : encoding.x.sort };
  if (color) {
    encoding.color = { field: color, type: 'nominal', sort: order(frame, color) };
    if (fieldType(frame, x) === 'nominal' && color !== x && !(y === COUNT && !has(frame, COUNT))) {
      encoding.xOffset = { field: color, type: 'nominal', sort: order(frame, color) };
    } else if (y === COUNT && !has(frame, COUNT)) {
      encoding.xOffset = { field: color, type: 'nominal', sort: order(frame, color) };
    }
  }
  const body: Record<string, unknown> = { mark: { type: 'bar' }, encoding };
  const spec = frameSpec(frame, opts, facet, body) as unknown as Record<string, unknown>;
  if (facet) spec.resolve = { scale: { x: 'independent', xOffset: 'independent', y: 'shared' } };
  return spec as unknown as TopLevelSpec;
}

export function lineSpec(frame: Frame, opts: ChartOptions): TopLevelSpec {
  const d = defaults(frame);
  const { x, y } = xy(frame, opts, false);
  const color = optional(frame, '--color', opts.color, d.color === 'facet' ? undefined : d.color);
  const facet = optional(frame, '--facet', opts.facet, undefined);
  const xt = fieldType(frame, x);
  const encoding: Enc = {
    x: xt === 'quantitative' ? { field: x, type: 'quantitative' } : { ...xEncoding(frame, x), axis: { labelAngle: 0 } },
    y: { field: y, type: 'quantitative', scale: { zero: false } },
  };
  // Several rows per x (per-neuron statistics): plot the mean of each x.
  const keys = frame.rows.map((r) => JSON.stringify([r[x], color ? r[color] : null, facet ? r[facet] : null]));
  if (new Set(keys).size < keys.length) encoding.y = { ...encoding.y, aggregate: 'mean', title: `mean ${y}` };
  if (color) encoding.color = { field: color, type: 'nominal', sort: order(frame, color) };
  return frameSpec(frame, opts, facet, { mark: { type: 'line', point: true }, encoding });
}

const QUARTILES = ['min', 'q1', 'median', 'q3', 'max'];

export function boxSpec(frame: Frame, opts: ChartOptions): TopLevelSpec {
  const d = defaults(frame);
  const precomputed = QUARTILES.every((q) => frame.types.get(q) === 'number') && opts.y === undefined;
  const x = opts.x !== undefined ? need(frame, opts.x, '--x') : (d.x ?? firstOf(frame, 'string'));
  if (x === undefined) throw new CliError(`${frame.source}: no text column to group the boxes by (give --x COL)`);
  const color = optional(frame, '--color', opts.color, d.color === 'facet' ? undefined : d.color);
  const facet = optional(frame, '--facet', opts.facet, undefined);
  const xEnc: Enc = { field: x, type: 'nominal', title: words(x), sort: order(frame, x), axis: { labelAngle: 0 } };
  const colorEnc: Enc | undefined = color ? { field: color, type: 'nominal', sort: order(frame, color) } : undefined;
  const offset: Enc | undefined = color && color !== x ? { field: color, type: 'nominal', sort: order(frame, color) } : undefined;
  if (!precomputed) {
    const y = opts.y !== undefined ? need(frame, opts.y, '--y', 'number') : (d.y ?? numericDefault(frame, [x]));
    if (y === undefined) throw new CliError(`${frame.source}: no numeric column for the boxes (give --y COL)`);
    const encoding: Enc = { x: xEnc, y: { field: y, type: 'quantitative', title: words(y), scale: { zero: false } } };
    if (colorEnc) encoding.color = colorEnc;
    if (offset) encoding.xOffset = offset;
    return frameSpec(frame, opts, facet, { mark: { type: 'boxplot', extent: 1.5, size: 24 }, encoding });
  }
  const common: Enc = { x: xEnc };
  if (offset) common.xOffset = offset;
  const layer = [
    {
      mark: { type: 'rule' },
      encoding: { y: { field: 'min', type: 'quantitative', title: frame.kind === 'venn' ? 'concept score' : words(frame.metadata.get('cnnpipe.value') ?? 'value'), scale: { zero: false } }, y2: { field: 'max' } },
    },
    {
      mark: { type: 'bar', size: 20, stroke: '#333', strokeWidth: 0.5 },
      encoding: { y: { field: 'q1', type: 'quantitative' }, y2: { field: 'q3' }, ...(colorEnc ? { color: colorEnc } : {}) },
    },
    { mark: { type: 'tick', size: 20, color: 'white', thickness: 2 }, encoding: { y: { field: 'median', type: 'quantitative' } } },
  ];
  return frameSpec(frame, opts, facet, { encoding: common, layer });
}

export function densitySpec(frame: Frame, opts: ChartOptions): TopLevelSpec {
  const d = defaults(frame);
  const value =
    opts.x !== undefined
      ? need(frame, opts.x, '--x', 'number')
      : opts.y !== undefined
        ? need(frame, opts.y, '--y', 'number')
        : (d.y ?? numericDefault(frame, []));
  if (value === undefined) throw new CliError(`${frame.source}: no numeric column to plot the distribution of (give --x COL)`);
  const facet = optional(frame, '--facet', opts.facet, pick(frame, 'layer'));
  const color = optional(frame, '--color', opts.color, undefined);
  if (opts.hist) {
    const encoding: Enc = {
      x: { field: value, type: 'quantitative', bin: { maxbins: opts.bins } },
      y: { aggregate: 'count', type: 'quantitative', title: frame.kind === 'neuron-stats' ? 'neurons' : 'rows' },
    };
    if (color) encoding.color = { field: color, type: 'nominal', sort: order(frame, color) };
    return frameSpec(frame, opts, facet, { mark: { type: 'bar', binSpacing: 1 }, encoding });
  }
  const groupby = [facet, color].filter((g): g is string => g !== undefined);
  // The curve over the whole axis, down to 0 at both ends, not cut at the data's range:
  // [0, 1] for statistics that live there (Gini, flatness), else the range padded by 15%.
  const all = frame.rows.map((r) => r[value]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const [dlo, dhi] = all.length ? [Math.min(...all), Math.max(...all)] : [0, 1];
  const pad = 0.15 * (dhi - dlo || 1);
  const extent = dlo >= 0 && dhi <= 1 ? [0, 1] : [dlo - pad, dhi + pad];
  const encoding: Enc = {
    x: { field: 'value', type: 'quantitative', title: words(value), scale: { domain: extent, nice: false } },
    y: { field: 'density', type: 'quantitative' },
  };
  if (color) encoding.color = { field: color, type: 'nominal', sort: order(frame, color) };
  return frameSpec(frame, opts, facet, {
    transform: [{ density: value, groupby, extent, steps: 200, as: ['value', 'density'] }],
    mark: { type: 'area', opacity: color ? 0.5 : 0.8, line: true },
    encoding,
  });
}

export function heatmapSpec(frame: Frame, opts: ChartOptions): TopLevelSpec {
  const d = defaults(frame);
  const x = opts.x !== undefined ? need(frame, opts.x, '--x') : (d.x ?? firstOf(frame, 'string'));
  const y = opts.y !== undefined ? need(frame, opts.y, '--y') : (d.y ?? firstOf(frame, 'string', x ? [x] : []));
  if (x === undefined || y === undefined) throw new CliError(`${frame.source}: a heatmap needs two category columns (give --x COL --y COL)`);
  const pair = frame.kind === 'layer-similarity' ? layerPair(frame) : undefined;
  const defaultValue = frame.kind === 'accuracy' ? pick(frame, 'top1') : pair ? pick(frame, 'value') : undefined;
  const value = opts.color !== undefined ? need(frame, opts.color, '--color', 'number') : (defaultValue ?? numericDefault(frame, [x, y]));
  if (value === undefined) throw new CliError(`${frame.source}: no numeric column for the cell values (give --color COL)`);
  const label = opts.label !== undefined ? need(frame, opts.label, '--label') : value;
  const values = frame.rows.map((r) => r[value]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const fraction = frame.kind === 'accuracy' && /^top\d+$/.test(value);
  // Accuracies are shaded on the full 0..1 range, so 92% against 93% does not look like 0% against 100%.
  // So is CKA, which lies in 0..1.
  const domain =
    opts.domain !== undefined ? parseDomain(opts.domain) : fraction || (pair?.cka && value === 'value') ? ([0, 1] as [number, number]) : undefined;
  const [dataLo, dataHi] = [Math.min(...values), Math.max(...values)];
  const [lo, hi] = domain ?? [dataLo, dataHi];
  // Diverging when the values (not the chosen range) straddle the middle.
  const diverging = opts.diverging ?? ((dataLo < opts.mid && dataHi >= opts.mid) || (dataLo <= opts.mid && dataHi > opts.mid));
  const extent = Math.max(Math.abs(lo - opts.mid), Math.abs(hi - opts.mid)) || 1;
  const scale = diverging
    ? { scheme: 'redblue', domain: [opts.mid - extent, opts.mid + extent], domainMid: opts.mid }
    : { scheme: 'blues', ...(domain ? { domain } : hi > lo ? {} : { domain: [lo - 1, hi + 1] }) };
  const xs = order(frame, x);
  // Kornblith et al.'s CKA figure: A's first layer at the bottom, so the diagonal rises.
  const ys = pair && y === 'a_layer' ? order(frame, y).reverse() : order(frame, y);
  const cell = Math.max(28, Math.min(64, Math.floor(560 / Math.max(xs.length, ys.length))));
  const labelIsNumber = frame.types.get(label) === 'number';
  const labelValues = frame.rows.map((r) => r[label]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const maxLabel = Math.max(0, ...labelValues.map(Math.abs));
  const labelIsFraction = frame.kind === 'accuracy' && /^top\d+$/.test(label);
  const format = labelIsFraction ? '.1%' : maxLabel >= 100 ? '.0f' : maxLabel >= 10 ? '.1f' : maxLabel >= 1 ? '.2f' : '.3f';
  // Text colour: white on the strong end(s) of the scale, dark elsewhere.
  const strong = diverging
    ? `abs(datum['${value}'] - ${opts.mid}) > ${0.6 * extent}`
    : `datum['${value}'] > ${lo + 0.6 * (hi - lo)}`;
  if (fraction && label === value && opts.domain === undefined && opts.diverging === undefined) {
    return accuracyHeatmap(frame, opts, { x, y, value, xs, ys, cell });
  }
  const spec: Record<string, unknown> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: vlConfig,
    data: { values: frame.rows },
    padding: 8,
    width: opts.width ?? cell * xs.length,
    height: opts.height ?? cell * ys.length,
    encoding: {
      x: { field: x, type: 'nominal', sort: xs, axis: { labelAngle: -40, labelAlign: 'right', orient: 'bottom' }, ...(pair && x === 'b_layer' ? { title: `${pair.b} layer` } : {}) },
      y: { field: y, type: 'nominal', sort: ys, ...(pair && y === 'a_layer' ? { title: `${pair.a} layer` } : {}) },
    },
    layer: [
      { mark: { type: 'rect' }, encoding: { color: { field: value, type: 'quantitative', scale, legend: { title: pair && value === 'value' ? pair.method : value } } } },
      {
        mark: { type: 'text', fontSize: cell >= 40 ? 11 : 9 },
        encoding: {
          text: labelIsNumber ? { field: label, type: 'quantitative', format } : { field: label, type: 'nominal' },
          color: { condition: { test: strong, value: 'white' }, value: '#111' },
        },
      },
    ],
  };
  if (opts.title) spec.title = { text: opts.title };
  else if (pair) spec.title = { text: `${pair.method}: ${pair.a} against ${pair.b} (${pair.n} images)` };
  return spec as unknown as TopLevelSpec;
}

/**
 * An accuracy table as the thesis shades it: with --baseline, each cell coloured by its change
 * against the source network's own accuracy (diverging, 0 = no change, red = a penalty), else
 * by the accuracies' own range; the cell text is the accuracy in %, the legend in % too.
 */
function accuracyHeatmap(
  frame: Frame,
  opts: ChartOptions,
  g: { x: string; y: string; value: string; xs: (string | number)[]; ys: (string | number)[]; cell: number },
): TopLevelSpec {
  const rows = accuracyRows(frame, g.value, opts.own);
  const width = opts.width ?? g.cell * g.xs.length;
  const height = opts.height ?? g.cell * g.ys.length;
  const measure = g.value.replace(/^top(\d+)$/, 'top-$1');
  let color: Enc;
  let strong: string;
  if (opts.own) {
    const changes = rows.map((r) => r[CHANGE]).filter((v): v is number => typeof v === 'number');
    const extent = Math.max(0.5, ...changes.map(Math.abs));
    color = {
      field: CHANGE,
      type: 'quantitative',
      scale: { scheme: 'redblue', domain: [-extent, extent], domainMid: 0 },
      legend: { title: ["change vs A's own", `${measure} (% points)`], titleLimit: 400, format: '+.1f' },
    };
    strong = `abs(datum['${CHANGE}']) > ${0.6 * extent}`;
  } else {
    const values = rows.map((r) => r[g.value]).filter((v): v is number => typeof v === 'number');
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    const domain = hi > lo ? [lo, hi] : [Math.max(0, lo - 0.01), Math.min(1, hi + 0.01)];
    color = { field: g.value, type: 'quantitative', scale: { scheme: 'blues', domain }, legend: { title: `${measure} (%)`, titleLimit: 400, format: '.2%' } };
    strong = `datum['${g.value}'] > ${domain[0]! + 0.6 * (domain[1]! - domain[0]!)}`;
  }
  const spec: Record<string, unknown> = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: vlConfig,
    data: { values: rows },
    padding: 8,
    width,
    height,
    encoding: {
      x: { field: g.x, type: 'nominal', sort: g.xs, axis: { labelAngle: -40, labelAlign: 'right', orient: 'bottom' }, title: g.x === 'target' ? "B (target: its classifier)" : g.x },
      y: { field: g.y, type: 'nominal', sort: g.ys, title: g.y === 'source' ? "A (source: its features)" : g.y },
    },
    layer: [
      { mark: { type: 'rect' }, encoding: { color } },
      {
        mark: { type: 'text', fontSize: g.cell >= 40 ? 11 : 9 },
        encoding: { text: { field: TEXT, type: 'nominal' }, color: { condition: { test: strong, value: 'white' }, value: '#111' } },
      },
    ],
  };
  if (opts.title) spec.title = { text: wrapTitle(opts.title, width + 200) };
  return spec as unknown as TopLevelSpec;
}

/** The one model pair and method of a layer-similarity table (a figure compares two networks). */
function layerPair(frame: Frame): { a: string; b: string; method: string; n: string; cka: boolean } {
  const distinct = (name: string) => [...new Set(frame.rows.map((r) => String(r[name] ?? '')))];
  const pairs = [...new Set(frame.rows.map((r) => `${r.a_model} against ${r.b_model} (${r.method})`))];
  if (pairs.length > 1) {
    throw new CliError(`${frame.source}: ${pairs.length} model pairs or methods (${pairs.slice(0, 3).join('; ')}); expected one per heat map, plot each compare output on its own`);
  }
  const method = distinct('method')[0] ?? '';
  const label = method === 'cka' ? 'linear CKA' : method === 'cka-debiased' ? 'linear CKA (debiased)' : method.replace(/^rsa-(.*)$/, 'RSA ($1)');
  return { a: distinct('a_model')[0] ?? 'A', b: distinct('b_model')[0] ?? 'B', method: label, n: distinct('n').join('/'), cka: method.startsWith('cka') };
}

export function unknownType(type: string, types: string[]): never {
  throw new UsageError(`unknown plot type '${type}' (expected one of: ${types.join(', ')})`);
}

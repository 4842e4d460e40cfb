import { CliError, UsageError } from '@cnnpipe/core';
import { has, type Frame, type Row } from './data.js';
import { FONT, escapeXml } from './render.js';

export interface VennCounts {
  label?: string;
  onlyA: number;
  shared: number;
  onlyB: number;
}

export interface VennOptions {
  names?: string;
  title?: string;
  width?: number;
  height?: number;
}

function numericCols(frame: Frame): string[] {
  return frame.names.filter((n) => frame.types.get(n) === 'number');
}

/** The two model names: --names, else the table's metadata or columns, else A and B. */
function namesOf(frame: Frame, opts: VennOptions, fromColumns: [string, string] | undefined): [string, string] {
  if (opts.names !== undefined) {
    const parts = opts.names.split(',').map((s) => s.trim());
    if (parts.length !== 2 || parts.some((p) => p === '')) throw new UsageError(`--names takes two names, 'a,b'; got '${opts.names}'`);
    return [parts[0]!, parts[1]!];
  }
  const meta = frame.metadata.get('cnnpipe.names') ?? frame.metadata.get('cnnpipe.venn.names');
  if (meta) {
    try {
      const parsed = JSON.parse(meta) as unknown;
      if (Array.isArray(parsed) && parsed.length === 2) return [String(parsed[0]), String(parsed[1])];
    } catch {
      const parts = meta.split(',');
      if (parts.length === 2) return [parts[0]!, parts[1]!];
    }
  }
  for (const [a, b] of [['name_a', 'name_b'], ['model_a', 'model_b'], ['a', 'b']] as const) {
    const row = frame.rows[0];
    if (frame.types.get(a) === 'string' && frame.types.get(b) === 'string' && row && row[a] && row[b]) return [String(row[a]), String(row[b])];
  }
  return fromColumns ?? ['A', 'B'];
}

/**
 * Counts only-A / shared / only-B from a venn summary or per-layer report (columns
 * `shared` and two `only_*`), or from a concepts report (two `neurons_*` columns: a
 * concept counts where it has neurons).
 */
export function vennCounts(frame: Frame, opts: VennOptions): { names: [string, string]; sets: VennCounts[] } {
  const nums = numericCols(frame);
  const shared = nums.find((n) => /^(shared|both|intersection)/i.test(n));
  const only = nums.filter((n) => /^only/i.test(n) || /_only$/i.test(n));
  if (shared && only.length >= 2) {
    const [ca, cb] = [only[0]!, only[1]!];
    const suffix = (c: string): string => c.replace(/^only[_-]?/i, '').replace(/[_-]?only$/i, '');
    const names = namesOf(frame, opts, [suffix(ca) || 'A', suffix(cb) || 'B']);
    const labelCol = frame.names.find((n) => n === 'layer' && frame.types.get(n) === 'string');
    const rows = frame.rows.filter((r) => typeof r[shared] === 'number' && typeof r[ca] === 'number' && typeof r[cb] === 'number');
    if (rows.length === 0) throw new CliError(`${frame.source}: no row with counts in '${ca}', '${shared}', '${cb}'`);
    const sets = rows.map((r) => ({
      label: labelCol ? String(r[labelCol] ?? '') : undefined,
      onlyA: r[ca] as number,
      shared: r[shared] as number,
      onlyB: r[cb] as number,
    }));
    return { names, sets: labelCol ? sets : sets.slice(0, 1) };
  }
  // venn --report summary: one row per model (and layer; layer null = all layers) with only / shared.
  const onlyCol = nums.find((n) => n === 'only');
  const model = frame.names.find((n) => n === 'model' && frame.types.get(n) === 'string');
  if (shared && onlyCol && model) {
    const models = [...new Set(frame.rows.map((r) => String(r[model])))];
    if (models.length !== 2) throw new CliError(`${frame.source}: a venn summary needs two models, got ${models.length}`);
    const names = namesOf(frame, opts, [models[0]!, models[1]!]);
    const layerCol = has(frame, 'layer') ? 'layer' : undefined;
    const keyOf = (r: Row): string | null => (layerCol ? (r[layerCol] as string | null) : null);
    const keys = [...new Set(frame.rows.map(keyOf))];
    const wanted = keys.includes(null) ? [null] : keys;
    const sets: VennCounts[] = [];
    for (const key of wanted) {
      const rowA = frame.rows.find((r) => keyOf(r) === key && r[model] === models[0]);
      const rowB = frame.rows.find((r) => keyOf(r) === key && r[model] === models[1]);
      if (!rowA || !rowB) continue;
      sets.push({
        label: key ?? undefined,
        onlyA: (rowA[onlyCol] as number | null) ?? 0,
        shared: (rowA[shared] as number | null) ?? 0,
        onlyB: (rowB[onlyCol] as number | null) ?? 0,
      });
    }
    if (sets.length === 0) throw new CliError(`${frame.source}: no layer with counts for both models`);
    return { names, sets };
  }
  const neurons = nums.filter((n) => /^neurons|_neurons$/i.test(n));
  if (neurons.length >= 2) {
    const [ca, cb] = [neurons[0]!, neurons[1]!];
    const suffix = (c: string): string => c.replace(/^neurons[_-]?/i, '').replace(/[_-]?neurons$/i, '');
    const names = namesOf(frame, opts, [suffix(ca) || 'A', suffix(cb) || 'B']);
    const counts: VennCounts = { onlyA: 0, shared: 0, onlyB: 0 };
    for (const r of frame.rows) {
      const a = (r[ca] as number | null) ?? 0;
      const b = (r[cb] as number | null) ?? 0;
      if (a > 0 && b > 0) counts.shared++;
      else if (a > 0) counts.onlyA++;
      else if (b > 0) counts.onlyB++;
    }
    return { names, sets: [counts] };
  }
  throw new CliError(
    `${frame.source}: a venn plot needs a venn summary (columns shared, only_a, only_b) or concepts report ` +
      `(columns neurons_a, neurons_b); columns: ${frame.names.join(', ')}`,
  );
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

/** Two circles per comparison, areas roughly proportional to each model's set size. */
export function vennSvg(frame: Frame, opts: VennOptions): string {
  const { names, sets } = vennCounts(frame, opts);
  const panelW = opts.width ?? 420;
  const panelH = opts.height ?? 300;
  const titleH = opts.title ? 30 : 0;
  const cols = Math.min(sets.length, 3);
  const rowsN = Math.ceil(sets.length / cols);
  const W = panelW * cols;
  const H = titleH + panelH * rowsN;
  const parts: string[] = [];
  const text = (x: number, y: number, s: string, size: number, extra = ''): string =>
    `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${FONT}" font-size="${size}" text-anchor="middle" ${extra}>${escapeXml(s)}</text>`;
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  if (opts.title) parts.push(text(W / 2, 21, opts.title, 16, 'font-weight="bold" class="title"'));
  sets.forEach((set, i) => {
    const ox = (i % cols) * panelW;
    const oy = titleH + Math.floor(i / cols) * panelH;
    const totalA = set.onlyA + set.shared;
    const totalB = set.onlyB + set.shared;
    const union = set.onlyA + set.shared + set.onlyB;
    const maxR = Math.min(panelW * 0.26, (panelH - 90) / 2);
    const big = Math.max(totalA, totalB, 1);
    const rA = Math.max(maxR * Math.sqrt(totalA / big), maxR * 0.45);
    const rB = Math.max(maxR * Math.sqrt(totalB / big), maxR * 0.45);
    const cy = oy + 40 + maxR + 6;
    const gap = (rA + rB) * 0.62;
    const cxA = ox + panelW / 2 - gap / 2;
    const cxB = ox + panelW / 2 + gap / 2;
    parts.push(`<g class="venn">`);
    if (set.label) parts.push(text(ox + panelW / 2, oy + 16, set.label, 13, 'font-weight="bold"'));
    parts.push(`<circle cx="${cxA.toFixed(1)}" cy="${cy.toFixed(1)}" r="${rA.toFixed(1)}" fill="#4c78a8" fill-opacity="0.45" stroke="#2b5a8a" stroke-width="1.5"/>`);
    parts.push(`<circle cx="${cxB.toFixed(1)}" cy="${cy.toFixed(1)}" r="${rB.toFixed(1)}" fill="#f58518" fill-opacity="0.45" stroke="#b8600c" stroke-width="1.5"/>`);
    parts.push(text(cxA - rA * 0.2, cy - rA - 8, `${names[0]} (${fmt(totalA)})`, 12, 'class="name"'));
    parts.push(text(cxB + rB * 0.2, cy - rB - 8, `${names[1]} (${fmt(totalB)})`, 12, 'class="name"'));
    // Region centres: left of the overlap, the lens, right of the overlap.
    const lensL = cxB - rB;
    const lensR = cxA + rA;
    const lensMid = (lensL + lensR) / 2;
    parts.push(text((cxA - rA + lensL) / 2, cy + 5, fmt(set.onlyA), 15, 'class="count only-a"'));
    parts.push(text(lensMid, cy + 5, fmt(set.shared), 15, 'font-weight="bold" class="count shared"'));
    parts.push(text((lensR + cxB + rB) / 2, cy + 5, fmt(set.onlyB), 15, 'class="count only-b"'));
    const jac = union > 0 ? set.shared / union : 0;
    parts.push(
      text(ox + panelW / 2, oy + panelH - 14, `Jaccard = ${fmt(set.shared)} / ${fmt(union)} = ${pct(jac)}`, 12, 'class="caption"'),
    );
    parts.push(`</g>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

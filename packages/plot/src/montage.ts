import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { CliError, loadSharp } from '@cnnpipe/core';
import { need, pick, type Frame, type Row } from './data.js';
import { FONT, escapeXml } from './render.js';

export interface MontageOptions {
  images?: string;
  cell: number;
  columns: number;
  maxRows: number;
  label?: string;
  title?: string;
}

function short(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(1, max - 1))}…`;
}

function fmtValue(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/**
 * A grid of the top images of each neuron: one row per (layer, neuron), its images in
 * rank order, the class label and activation value under each. Images are read and
 * resized by sharp and embedded as PNG, so the SVG is self-contained and the PNG is the
 * same picture.
 */
export async function montageSvg(frame: Frame, opts: MontageOptions): Promise<string> {
  const image = need(frame, 'image', 'the topk kind (image column)');
  const layer = pick(frame, 'layer');
  const neuron = pick(frame, 'neuron');
  const rank = pick(frame, 'rank');
  const label = opts.label !== undefined ? need(frame, opts.label, '--label') : (['class', 'label'].find((c) => frame.types.get(c) === 'string') ?? pick(frame, 'class', 'label'));
  const value = pick(frame, 'value');
  const groups = new Map<string, Row[]>();
  for (const row of frame.rows) {
    const key = `${layer ? String(row[layer]) : ''}\u0000${neuron ? String(row[neuron]) : ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(row);
  }
  const rows = [...groups.values()].slice(0, opts.maxRows);
  if (rows.length === 0) throw new CliError(`${frame.source}: no rows to draw`);
  if (rank) for (const g of rows) g.sort((a, b) => (a[rank] as number) - (b[rank] as number));
  const ncol = Math.min(opts.columns, Math.max(...rows.map((g) => g.length)));
  const cell = opts.cell;
  const gap = 6;
  const fs = Math.max(8, Math.min(11, Math.round(cell / 7)));
  const textH = (label ? fs + 3 : 0) + (value ? fs + 3 : 0);
  const rowLabelW = 92;
  const titleH = opts.title ? 28 : 0;
  const W = rowLabelW + ncol * (cell + gap) + gap;
  const rowH = cell + textH + gap * 2;
  const H = titleH + rows.length * rowH + gap;
  const root = opts.images ?? process.cwd();
  // sharp (native) loads here, not at plot's start-up.
  const sharp = await loadSharp();
  const cache = new Map<string, string>();
  const maxChars = Math.max(3, Math.floor(cell / (fs * 0.58)));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  if (opts.title) parts.push(`<text x="${gap}" y="20" font-family="${FONT}" font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`);
  for (let r = 0; r < rows.length; r++) {
    const g = rows[r]!;
    const y0 = titleH + gap + r * rowH;
    const head = g[0]!;
    const lname = layer ? String(head[layer] ?? '') : '';
    const nname = neuron ? `neuron ${String(head[neuron] ?? '')}` : '';
    const ly = y0 + cell / 2;
    parts.push(`<text x="${gap}" y="${ly - 2}" font-family="${FONT}" font-size="12" font-weight="bold" class="row-label">${escapeXml(short(lname, 13))}</text>`);
    parts.push(`<text x="${gap}" y="${ly + 13}" font-family="${FONT}" font-size="11">${escapeXml(nname)}</text>`);
    for (let c = 0; c < Math.min(ncol, g.length); c++) {
      const row = g[c]!;
      const x = rowLabelW + c * (cell + gap);
      const rel = String(row[image] ?? '');
      const path = isAbsolute(rel) ? rel : resolve(root, rel);
      if (!existsSync(path)) {
        throw new CliError(`${rel}: image not found (looked in ${path}; give --images ROOT for paths relative to another folder)`);
      }
      let uri = cache.get(path);
      if (!uri) {
        let png: Buffer;
        try {
          png = await sharp(path)
            .resize(cell, cell, { fit: 'contain', background: '#ffffff', kernel: 'nearest' })
            .flatten({ background: '#ffffff' })
            .png({ compressionLevel: 9 })
            .toBuffer();
        } catch (error) {
          throw new CliError(`${rel}: cannot read image (${(error as Error).message})`);
        }
        uri = `data:image/png;base64,${png.toString('base64')}`;
        cache.set(path, uri);
      }
      parts.push(`<image class="cell" x="${x}" y="${y0}" width="${cell}" height="${cell}" xlink:href="${uri}" href="${uri}"/>`);
      parts.push(`<rect x="${x}" y="${y0}" width="${cell}" height="${cell}" fill="none" stroke="#999" stroke-width="0.5"/>`);
      let ty = y0 + cell + fs + 1;
      if (label) {
        parts.push(`<text x="${x + cell / 2}" y="${ty}" font-family="${FONT}" font-size="${fs}" text-anchor="middle" class="label">${escapeXml(short(String(row[label] ?? ''), maxChars))}</text>`);
        ty += fs + 3;
      }
      if (value) {
        parts.push(`<text x="${x + cell / 2}" y="${ty}" font-family="${FONT}" font-size="${fs}" text-anchor="middle" fill="#555" class="value">${fmtValue(row[value])}</text>`);
      }
    }
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

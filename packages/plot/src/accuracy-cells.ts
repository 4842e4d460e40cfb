import { CliError } from '@cnnpipe/core';
import type { Frame, Row } from './data.js';

/**
 * Accuracy cells as the thesis shades them: the printed value is the accuracy, the colour its
 * change against the source network's own accuracy (percentage points, 0 = no penalty).
 * Texts are made from the integer counts (top1 x n) so 93.05% prints as 93.05%, not as a
 * binary float rounded to 93.0% beside a 92.15% rounded up to 92.2%.
 */
export const CHANGE = '__change';
export const TEXT = '__text';

/** An accuracy fraction as a percent with two decimals, from its count when n is known. */
export function percentText(value: number, n: number | null): string {
  if (n !== null && n > 0) {
    const count = Math.round(value * n);
    // count / n in hundredths of a percent, rounded half up on the exact rational.
    const hundredths = Math.floor((count * 10000 * 2 + n) / (2 * n));
    return `${(hundredths / 100).toFixed(2)}%`;
  }
  return `${(Math.round(value * 10000) / 100).toFixed(2)}%`;
}

/** Each source's own accuracy from an accuracy table (its source = target rows, else its only row). */
export function ownAccuracy(baseline: Frame, value: string): Map<string, number> {
  const own = new Map<string, number>();
  for (const row of baseline.rows) {
    const source = String(row.source ?? '');
    const v = row[value];
    if (typeof v !== 'number') continue;
    if (row.target === row.source || !own.has(source)) own.set(source, v);
  }
  if (own.size === 0) throw new CliError(`${baseline.source}: no '${value}' per source (expected an accuracy table such as classify --summary writes)`);
  return own;
}

/** Rows with the change (in points) against the source's own accuracy and the cell text. */
export function accuracyRows(frame: Frame, value: string, own: Map<string, number> | undefined): Row[] {
  return frame.rows.map((row) => {
    const v = row[value];
    const n = typeof row.n === 'number' ? row.n : null;
    const out: Row = { ...row, [TEXT]: typeof v === 'number' ? percentText(v, n) : '' };
    if (own) {
      const base = own.get(String(row.source ?? ''));
      if (base === undefined) throw new CliError(`${frame.source}: source '${row.source}' has no own accuracy in the --baseline table`);
      out[CHANGE] = typeof v === 'number' ? (v - base) * 100 : null;
    }
    return out;
  });
}

/** A title broken into lines no wider than the figure (DejaVu Sans 14 px: ~8 px a character). */
export function wrapTitle(text: string, width: number): string | string[] {
  const most = Math.max(24, Math.floor(width / 8));
  if (text.length <= most) return text;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > most) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

import type { Data } from 'apache-arrow';
import { boolData, float64Data, int32Data, listData, utf8Data } from '@cnnpipe/core';

/** A CSV column's inferred type, as narrow as all its non-empty cells allow. */
export type InferredType = 'int32' | 'float64' | 'bool' | 'List<float64>' | 'utf8';

const INT = /^[+-]?\d+$/;
const BOOL = /^(true|false)$/i;

function isNumberText(cell: string): boolean {
  if (cell.trim() === '') return false;
  const n = Number(cell);
  return !Number.isNaN(n) || /^[+-]?(nan|inf(inity)?)$/i.test(cell.trim());
}

function parseNumber(cell: string): number {
  const t = cell.trim().toLowerCase();
  if (t === 'nan' || t === '+nan' || t === '-nan') return Number.NaN;
  if (/^[+]?inf(inity)?$/.test(t)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/.test(t)) return Number.NEGATIVE_INFINITY;
  return Number(cell);
}

/**
 * The numbers of a list cell: JSON (`[0.1, 0.2]`, as Python lists print) or numpy's
 * print form (`[0.1 0.2\n 0.3]`, what pandas' to_csv writes for an array column); null
 * entries are NaN. Undefined when the cell is not such a list (numpy's `...` summary included).
 */
export function parseNumericArray(cell: string): number[] | undefined {
  const text = cell.trim();
  if (!text.startsWith('[') || !text.endsWith(']')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((v) => typeof v === 'number' || v === null)) return value.map((v) => (v === null ? Number.NaN : (v as number)));
    return undefined;
  } catch {
    const parts = text.slice(1, -1).split(/[\s,]+/).filter((p) => p !== '');
    return parts.every(isNumberText) ? parts.map(parseNumber) : undefined;
  }
}

function isNumericArray(cell: string): boolean {
  return parseNumericArray(cell) !== undefined;
}

/** Narrowest type that holds every non-empty cell (empty cells are nulls). */
export function inferType(cells: string[]): InferredType {
  const present = cells.filter((c) => c !== '');
  if (present.length === 0) return 'utf8';
  if (present.every((c) => INT.test(c.trim()) && Math.abs(Number(c)) <= 2147483647)) return 'int32';
  if (present.every(isNumberText)) return 'float64';
  if (present.every((c) => BOOL.test(c.trim()))) return 'bool';
  if (present.every(isNumericArray)) return 'List<float64>';
  return 'utf8';
}

/** Arrow column data for cells of an inferred type. */
export function columnData(cells: string[], type: InferredType): Data {
  switch (type) {
    case 'int32':
      return int32Data(Int32Array.from(cells, (c) => (c === '' ? 0 : Number(c))), (i) => cells[i] === '');
    case 'float64':
      return float64Data(Float64Array.from(cells, (c) => (c === '' ? 0 : parseNumber(c))), (i) => cells[i] === '');
    case 'bool':
      return boolData(cells.map((c) => c.trim().toLowerCase() === 'true'));
    case 'List<float64>':
      return listData(cells.map((c) => Float64Array.from(c === '' ? [] : parseNumericArray(c)!)));
    case 'utf8':
      return utf8Data(cells.map((c) => (c === '' ? null : c)));
  }
}
